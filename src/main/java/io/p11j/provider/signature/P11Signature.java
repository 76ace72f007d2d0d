// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.key.PublicKeyImports;
import io.p11j.provider.codec.DigestInfos;
import io.p11j.provider.codec.EcdsaSignatures;
import io.p11j.provider.codec.PssParameters;
import io.p11j.provider.key.P11PrivateKey;
import io.p11j.provider.key.P11PublicKey;
import io.p11j.provider.token.Errors;
import io.p11j.provider.token.Quirk;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.PinSupplier;
import io.p11j.wrapper.PooledSession;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.SessionPool;
import io.p11j.wrapper.UserType;
import io.p11j.wrapper.mechanism.Mechanism;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.AlgorithmParameters;
import java.security.DigestException;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.Key;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.Security;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.EdDSAParameterSpec;
import java.security.spec.InvalidParameterSpecException;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * A P11J {@code Signature}: signs with a private key on a PKCS#11 token and verifies on a token,
 * for every algorithm {@link SignatureServices} registers.
 *
 * <p><b>Mechanism.</b> Chosen at init on the key's own token (not necessarily the provider's): the
 * combined hash-and-sign mechanism when the token has it, else the raw one with the message hashed
 * here by the JDK's {@code SUN} provider ({@code CKM_RSA_PKCS} over a {@code DigestInfo},
 * {@code CKM_RSA_PKCS_PSS} or {@code CKM_ECDSA} over the digest).
 *
 * <p><b>Data path.</b> When the token hashes, {@code update} buffers up to
 * {@value #SINGLE_PART_LIMIT} bytes and {@code sign}/{@code verify} borrow one pooled session for a
 * single {@code C_SignInit}+{@code C_Sign}: one session round trip per signature, and a session held
 * for no longer than that. More data switches to a multi-part operation that holds its session from
 * then until {@code sign}/{@code verify} or a new init, always given back (the pool ends an
 * unfinished operation; a cleaner gives it back if the engine is abandoned). When P11J hashes, the
 * data streams into the digest and only the digest goes to the token. Raw and EdDSA mechanisms are
 * single-part only: their input is buffered whole.
 *
 * <p><b>Keys.</b> See {@link KeyRules}. A key with {@code CKA_ALWAYS_AUTHENTICATE} gets a
 * context-specific login right after each {@code C_SignInit}, on the same session, with the PIN from
 * {@link io.p11j.provider.key.P11Key#contextPin()}; the PIN's copy is wiped after use.
 *
 * <p><b>Errors.</b> Through {@link Errors}: an invalid signature is {@code false}, as is a
 * malformed ECDSA signature; key, mechanism and data problems are {@code SignatureException}s at
 * {@code sign}/{@code verify}; token and session failures {@code ProviderException}s. Every
 * exception keeps the {@code CKR_} failure as its cause, and none carries data, keys or PINs.
 *
 * <p>Not thread-safe, as every {@code Signature}.
 */
public final class P11Signature extends SignatureSpi {

    /** Most bytes buffered for a single-part operation when the token hashes. */
    static final int SINGLE_PART_LIMIT = 64 * 1024;
    /** Largest piece handed to one {@code C_SignUpdate}: bounds the native copy of a huge {@code update}. */
    private static final int CHUNK = 64 * 1024;
    /** Longest input of {@code NONEwithECDSA}, a digest (the JDK's limit too). */
    private static final int RAW_ECDSA_MAX = 64;
    private static final int MAX_BUFFER = Integer.MAX_VALUE - 16;

    private static final Mechanism RSA_PKCS = Mechanism.of(CKM_RSA_PKCS);
    private static final Mechanism ECDSA = Mechanism.of(CKM_ECDSA);
    private static final Mechanism EDDSA = Mechanism.of(CKM_EDDSA);
    private static final byte[] EMPTY = new byte[0];

    /** Gives back the session of a multi-part operation whose engine was dropped before finishing. */
    private static final Cleaner CLEANER = Cleaner.create();

    private enum Mode { NONE, SIGN, VERIFY }

    private final TokenContext providerContext;
    private final SignatureAlgorithm alg;
    private final PublicKeyImports imports;

    /** The PSS parameters: as set for {@code RSASSA-PSS}, fixed for {@code SHA256withRSA/PSS}; else null. */
    private PSSParameterSpec pss;
    private HashAlg pssHash;
    private HashAlg pssMgfHash;

    // ---- what init chose
    private Mode mode = Mode.NONE;
    private TokenContext context;
    private P11PrivateKey privateKey;
    private P11PublicKey tokenPublicKey;
    private PublicKey importedKey;
    private PublicKeyImports.Imported imported;
    private int keyBits;        // RSA modulus or EC order, in bits
    private int orderBytes;     // ECDSA: length of each of r and s
    private Mechanism mechanism; // null until RSASSA-PSS has its parameters
    private boolean singlePartOnly;
    private int inputLimit;
    private boolean hashHere;   // P11J hashes (SUN) and the token signs the digest
    private MessageDigest md;   // kept across inits while the digest stays the same
    private HashAlg mdHash;
    private byte[] digestInfoPrefix;

    // ---- the operation in progress
    private byte[] buf;
    private int len;
    private boolean started;
    private boolean failed;     // an update failed: this message is lost, sign/verify must not use what is left
    private PooledSession held;
    private Cleaner.Cleanable heldRelease;
    private final byte[] one = new byte[1];
    private byte[] chunk;

    // ---- operands of the session work below: fields, so that a signature allocates no lambda
    private byte[] opData;
    private int opLen;
    private byte[] opSignature;
    private boolean opLogin;
    private char[] opPin;
    private final SessionPool.SessionWork<byte[]> signWork = this::signOn;
    private final SessionPool.SessionWork<Boolean> verifyWork = this::verifyOn;

    /**
     * @param providerContext the token of the provider that created the engine, where software public
     *                        keys are imported; null for the unconfigured provider (P11J keys only)
     * @param imports         the provider's imported software public keys
     */
    P11Signature(TokenContext providerContext, SignatureAlgorithm alg, PublicKeyImports imports) {
        this.providerContext = providerContext;
        this.alg = alg;
        this.imports = imports;
        if (alg.fixedPss()) {
            HashAlg h = alg.hash();
            pss = new PSSParameterSpec(h.jcaName, "MGF1", new MGF1ParameterSpec(h.jcaName), h.length,
                    PSSParameterSpec.TRAILER_FIELD_BC);
            pssHash = h;
            pssMgfHash = h;
        }
    }

    // ================================================================ init

    @Override
    protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
        reset();
        if (!(key instanceof P11PrivateKey pk)) {
            throw new InvalidKeyException("P11J signs only with private keys on a PKCS#11 token (P11J keys), not with "
                    + (key == null ? "null" : "a " + key.getClass().getName()) + "; software keys belong to the JDK's providers");
        }
        if (!KeyRules.kindMatches(alg, pk)) {
            throw wrongKind(pk);
        }
        if (!alg.availableOn(pk.context())) {
            throw new InvalidKeyException("the token of " + pk.uri() + " has no mechanism for " + alg.name());
        }
        if (pk.alwaysAuthenticate() && pk.contextPin() == null) {
            throw new InvalidKeyException(pk.uri() + " needs a context-specific login for every signature "
                    + "(CKA_ALWAYS_AUTHENTICATE), and no PIN is attached to it: get the key from the PKCS11-URI KeyStore "
                    + "with its password, or attach one with P11Key.contextPin");
        }
        context = pk.context();
        privateKey = pk;
        keySize(pk);
        prepareAtInit();
        mode = Mode.SIGN;
    }

    @Override
    protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
        reset();
        if (key == null || !KeyRules.kindMatches(alg, key)) {
            throw wrongKind(key);
        }
        if (key instanceof P11PublicKey pk && alg.availableOn(pk.context())) {
            context = pk.context();
            tokenPublicKey = pk;
        } else if (providerContext == null) {
            throw new InvalidKeyException("the unconfigured P11J provider verifies only with P11J public keys on a token "
                    + "that can do " + alg.name() + "; configure it with a pkcs11: URI to verify with other keys on its token");
        } else if (!KeyRules.importable(alg, providerContext, key)) {
            throw new InvalidKeyException("the token " + providerContext.tokenUri() + " cannot verify " + alg.name()
                    + " with this " + key.getAlgorithm() + " key (mechanism, curve or key size)");
        } else {
            imported = imports.get(providerContext, key);
            importedKey = key;
            context = providerContext;
        }
        keySize(key);
        prepareAtInit();
        mode = Mode.VERIFY;
    }

    private InvalidKeyException wrongKind(Key key) {
        String want = switch (alg.family()) {
            case RSA_PKCS1, RSA_PSS -> "an RSA key";
            case ECDSA -> "an EC key";
            case EDDSA -> alg.edCurve() == null ? "an Ed25519 or Ed448 key" : "an " + alg.edCurve() + " key";
        };
        return new InvalidKeyException(alg.name() + " needs " + want + ", not "
                + (key == null ? "null" : key.getAlgorithm() + " (" + key.getClass().getSimpleName() + ")"));
    }

    private void keySize(Key key) throws InvalidKeyException {
        if (key instanceof RSAKey rsa) {
            BigInteger n = rsa.getModulus();
            if (n == null) {
                throw new InvalidKeyException("RSA key without a modulus");
            }
            keyBits = n.bitLength();
        } else if (key instanceof ECKey ec) {
            keyBits = ec.getParams().getOrder().bitLength();
            orderBytes = (keyBits + 7) / 8;
        }
    }

    private void prepareAtInit() throws InvalidKeyException {
        try {
            prepare();
        } catch (GeneralSecurityException e) {
            reset();
            throw new InvalidKeyException(e.getMessage(), e);
        }
    }

    /**
     * Chooses the mechanism for the key's token and the current parameters: combined where the token
     * has it, else raw with software hashing.
     */
    private void prepare() throws GeneralSecurityException {
        mechanism = null;
        singlePartOnly = false;
        inputLimit = MAX_BUFFER;
        digestInfoPrefix = null;
        hashHere = false;
        switch (alg.family()) {
            case RSA_PKCS1 -> {
                if (alg.hash() == null) {
                    mechanism = RSA_PKCS; // NONEwithRSA: the caller's bytes, PKCS#1 v1.5 type 1 padded
                    singlePartOnly = true;
                    inputLimit = Math.max(0, (keyBits + 7) / 8 - 11);
                } else if (context.supports(alg.combined())) {
                    mechanism = Mechanism.of(alg.combined());
                } else {
                    mechanism = RSA_PKCS;
                    softwareHash(alg.hash());
                    digestInfoPrefix = digestInfoPrefix(alg.hash());
                }
            }
            case RSA_PSS -> {
                if (pss == null) {
                    return; // RSASSA-PSS before its parameters: update and sign will say so
                }
                checkPssFits(pss, pssHash);
                HashAlg h = pssHash;
                long salt = pss.getSaltLength();
                boolean raw = context.supports(CKM_RSA_PKCS_PSS);
                if (pssMgfHash != h && context.has(Quirk.PSS_MGF1_EQUALS_HASH)) {
                    throw new InvalidAlgorithmParameterException("the token " + context.tokenUri() + " takes RSA-PSS only with MGF1 over "
                            + "the message digest (" + h.jcaName + "), not " + pssMgfHash.jcaName + " (quirk "
                            + Quirk.PSS_MGF1_EQUALS_HASH.configName() + ")");
                }
                // Combined unless the MGF1 digest differs and the raw mechanism exists: tokens commonly take a
                // combined mechanism only with MGF1 over its own digest.
                if (context.supports(h.rsaPss) && (pssMgfHash == h || !raw)) {
                    mechanism = Mechanism.rsaPss(h.rsaPss, h.ckm, pssMgfHash.mgf1, salt);
                } else if (raw) {
                    mechanism = Mechanism.rsaPss(h.ckm, pssMgfHash.mgf1, salt);
                    softwareHash(h);
                } else {
                    throw new InvalidAlgorithmParameterException("the token " + context.tokenUri() + " has neither "
                            + mechanismName(h.rsaPss) + " nor CKM_RSA_PKCS_PSS");
                }
            }
            case ECDSA -> {
                if (alg.hash() == null) {
                    mechanism = ECDSA; // NONEwithECDSA: the caller's digest
                    singlePartOnly = true;
                    inputLimit = RAW_ECDSA_MAX;
                } else if (context.supports(alg.combined())) {
                    mechanism = Mechanism.of(alg.combined());
                } else {
                    mechanism = ECDSA;
                    softwareHash(alg.hash());
                }
            }
            case EDDSA -> {
                mechanism = EDDSA; // PureEdDSA hashes the whole message twice: the token needs it in one part
                singlePartOnly = true;
            }
        }
    }

    /** Hash with {@code SUN}; the digest object is reused across inits with the same digest. */
    private void softwareHash(HashAlg h) throws NoSuchAlgorithmException {
        if (md == null || mdHash != h) {
            md = h.newSunDigest();
            mdHash = h;
        }
        md.reset();
        hashHere = true;
    }

    /** The DER {@code DigestInfo} before the digest value: the codec's encoding of a zero digest, minus the digest. */
    private static byte[] digestInfoPrefix(HashAlg h) throws NoSuchAlgorithmException {
        byte[] whole = DigestInfos.encode(h.jcaName, new byte[h.length]);
        return Arrays.copyOf(whole, whole.length - h.length);
    }

    /** RFC 8017 9.1.1: the encoded message ({@code modBits - 1} bits) must hold the digest, the salt and two bytes. */
    private void checkPssFits(PSSParameterSpec spec, HashAlg h) throws InvalidAlgorithmParameterException {
        if (keyBits == 0) {
            return;
        }
        int emLen = (keyBits - 1 + 7) / 8;
        if ((long) h.length + spec.getSaltLength() + 2 > emLen) {
            throw new InvalidAlgorithmParameterException("a " + keyBits + "-bit RSA key is too short for PSS with "
                    + h.jcaName + " and a " + spec.getSaltLength() + "-byte salt");
        }
    }

    // ================================================================ parameters

    @Override
    protected void engineSetParameter(AlgorithmParameterSpec params) throws InvalidAlgorithmParameterException {
        if (alg.pssWithParameters()) {
            setPss(params);
        } else if (alg.fixedPss()) {
            if (params != null && !(params instanceof PSSParameterSpec p && samePss(p, pss))) {
                throw new InvalidAlgorithmParameterException(alg.name() + " has fixed parameters (MGF1 with " + pssHash.jcaName
                        + ", a " + pssHash.length + "-byte salt); use RSASSA-PSS for others");
            }
        } else if (params instanceof EdDSAParameterSpec ed && alg.family() == SignatureAlgorithm.Family.EDDSA) {
            if (ed.isPrehash() || ed.getContext().isPresent()) {
                throw new InvalidAlgorithmParameterException("P11J does EdDSA without prehash and without context only");
            }
        } else if (params != null) {
            throw new InvalidAlgorithmParameterException(alg.name() + " takes no parameters, not a "
                    + params.getClass().getSimpleName());
        }
    }

    private void setPss(AlgorithmParameterSpec params) throws InvalidAlgorithmParameterException {
        if (!(params instanceof PSSParameterSpec p)) {
            throw new InvalidAlgorithmParameterException("RSASSA-PSS needs a PSSParameterSpec, not "
                    + (params == null ? "null" : params.getClass().getSimpleName()));
        }
        if (started) {
            // As the JDK's RSASSA-PSS: the data already hashed or sent belongs to the old parameters.
            throw new ProviderException("cannot change the PSS parameters during an operation");
        }
        PssParameters.toPkcs11(p); // trailer field 1, MGF1, digests PKCS#11 knows
        HashAlg h = HashAlg.byName(p.getDigestAlgorithm());
        HashAlg mgf = HashAlg.byName(((MGF1ParameterSpec) p.getMGFParameters()).getDigestAlgorithm());
        PSSParameterSpec oldSpec = pss;
        HashAlg oldHash = pssHash;
        HashAlg oldMgf = pssMgfHash;
        pss = p;
        pssHash = h;
        pssMgfHash = mgf;
        if (mode != Mode.NONE) {
            try {
                prepare();
            } catch (GeneralSecurityException e) {
                pss = oldSpec;
                pssHash = oldHash;
                pssMgfHash = oldMgf;
                try {
                    prepare();
                } catch (GeneralSecurityException again) {
                    mechanism = null; // the old parameters worked with this key before; if not, no mechanism
                }
                throw e instanceof InvalidAlgorithmParameterException iape ? iape
                        : new InvalidAlgorithmParameterException(e.getMessage(), e);
            }
        }
    }

    private static boolean samePss(PSSParameterSpec a, PSSParameterSpec b) {
        try {
            return HashAlg.byName(a.getDigestAlgorithm()) == HashAlg.byName(b.getDigestAlgorithm())
                    && a.getMGFParameters() instanceof MGF1ParameterSpec ma && b.getMGFParameters() instanceof MGF1ParameterSpec mb
                    && HashAlg.byName(ma.getDigestAlgorithm()) == HashAlg.byName(mb.getDigestAlgorithm())
                    && a.getSaltLength() == b.getSaltLength() && a.getTrailerField() == b.getTrailerField()
                    && "MGF1".equalsIgnoreCase(a.getMGFAlgorithm());
        } catch (InvalidAlgorithmParameterException e) {
            return false;
        }
    }

    @Override
    protected AlgorithmParameters engineGetParameters() {
        if (pss == null) {
            return null;
        }
        try {
            Provider sunRsaSign = Security.getProvider("SunRsaSign");
            // P11J offers no AlgorithmParameters, so the unqualified lookup cannot come back here.
            AlgorithmParameters ap = sunRsaSign != null ? AlgorithmParameters.getInstance("RSASSA-PSS", sunRsaSign)
                    : AlgorithmParameters.getInstance("RSASSA-PSS");
            ap.init(pss);
            return ap;
        } catch (NoSuchAlgorithmException | InvalidParameterSpecException e) {
            throw new ProviderException("cannot express the PSS parameters as AlgorithmParameters", e);
        }
    }

    /** @deprecated replaced by {@link #engineSetParameter(AlgorithmParameterSpec)} */
    @Deprecated
    @Override
    protected void engineSetParameter(String param, Object value) {
        throw new InvalidParameterException("no named parameters; use setParameter(AlgorithmParameterSpec)");
    }

    /** @deprecated replaced by {@link #engineGetParameters()} */
    @Deprecated
    @Override
    protected Object engineGetParameter(String param) {
        throw new InvalidParameterException("no named parameters; use getParameters()");
    }

    // ================================================================ data

    @Override
    protected void engineUpdate(byte b) throws SignatureException {
        one[0] = b;
        engineUpdate(one, 0, 1);
    }

    @Override
    protected void engineUpdate(byte[] b, int off, int n) throws SignatureException {
        ready();
        started = true;
        try {
            update(b, off, n);
        } catch (SignatureException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    private void update(byte[] b, int off, int n) throws SignatureException {
        if (n == 0) {
            return;
        }
        if (hashHere) {
            md.update(b, off, n);
        } else if (held != null) {
            stream(b, off, n);
        } else if (singlePartOnly || len + n <= SINGLE_PART_LIMIT) {
            append(b, off, n);
        } else {
            startMultipart();
            stream(b, off, n);
        }
    }

    @Override
    protected void engineUpdate(ByteBuffer input) {
        int n = input.remaining();
        try {
            ready();
            started = true;
            update(input, n);
        } catch (SignatureException e) {
            failed = true;
            // The SPI's ByteBuffer update declares no checked exception (the JDK's own engines do the same).
            throw new ProviderException(e.getMessage(), e);
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    private void update(ByteBuffer input, int n) throws SignatureException {
        if (input.hasArray()) {
            update(input.array(), input.arrayOffset() + input.position(), n);
            input.position(input.limit());
        } else if (hashHere) {
            md.update(input);
        } else if (held == null && (singlePartOnly || len + n <= SINGLE_PART_LIMIT)) {
            ensureCapacity(n);
            input.get(buf, len, n);
            len += n;
        } else {
            if (chunk == null) {
                chunk = new byte[8192];
            }
            while (input.hasRemaining()) {
                int k = Math.min(input.remaining(), chunk.length);
                input.get(chunk, 0, k);
                update(chunk, 0, k);
            }
        }
    }

    private void ready() throws SignatureException {
        if (mode == Mode.NONE) {
            throw new SignatureException("not initialized for signing or verification");
        }
        if (mechanism == null) {
            throw new SignatureException("Parameters required for RSASSA-PSS signatures (setParameter with a PSSParameterSpec)");
        }
        if (failed) {
            throw new SignatureException("an update of this message failed, so it is incomplete; start the message again");
        }
    }

    private void append(byte[] b, int off, int n) throws SignatureException {
        ensureCapacity(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    private void ensureCapacity(int n) throws SignatureException {
        long need = (long) len + n;
        if (need > inputLimit) {
            throw new SignatureException(alg.name() + " takes at most " + inputLimit + " bytes of input"
                    + (alg.family() == SignatureAlgorithm.Family.ECDSA ? " (a digest)" : " with this key"));
        }
        if (need > MAX_BUFFER) {
            throw new SignatureException("message too long for a single-part " + alg.name() + " signature");
        }
        if (buf == null || need > buf.length) {
            long grown = buf == null ? Math.max(need, 256) : Math.max(need, 2L * buf.length);
            buf = Arrays.copyOf(buf == null ? EMPTY : buf, (int) Math.min(grown, MAX_BUFFER));
        }
    }

    /** Switches to a multi-part operation: borrows a session, inits, sends what was buffered. */
    private void startMultipart() throws SignatureException {
        PooledSession ps;
        try {
            ps = context.pool().borrow();
        } catch (Pkcs11Exception e) {
            throw failure("borrowing a session", e);
        }
        boolean ok = false;
        char[] pin = null;
        try {
            Session s = ps.session();
            if (mode == Mode.SIGN) {
                s.signInit(mechanism, privateKey.handle(s));
                if (privateKey.alwaysAuthenticate()) {
                    pin = contextPin();
                    contextLogin(s, pin);
                }
            } else {
                s.verifyInit(mechanism, verifyHandle(s));
            }
            held = ps;
            // A method reference to the pooled session only: the engine itself stays collectable.
            heldRelease = CLEANER.register(this, ps::close);
            ok = true;
        } catch (Pkcs11Exception e) {
            throw failure(mode == Mode.SIGN ? "C_SignInit" : "C_VerifyInit", e);
        } finally {
            wipe(pin);
            if (!ok) {
                ps.close(); // the pool ends an operation left active
            }
        }
        stream(buf, 0, len);
        len = 0;
    }

    private void stream(byte[] b, int off, int n) throws SignatureException {
        Session s = held.session();
        try {
            for (int done = 0; done < n; done += CHUNK) {
                int k = Math.min(CHUNK, n - done);
                if (mode == Mode.SIGN) {
                    s.signUpdate(b, off + done, k);
                } else {
                    s.verifyUpdate(b, off + done, k);
                }
            }
        } catch (Pkcs11Exception e) {
            release();
            throw failure(mode == Mode.SIGN ? "C_SignUpdate" : "C_VerifyUpdate", e);
        }
    }

    // ================================================================ sign and verify

    @Override
    protected byte[] engineSign() throws SignatureException {
        if (mode != Mode.SIGN) {
            throw new SignatureException("not initialized for signing");
        }
        byte[] raw;
        try {
            ready();
            if (held != null) {
                try {
                    raw = held.session().signFinal();
                } catch (Pkcs11Exception e) {
                    throw failure("C_SignFinal", e);
                }
            } else {
                tokenInput();
                opLogin = privateKey.alwaysAuthenticate();
                opPin = opLogin ? contextPin() : null;
                try {
                    raw = context.execute(signWork);
                } catch (Pkcs11Exception e) {
                    throw failure("C_Sign", e);
                } finally {
                    wipe(opPin);
                    opPin = null;
                }
            }
        } finally {
            endOperation();
        }
        if (alg.family() == SignatureAlgorithm.Family.ECDSA && !alg.p1363()) {
            try {
                return EcdsaDer.encode(raw);
            } catch (IllegalArgumentException e) {
                throw new SignatureException("the token returned a malformed ECDSA signature: " + e.getMessage(), e);
            }
        }
        return raw;
    }

    /** One single-part signature on {@code s}: init, context-specific login if the key needs it, sign. */
    private byte[] signOn(Session s) throws Pkcs11Exception {
        s.signInit(mechanism, privateKey.handle(s));
        if (opLogin) {
            contextLogin(s, opPin);
        }
        return s.signAfterInit(opData, 0, opLen);
    }

    @Override
    protected boolean engineVerify(byte[] signature) throws SignatureException {
        if (mode != Mode.VERIFY) {
            throw new SignatureException("not initialized for verification");
        }
        try {
            ready();
            byte[] tokenSignature = tokenSignature(signature);
            if (tokenSignature == null) {
                return false;
            }
            if (held != null) {
                try {
                    return held.session().verifyFinal(tokenSignature);
                } catch (Pkcs11Exception e) {
                    throw verifyFailure("C_VerifyFinal", e);
                }
            }
            tokenInput();
            opSignature = tokenSignature;
            try {
                return context.execute(verifyWork);
            } catch (Pkcs11Exception e) {
                throw verifyFailure("C_Verify", e);
            } finally {
                opSignature = null;
            }
        } finally {
            endOperation();
        }
    }

    private Boolean verifyOn(Session s) throws Pkcs11Exception {
        return s.verify(mechanism, verifyHandle(s), opData, 0, opLen, opSignature);
    }

    /**
     * The signature as the token takes it, or null when it cannot be a valid one: a DER ECDSA
     * signature that is not exactly one canonical encoding of two positive integers that fit the
     * curve (BER and other malleable forms included), or a P1363 one of the wrong length.
     */
    private byte[] tokenSignature(byte[] signature) {
        if (alg.family() != SignatureAlgorithm.Family.ECDSA) {
            return signature;
        }
        if (alg.p1363()) {
            return signature.length == 2 * orderBytes ? signature : null;
        }
        try {
            return EcdsaSignatures.derToRaw(signature, orderBytes);
        } catch (SignatureException e) {
            return null;
        }
    }

    /** Points {@code opData}/{@code opLen} at what the token signs: the buffered message, or the digest (in a DigestInfo). */
    private void tokenInput() {
        if (!hashHere) {
            opData = buf == null ? EMPTY : buf;
            opLen = alg.family() == SignatureAlgorithm.Family.ECDSA ? ecdsaInputLength(len) : len;
            return;
        }
        int prefix = digestInfoPrefix == null ? 0 : digestInfoPrefix.length;
        int h = mdHash.length;
        if (buf == null || buf.length < prefix + h) {
            buf = new byte[Math.max(256, prefix + h)];
        }
        if (prefix > 0) {
            System.arraycopy(digestInfoPrefix, 0, buf, 0, prefix);
        }
        try {
            md.digest(buf, prefix, h);
        } catch (DigestException e) {
            throw new ProviderException("SUN " + mdHash.jcaName + " failed", e);
        }
        opData = buf;
        opLen = alg.family() == SignatureAlgorithm.Family.ECDSA ? ecdsaInputLength(h) : prefix + h;
    }

    /**
     * ECDSA uses the leftmost order-length bits of a longer digest (SEC 1 4.1.3 step 5): cut to whole
     * bytes here, where that is exact, so that a token strict about the input length takes it too.
     */
    private int ecdsaInputLength(int n) {
        if (keyBits % 8 == 0 && n > keyBits / 8) {
            return keyBits / 8;
        }
        return n;
    }

    private long verifyHandle(Session s) throws Pkcs11Exception {
        return tokenPublicKey != null ? tokenPublicKey.handle(s) : imported.handle(s);
    }

    // ================================================================ context-specific login

    /** A fresh copy of the key's PIN (null: the token's protected authentication path); the caller wipes it. */
    private char[] contextPin() throws SignatureException {
        PinSupplier pins = privateKey.contextPin();
        if (pins == null) {
            throw new SignatureException(privateKey.uri() + " needs a context-specific login (CKA_ALWAYS_AUTHENTICATE) "
                    + "and no PIN is attached to it");
        }
        try {
            return pins.pin();
        } catch (IOException e) {
            throw new SignatureException("no PIN for the context-specific login of " + privateKey.uri() + ": "
                    + e.getMessage(), e);
        }
    }

    private static void contextLogin(Session s, char[] pin) throws Pkcs11Exception {
        if (pin == null) {
            s.loginProtected(UserType.CONTEXT_SPECIFIC);
        } else {
            s.login(UserType.CONTEXT_SPECIFIC, pin);
        }
    }

    private static void wipe(char[] pin) {
        if (pin != null) {
            Arrays.fill(pin, '\0');
        }
    }

    // ================================================================ state and errors

    /** After sign or verify: ready for the next message with the same key (the JCA contract). */
    private void endOperation() {
        len = 0;
        started = false;
        failed = false;
        opData = null;
        if (md != null) {
            md.reset();
        }
        release();
        if (buf != null && buf.length > SINGLE_PART_LIMIT) {
            buf = null; // a large EdDSA message: do not keep its buffer for the engine's lifetime
        }
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

    /** Before a new init: forget the key and any operation. */
    private void reset() {
        endOperation();
        mode = Mode.NONE;
        context = null;
        privateKey = null;
        tokenPublicKey = null;
        importedKey = null;
        imported = null;
        keyBits = 0;
        orderBytes = 0;
        mechanism = null;
    }

    private String what(String function) {
        Object key = privateKey != null ? privateKey.uri() : tokenPublicKey != null ? tokenPublicKey.uri()
                : "an imported " + (importedKey == null ? "" : importedKey.getAlgorithm()) + " public key";
        return alg.name() + " (" + function + ", " + mechanism + ") with " + key;
    }

    /**
     * Key, mechanism, parameter and data problems are the caller's: {@code SignatureException}. The
     * rest (device, session, memory) is the token's: {@code ProviderException}, thrown.
     */
    private SignatureException failure(String function, Pkcs11Exception e) {
        long rv = e.rv();
        if (Errors.isKeyProblem(rv) || Errors.isMechanismProblem(rv) || Errors.isDataProblem(rv)
                || rv == CKR_ARGUMENTS_BAD || rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED) {
            String hint = rv == CKR_USER_NOT_LOGGED_IN
                    ? " (log in first: a PIN in the URI, KeyStore.load, or AuthProvider.login)" : "";
            return Errors.signature(what(function) + hint, e);
        }
        throw Errors.provider(what(function), e);
    }

    private SignatureException verifyFailure(String function, Pkcs11Exception e) {
        if (importedKey != null && (e.rv() == CKR_KEY_HANDLE_INVALID || e.rv() == CKR_OBJECT_HANDLE_INVALID)) {
            imports.forget(context, importedKey); // its session object is gone: import anew next time
        }
        return failure(function, e);
    }
}
