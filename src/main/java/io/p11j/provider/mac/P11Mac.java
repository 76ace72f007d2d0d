// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.mac;

import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.token.Errors;
import io.p11j.provider.token.Quirk;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Constants;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.PooledSession;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.SessionPool;
import io.p11j.wrapper.mechanism.Mechanism;

import javax.crypto.Mac;
import javax.crypto.MacSpi;
import javax.crypto.SecretKey;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.Optional;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * A P11J {@code Mac}: HMAC or CMAC computed on the token with a secret key that lives there, for
 * every algorithm {@link MacServices} registers.
 *
 * <p><b>Data path.</b> {@code update} buffers up to {@value #SINGLE_PART_LIMIT} bytes, and
 * {@code doFinal} borrows one pooled session for a single {@code C_SignInit}+{@code C_Sign}: one
 * {@code context.execute} and two token calls per MAC, with a session held no longer than that. More
 * data switches to a multi-part operation ({@code C_SignUpdate} in pieces of up to that size,
 * {@code C_SignFinal}) that holds its session until {@code doFinal}, {@code reset} or a new
 * {@code init}; the session always goes back to the pool, which ends an unfinished operation, and a
 * cleaner gives it back if the engine is dropped half-way.
 *
 * <p><b>Keys.</b> Only secret keys on a token ({@link P11SecretKey}) of a type the mechanism takes
 * (generic secrets or the HMAC's own key type; AES for CMAC) and of a length in the token's range
 * for the mechanism. A software key ({@code SecretKeySpec}) is refused: {@code supportsParameter}
 * says no, so the JCA's delayed provider selection moves on to a software provider, and an explicit
 * init says to import the key with P11J's {@code SecretKeyFactory}. One exception: an engine the JCA
 * chose before it saw the key — an unqualified {@code Mac.getInstance} followed by
 * {@code getMacLength()} before {@code init}, as JSSE's HKDF does, with P11J first in the provider
 * list ({@code softwareFallback}) — hands a software key to the software provider the JCA would have
 * chosen, so that the MAC is computed there and never on the token.
 *
 * <p><b>Clone.</b> Before a multi-part operation has started (the usual case: less than
 * {@value #SINGLE_PART_LIMIT} bytes so far) a clone copies the buffered input. An operation already
 * on the token cannot be copied: {@code CloneNotSupportedException}.
 *
 * <p><b>Errors.</b> Wrong keys are {@code InvalidKeyException}s at {@code init}; token failures in
 * {@code update}/{@code doFinal} are {@code ProviderException}s (the only exception the JCA lets
 * them throw) with the {@code CKR_} failure as their cause. Nothing carries data or keys.
 *
 * <p>Not thread-safe, as every {@code Mac}.
 */
public final class P11Mac extends MacSpi implements Cloneable {

    /** Most bytes buffered for one {@code C_Sign}, and the size of each {@code C_SignUpdate} after that. */
    static final int SINGLE_PART_LIMIT = 64 * 1024;
    private static final byte[] EMPTY = new byte[0];

    /** Gives back the session of a multi-part operation whose engine was dropped before finishing. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final MacAlgorithm alg;
    private final Mechanism mechanism;
    /** The JCA chose this engine before seeing a key (see class doc): software keys go to software. */
    private final boolean softwareFallback;
    /** The software MAC that computes with a software key, when {@link #softwareFallback} applies. */
    private Mac software;

    private P11SecretKey key;
    private TokenContext context;

    // ---- the MAC in progress
    private byte[] buf;
    private int len;
    private boolean failed; // an update failed: this message is lost
    private PooledSession held;
    private Cleaner.Cleanable heldRelease;
    private byte[] one = new byte[1];
    /** A field, so that a MAC allocates no lambda; not final: a clone needs its own. */
    private SessionPool.SessionWork<byte[]> signWork = this::signOn;

    P11Mac(MacAlgorithm alg, boolean softwareFallback) {
        this.alg = alg;
        this.mechanism = Mechanism.of(alg.mechanism());
        this.softwareFallback = softwareFallback;
    }

    // ================================================================ init

    @Override
    protected int engineGetMacLength() {
        return alg.macLength();
    }

    @Override
    protected void engineInit(Key key, AlgorithmParameterSpec params) throws InvalidKeyException,
            InvalidAlgorithmParameterException {
        if (params != null) {
            throw new InvalidAlgorithmParameterException(alg.jcaName() + " takes no parameters, not a "
                    + params.getClass().getSimpleName());
        }
        if (softwareFallback && key instanceof SecretKey && !(key instanceof P11SecretKey)) {
            // The JCA's own choice for this key, which passes P11J by (supportsParameter is false for it).
            Mac m;
            try {
                m = Mac.getInstance(alg.jcaName());
            } catch (NoSuchAlgorithmException e) {
                throw new InvalidKeyException("no provider computes " + alg.jcaName() + " with a software key", e);
            }
            m.init(key, params);
            endOperation();
            software = m;
            this.key = null;
            this.context = null;
            return;
        }
        P11SecretKey k = check(key);
        endOperation();
        software = null;
        this.key = k;
        this.context = k.context();
    }

    private P11SecretKey check(Key key) throws InvalidKeyException {
        if (!(key instanceof P11SecretKey k)) {
            if (key instanceof SecretKey) {
                throw new InvalidKeyException("P11J computes " + alg.jcaName() + " only with secret keys on a PKCS#11 token "
                        + "(P11J keys), not with a " + key.getClass().getName() + ": import the key onto the token with "
                        + "SecretKeyFactory.getInstance(\"" + (alg.isHmac() ? alg.jcaName() : "AES") + "\", <the P11J provider>)"
                        + ".generateSecret(spec), or compute the MAC in software (SunJCE)");
            }
            throw new InvalidKeyException(alg.jcaName() + " needs a secret key, not "
                    + (key == null ? "null" : "a " + key.getAlgorithm() + " " + key.getClass().getSimpleName()));
        }
        if (!alg.takesKeyType(k.keyType())) {
            throw new InvalidKeyException(alg.jcaName() + " needs " + alg.keyTypesText() + ", not " + k.getAlgorithm()
                    + " (" + Pkcs11Constants.keyTypeName(k.keyType()) + "): " + k.uri());
        }
        if (!alg.availableOn(k.context())) {
            throw new InvalidKeyException("the token of " + k.uri() + " has no " + Pkcs11Constants.mechanismName(alg.mechanism()));
        }
        if (k.alwaysAuthenticate()) {
            throw new InvalidKeyException(k.uri() + " needs a context-specific login for every use (CKA_ALWAYS_AUTHENTICATE), "
                    + "which P11J's Mac does not do");
        }
        Optional<int[]> range = alg.keyLengths(k.context());
        if (range.isPresent()) {
            int n;
            try {
                n = k.valueLength();
            } catch (Pkcs11Exception e) {
                throw Errors.atInit("reading CKA_VALUE_LEN of " + k.uri(), e);
            }
            int min = range.get()[0];
            int max = range.get()[1];
            // Checked here because the token sees the key only at doFinal, which cannot throw InvalidKeyException.
            if (n >= 0 && (n < min || max > 0 && n > max)) {
                throw new InvalidKeyException("the token's " + Pkcs11Constants.mechanismName(alg.mechanism()) + " takes keys of "
                        + min + (max > 0 ? " to " + max : " or more") + " bytes, not " + n + ": " + k.uri());
            }
        }
        return k;
    }

    // ================================================================ data

    @Override
    protected void engineUpdate(byte input) {
        one[0] = input;
        engineUpdate(one, 0, 1);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int n) {
        if (software != null) {
            software.update(input, offset, n);
            return;
        }
        if (n <= 0) {
            return;
        }
        ready();
        if ((long) len + n <= SINGLE_PART_LIMIT) {
            append(input, offset, n);
            return;
        }
        try {
            if (held == null) {
                startMultipart();
            }
            flush();
            if (n >= SINGLE_PART_LIMIT) {
                signUpdate(input, offset, n);
            } else {
                append(input, offset, n);
            }
        } catch (RuntimeException e) {
            failed = true;
            release();
            throw e;
        }
    }

    @Override
    protected void engineUpdate(ByteBuffer input) {
        if (software != null) {
            software.update(input);
            return;
        }
        int n = input.remaining();
        if (n > 0 && !input.hasArray() && (long) len + n <= SINGLE_PART_LIMIT) {
            ready();
            ensureCapacity(n);
            input.get(buf, len, n); // a direct buffer straight into ours: no temporary array
            len += n;
        } else {
            super.engineUpdate(input);
        }
    }

    private void ready() {
        if (failed) {
            throw new ProviderException("an earlier update of this " + alg.jcaName() + " failed, so the message is "
                    + "incomplete: reset the Mac (or init it again) and start over");
        }
    }

    private void append(byte[] b, int off, int n) {
        ensureCapacity(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    private void ensureCapacity(int n) {
        int need = len + n;
        if (buf == null || need > buf.length) {
            int grown = buf == null ? Math.max(need, 256) : Math.max(need, 2 * buf.length);
            buf = Arrays.copyOf(buf == null ? EMPTY : buf, Math.min(grown, SINGLE_PART_LIMIT));
        }
    }

    /** Borrows a session for a multi-part operation and starts it there. */
    private void startMultipart() {
        PooledSession ps;
        try {
            ps = context.pool().borrow();
        } catch (Pkcs11Exception e) {
            throw failure("borrowing a session", e);
        }
        boolean ok = false;
        try {
            Session s = ps.session();
            s.signInit(mechanism, key.handle(s));
            held = ps;
            // A method reference to the pooled session only: the engine itself stays collectable.
            heldRelease = CLEANER.register(this, ps::close);
            ok = true;
        } catch (Pkcs11Exception e) {
            throw failure("C_SignInit", e);
        } finally {
            if (!ok) {
                ps.close(); // the pool ends an operation left active
            }
        }
    }

    /** Sends what is buffered to the operation on the held session. */
    private void flush() {
        if (len > 0) {
            signUpdate(buf, 0, len);
            len = 0;
        }
    }

    private void signUpdate(byte[] b, int off, int n) {
        Session s = held.session();
        try {
            for (int done = 0; done < n; done += SINGLE_PART_LIMIT) {
                s.signUpdate(b, off + done, Math.min(SINGLE_PART_LIMIT, n - done));
            }
        } catch (Pkcs11Exception e) {
            throw failure("C_SignUpdate", e);
        }
    }

    // ================================================================ doFinal

    @Override
    protected byte[] engineDoFinal() {
        if (software != null) {
            return software.doFinal();
        }
        try {
            ready();
            if (held != null) {
                flush();
                try {
                    return held.session().signFinal();
                } catch (Pkcs11Exception e) {
                    throw failure("C_SignFinal", e);
                }
            }
            try {
                return context.execute(signWork);
            } catch (Pkcs11Exception e) {
                throw failure("C_Sign", e);
            }
        } finally {
            endOperation();
        }
    }

    /** One single-part MAC on {@code s}. */
    private byte[] signOn(Session s) throws Pkcs11Exception {
        return s.sign(mechanism, key.handle(s), buf == null ? EMPTY : buf, 0, len);
    }

    @Override
    protected void engineReset() {
        if (software != null) {
            software.reset();
        }
        endOperation();
    }

    /** After doFinal or reset: ready for the next message with the same key (the JCA contract). */
    private void endOperation() {
        len = 0;
        failed = false;
        release();
    }

    /** Gives back the session of a multi-part operation; the pool ends the operation if it is still active. */
    private void release() {
        if (held != null) {
            Cleaner.Cleanable r = heldRelease;
            held = null;
            heldRelease = null;
            r.clean();
        }
    }

    /**
     * A copy with the same key and the input buffered so far. Refused once a multi-part operation is
     * on the token: its state lives there and P11J does not copy token operations (many tokens,
     * SoftHSM2 among them, have no {@code C_GetOperationState} at all: quirk
     * {@code no-operation-state}).
     */
    @Override
    public Object clone() throws CloneNotSupportedException {
        if (held != null) {
            throw new CloneNotSupportedException(alg.jcaName() + " after more than " + SINGLE_PART_LIMIT + " bytes of input is an "
                    + "operation on the token, which P11J cannot copy" + (context.has(Quirk.NO_OPERATION_STATE)
                    ? " (the token keeps no operation state: quirk " + Quirk.NO_OPERATION_STATE.configName() + ")" : ""));
        }
        P11Mac c = (P11Mac) super.clone();
        c.software = software == null ? null : (Mac) software.clone();
        c.buf = buf == null ? null : buf.clone();
        c.one = new byte[1];
        c.signWork = c::signOn;
        c.held = null;
        c.heldRelease = null;
        return c;
    }

    // ================================================================ errors

    /** A token failure during update or doFinal: the JCA allows only a runtime exception there. */
    private ProviderException failure(String function, Pkcs11Exception e) {
        String hint = e.rv() == CKR_USER_NOT_LOGGED_IN ? " (log in first: a PIN in the URI, KeyStore.load, or AuthProvider.login)"
                : e.rv() == CKR_KEY_FUNCTION_NOT_PERMITTED ? " (the key's CKA_SIGN is false)" : "";
        return Errors.provider(alg.jcaName() + " (" + function + ", " + mechanism + ") with " + key.uri() + hint, e);
    }
}
