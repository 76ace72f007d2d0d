// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.p11j.sys.Abi;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.Structs;
import io.p11j.sys.TwoCall;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.attribute.AttributeCodec;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;
import io.p11j.sys.NativeArena;
import io.p11j.wrapper.internal.Outputs;
import io.p11j.wrapper.mechanism.Mechanism;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * A PKCS#11 session: login, objects, and every cryptographic operation.
 *
 * <p>A session is used by one thread at a time (the PKCS#11 rule; {@link SessionPool} hands each
 * session to one borrower). Close it when done; closing an already-dropped session is not an error.
 * A session opened before the module was re-initialized is dead: its calls throw
 * {@link Pkcs11Errors.SessionInvalidException} without reaching the module, because a new session may
 * since have been given the same handle number.
 *
 * <p>Errors are typed {@link Pkcs11Exception}s (see {@link Pkcs11Errors}). A PIN passed in is
 * encoded to UTF-8 for the call and those copies are wiped; the caller's {@code char[]} is the
 * caller's to wipe. Single-part operations accept whole arrays; multi-part ones run
 * {@code *Init}, {@code *Update} …, {@code *Final}.
 */
public final class Session implements AutoCloseable {

    private final Token token;
    private final Pkcs11Functions f;
    private final long handle;
    private final boolean readWrite;
    private final long generation;
    private boolean closed;
    private int active; // the OP_* bits of operations begun and not yet ended

    static final int SIGN = 1;
    static final int VERIFY = 2;
    static final int ENCRYPT = 4;
    static final int DECRYPT = 8;
    static final int DIGEST = 16;
    static final int FIND = 32;

    private final Closer closer;
    private final Cleaner.Cleanable cleanable;
    /** The native memory of every call on this session, reused call after call (a session is confined). */
    private final NativeArena scratch;

    Session(Token token, long handle, boolean readWrite, long generation) {
        this.token = token;
        this.f = token.module().functions();
        this.handle = handle;
        this.readWrite = readWrite;
        this.generation = generation;
        this.scratch = NativeArena.reusable(f.abi());
        this.closer = new Closer(f, handle, token.module().context(), generation);
        this.cleanable = CLEANER.register(this, closer);
    }

    /** A safety net, not the contract: a session that became unreachable unclosed is closed, with a warning. */
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "p11j-session-cleaner");
        t.setDaemon(true);
        return t;
    });

    /** Closes the handle once, for {@link #close()} or for the cleaner; holds no reference to the Session. */
    private static final class Closer implements Runnable {
        private final Pkcs11Functions f;
        private final long handle;
        private final ModuleContext context;
        private final long generation;
        volatile boolean explicit;
        volatile boolean abandoned;
        volatile long rv = CKR_OK;

        Closer(Pkcs11Functions f, long handle, ModuleContext context, long generation) {
            this.f = f;
            this.handle = handle;
            this.context = context;
            this.generation = generation;
        }

        @Override
        public void run() {
            if (abandoned || generation != context.generation()) {
                return; // dropped by the token, or died with an older initialization: not ours to close
            }
            if (!explicit) {
                System.getLogger("io.p11j.wrapper").log(System.Logger.Level.WARNING,
                        "session " + handle + " was never closed; closing it now (close sessions, or use a SessionPool)");
            }
            rv = f.C_CloseSession(handle);
        }
    }

    public Token token() {
        return token;
    }

    /** The {@code CK_SESSION_HANDLE}. */
    public long handle() {
        return handle;
    }

    public boolean isReadWrite() {
        return readWrite;
    }

    /**
     * Whether an operation begun on this session ({@code *Init}, or an open {@link ObjectSearch})
     * has not ended. A pool does not hand such a session to the next borrower: it closes it,
     * which ends the operation on the token.
     */
    public boolean hasActiveOperation() {
        return active != 0;
    }

    /**
     * Ends whatever operation is still active, so that the session can serve another caller
     * without closing it (closing would destroy the session objects it owns). A search is ended
     * with {@code C_FindObjectsFinal}; an operation with {@code C_SessionCancel} where the module
     * has it (PKCS#11 3.0), else by finishing it into a throw-away buffer, as PKCS#11 2.40 offers no
     * cancel. An operation that cannot be ended stays marked active.
     */
    void cancelOperations() {
        if ((active & FIND) != 0) {
            f.C_FindObjectsFinal(handle);
            active &= ~FIND;
        }
        if (active == 0) {
            return;
        }
        if (f.isSupported(Pkcs11Function.C_SessionCancel)) {
            long flags = ((active & SIGN) != 0 ? CKF_SIGN : 0) | ((active & VERIFY) != 0 ? CKF_VERIFY : 0)
                    | ((active & ENCRYPT) != 0 ? CKF_ENCRYPT : 0) | ((active & DECRYPT) != 0 ? CKF_DECRYPT : 0)
                    | ((active & DIGEST) != 0 ? CKF_DIGEST : 0);
            if (f.C_SessionCancel(handle, flags) == CKR_OK) {
                digestEnded();
                active = 0;
                return;
            }
        }
        try (NativeArena arena = scratch.open()) {
            Pointer out = arena.allocate(16384);
            Pointer len = arena.allocate(abi().ulongSize());
            if ((active & SIGN) != 0 && ended(f.C_SignFinal(handle, out, reset(len, 16384)))) {
                active &= ~SIGN;
            }
            if ((active & VERIFY) != 0 && ended(f.C_VerifyFinal(handle, out, 1))) {
                active &= ~VERIFY;
            }
            if ((active & ENCRYPT) != 0 && ended(f.C_EncryptFinal(handle, out, reset(len, 16384)))) {
                active &= ~ENCRYPT;
            }
            if ((active & DECRYPT) != 0 && ended(f.C_DecryptFinal(handle, out, reset(len, 16384)))) {
                active &= ~DECRYPT;
            }
            if ((active & DIGEST) != 0 && ended(f.C_DigestFinal(handle, out, reset(len, 16384)))) {
                digestEnded();
            }
        }
    }

    private Pointer reset(Pointer len, long value) {
        abi().setULong(len, 0, value);
        return len;
    }

    /**
     * Whether a *Final call surely ended the operation: on success, and on the data errors that end
     * one. On anything else the operation may still be active, so the session is better closed.
     * (Not even {@code CKR_OPERATION_NOT_INITIALIZED} proves it: SoftHSM2 answers that to
     * {@code C_SignFinal} for a single-part-only mechanism such as raw ECDSA, and keeps the
     * operation.)
     */
    private static boolean ended(long rv) {
        return rv == CKR_OK || rv == CKR_DATA_LEN_RANGE
                || rv == CKR_ENCRYPTED_DATA_LEN_RANGE || rv == CKR_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_INVALID
                || rv == CKR_SIGNATURE_INVALID || rv == CKR_SIGNATURE_LEN_RANGE;
    }

    void searchStarted() {
        active |= FIND;
    }

    void searchEnded() {
        active &= ~FIND;
    }

    /** Whether this session belongs to the module's current initialization (see class doc). */
    public boolean isCurrent() {
        return !closed && generation == token.module().context().generation();
    }

    private Pkcs11Functions fn() throws Pkcs11Exception {
        if (closed) {
            throw new IllegalStateException("session " + handle + " is closed");
        }
        if (generation != token.module().context().generation()) {
            throw Pkcs11Errors.of(Pkcs11Function.C_GetSessionInfo, CKR_SESSION_HANDLE_INVALID);
        }
        return f;
    }

    private Abi abi() {
        return f.abi();
    }

    // ---------------------------------------------------------------- session management

    /** {@code C_GetSessionInfo}. */
    public SessionInfo info() throws Pkcs11Exception {
        Memory m = Structs.CK_SESSION_INFO.layout().allocate();
        Pkcs11Errors.check(Pkcs11Function.C_GetSessionInfo, fn().C_GetSessionInfo(handle, m));
        return SessionInfo.read(m);
    }

    /**
     * {@code C_Login} with a PIN. {@code CKR_USER_ALREADY_LOGGED_IN} is success: login state is per
     * token, shared by all sessions of the application.
     */
    public void login(UserType user, char[] pin) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            NativeArena.Bytes p = arena.utf8(pin);
            long rv = fn().C_Login(handle, user.code(), p.memory(), p.length());
            if (rv != CKR_USER_ALREADY_LOGGED_IN || user == UserType.CONTEXT_SPECIFIC) {
                Pkcs11Errors.check(Pkcs11Function.C_Login, rv);
            }
        }
    }

    /** {@code C_Login} without a PIN, for tokens with a protected authentication path (PIN pad, biometrics). */
    public void loginProtected(UserType user) throws Pkcs11Exception {
        long rv = fn().C_Login(handle, user.code(), Pointer.NULL, 0);
        if (rv != CKR_USER_ALREADY_LOGGED_IN || user == UserType.CONTEXT_SPECIFIC) {
            Pkcs11Errors.check(Pkcs11Function.C_Login, rv);
        }
    }

    /** {@code C_Logout}; not being logged in is not an error. */
    public void logout() throws Pkcs11Exception {
        long rv = fn().C_Logout(handle);
        if (rv != CKR_USER_NOT_LOGGED_IN) {
            Pkcs11Errors.check(Pkcs11Function.C_Logout, rv);
        }
    }

    /** {@code C_InitPIN}: the SO sets the user PIN (the session must be logged in as SO). */
    public void initPin(char[] userPin) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            NativeArena.Bytes p = arena.utf8(userPin);
            Pkcs11Errors.check(Pkcs11Function.C_InitPIN, fn().C_InitPIN(handle, p.memory(), p.length()));
        }
    }

    /** {@code C_SetPIN}: changes the PIN of whoever is logged in. */
    public void setPin(char[] oldPin, char[] newPin) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            NativeArena.Bytes o = arena.utf8(oldPin);
            NativeArena.Bytes n = arena.utf8(newPin);
            Pkcs11Errors.check(Pkcs11Function.C_SetPIN,
                    fn().C_SetPIN(handle, o.memory(), o.length(), n.memory(), n.length()));
        }
    }

    /** {@code C_CloseSession}. Idempotent; a session the token already dropped closes quietly. */
    @Override
    public void close() throws Pkcs11Exception {
        if (closed) {
            return;
        }
        closed = true;
        closer.explicit = true;
        cleanable.clean();
        scratch.dispose();
        freeBulk();
        long rv = closer.rv;
        if (rv != CKR_SESSION_HANDLE_INVALID && rv != CKR_SESSION_CLOSED && rv != CKR_CRYPTOKI_NOT_INITIALIZED
                && rv != CKR_DEVICE_REMOVED && rv != CKR_TOKEN_NOT_PRESENT) {
            Pkcs11Errors.check(Pkcs11Function.C_CloseSession, rv);
        }
    }

    /**
     * Forgets a session the token has already dropped, without {@code C_CloseSession}: its handle
     * number may by now belong to a new session, which a close would end.
     */
    void abandon() {
        closed = true;
        closer.abandoned = true;
        cleanable.clean();
        scratch.dispose();
        freeBulk();
    }

    // ---------------------------------------------------------------- objects

    /** Starts a streamed search for objects matching {@code template}; close the search when done. */
    public ObjectSearch find(Template template) throws Pkcs11Exception {
        return new ObjectSearch(this, fn(), template);
    }

    /** Every object matching {@code template}. */
    public List<Long> findAll(Template template) throws Pkcs11Exception {
        List<Long> out = new ArrayList<>();
        try (ObjectSearch s = find(template)) {
            while (s.hasNext()) {
                out.add(s.next());
            }
        }
        return out;
    }

    /**
     * Every object matching the object attributes of {@code uri} ({@code object} = label,
     * {@code type} = class, {@code id}); a URI with a path attribute this code does not know
     * matches none. The URI's token attributes are not checked here: this session is on one token.
     */
    public List<Long> findAll(Pkcs11Uri uri) throws Pkcs11Exception {
        if (uri.hasUnrecognizedPathAttributes()) {
            return new ArrayList<>();
        }
        Template.Builder t = Template.builder();
        uri.object().ifPresent(t::label);
        uri.type().ifPresent(type -> t.objectClass(type.objectClass()));
        uri.id().ifPresent(t::id);
        return findAll(t.build());
    }

    /**
     * The {@code pkcs11:} URI of an object: this token's attributes, and the object's label,
     * type and id, so that a user can copy the exact URI of a key.
     */
    public Pkcs11Uri uriOf(long object) throws Pkcs11Exception {
        AttributeValues v = getAttributes(object, AttributeType.CLASS, AttributeType.LABEL, AttributeType.ID);
        Pkcs11Uri.Type type = null;
        long cls = v.require(AttributeType.CLASS);
        for (Pkcs11Uri.Type t : Pkcs11Uri.Type.values()) {
            if (t.objectClass() == cls) {
                type = t;
            }
        }
        return Pkcs11Uri.forObject(Token.uriInfo(token.info()),
                new Pkcs11Uri.ObjectInfo(v.get(AttributeType.LABEL).orElse(null), type, v.get(AttributeType.ID).orElse(null)));
    }

    /** The first object matching {@code template}, if any. */
    public Optional<Long> findFirst(Template template) throws Pkcs11Exception {
        try (ObjectSearch s = find(template)) {
            return s.hasNext() ? Optional.of(s.next()) : Optional.empty();
        }
    }

    /** {@code C_CreateObject}. */
    public long createObject(Template template) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pointer h = arena.allocate(abi().ulongSize());
            Pkcs11Errors.check(Pkcs11Function.C_CreateObject,
                    fn().C_CreateObject(handle, AttributeCodec.encode(template, arena), template.size(), h));
            return abi().getULong(h, 0);
        }
    }

    /** {@code C_CopyObject}, with {@code changes} applied to the copy. */
    public long copyObject(long object, Template changes) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pointer h = arena.allocate(abi().ulongSize());
            Pkcs11Errors.check(Pkcs11Function.C_CopyObject,
                    fn().C_CopyObject(handle, object, AttributeCodec.encode(changes, arena), changes.size(), h));
            return abi().getULong(h, 0);
        }
    }

    /** {@code C_DestroyObject}. */
    public void destroyObject(long object) throws Pkcs11Exception {
        Pkcs11Errors.check(Pkcs11Function.C_DestroyObject, fn().C_DestroyObject(handle, object));
    }

    /**
     * {@code C_GetAttributeValue} of several attributes. A sensitive or absent attribute is reported
     * as unavailable in the result; it does not fail the read of the others.
     */
    public AttributeValues getAttributes(long object, AttributeType<?>... types) throws Pkcs11Exception {
        return AttributeCodec.read(fn(), handle, object, Arrays.asList(types));
    }

    /**
     * As {@link #getAttributes}, in a single {@code C_GetAttributeValue} when every value fits in
     * {@code sizeHint} bytes (fixed-size attributes get their exact size); the rest are read the
     * usual way. For reading short attributes (labels, ids) of many objects.
     */
    public AttributeValues getAttributesSized(long object, int sizeHint, AttributeType<?>... types) throws Pkcs11Exception {
        return AttributeCodec.readSized(fn(), handle, object, Arrays.asList(types), sizeHint, scratch.open());
    }

    /** One attribute, or empty when it is sensitive or absent. */
    public <T> Optional<T> getAttribute(long object, AttributeType<T> type) throws Pkcs11Exception {
        return getAttributes(object, type).get(type);
    }

    /** {@code C_SetAttributeValue}. */
    public void setAttributes(long object, Template template) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pkcs11Errors.check(Pkcs11Function.C_SetAttributeValue,
                    fn().C_SetAttributeValue(handle, object, AttributeCodec.encode(template, arena), template.size()));
        }
    }

    // ---------------------------------------------------------------- sign / verify
    //
    // Each operation's state is tracked (see hasActiveOperation): set when its *Init succeeds,
    // cleared when it completes or fails, since PKCS#11 ends an operation on any error but
    // CKR_BUFFER_TOO_SMALL (which Outputs handles inside the call).

    /** Single-part {@code C_SignInit} + {@code C_Sign}. */
    public byte[] sign(Mechanism mechanism, long key, byte[] data) throws Pkcs11Exception {
        return sign(mechanism, key, data, 0, data.length);
    }

    /**
     * Single-part {@code C_SignInit} + {@code C_Sign} over {@code data[offset .. offset+length)}, so
     * that a caller buffering its input need not copy it into an array of the exact length first.
     */
    public byte[] sign(Mechanism mechanism, long key, byte[] data, int offset, int length) throws Pkcs11Exception {
        signInit(mechanism, key);
        return signRest(data, offset, length);
    }

    private byte[] signRest(byte[] data, int offset, int length) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pointer in = arena.bytes(data, offset, length);
            return Outputs.bytes(Pkcs11Function.C_Sign, arena, 512, (out, len) -> f.C_Sign(handle, in, length, out, len));
        } finally {
            active &= ~SIGN;
        }
    }

    public void signInit(Mechanism mechanism, long key) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pkcs11Errors.check(Pkcs11Function.C_SignInit, fn().C_SignInit(handle, mechanism.encode(arena), key));
            active |= SIGN;
        }
    }

    /** {@code C_Sign} after {@link #signInit} and, for keys that need it, a context-specific login. */
    public byte[] signAfterInit(byte[] data) throws Pkcs11Exception {
        return signAfterInit(data, 0, data.length);
    }

    /** {@link #signAfterInit(byte[])} over {@code data[offset .. offset+length)}. */
    public byte[] signAfterInit(byte[] data, int offset, int length) throws Pkcs11Exception {
        fn();
        return signRest(data, offset, length);
    }

    public void signUpdate(byte[] data, int offset, int length) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pkcs11Errors.check(Pkcs11Function.C_SignUpdate, fn().C_SignUpdate(handle, arena.bytes(data, offset, length), length));
        } catch (Pkcs11Exception | RuntimeException e) {
            active &= ~SIGN;
            throw e;
        }
    }

    public byte[] signFinal() throws Pkcs11Exception {
        Pkcs11Functions fx = fn();
        try (NativeArena arena = scratch.open()) {
            return Outputs.bytes(Pkcs11Function.C_SignFinal, arena, 512, (out, len) -> fx.C_SignFinal(handle, out, len));
        } finally {
            active &= ~SIGN;
        }
    }

    /**
     * Single-part verification. An invalid signature (or one of the wrong length) is {@code false},
     * not an exception.
     */
    public boolean verify(Mechanism mechanism, long key, byte[] data, byte[] signature) throws Pkcs11Exception {
        return verify(mechanism, key, data, 0, data.length, signature);
    }

    /** {@link #verify(Mechanism, long, byte[], byte[])} over {@code data[offset .. offset+length)}. */
    public boolean verify(Mechanism mechanism, long key, byte[] data, int offset, int length, byte[] signature)
            throws Pkcs11Exception {
        verifyInit(mechanism, key);
        try (NativeArena arena = scratch.open()) {
            long rv = f.C_Verify(handle, arena.bytes(data, offset, length), length, arena.bytes(signature), signature.length);
            return verdict(Pkcs11Function.C_Verify, rv);
        } finally {
            active &= ~VERIFY;
        }
    }

    public void verifyInit(Mechanism mechanism, long key) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pkcs11Errors.check(Pkcs11Function.C_VerifyInit, fn().C_VerifyInit(handle, mechanism.encode(arena), key));
            active |= VERIFY;
        }
    }

    public void verifyUpdate(byte[] data, int offset, int length) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pkcs11Errors.check(Pkcs11Function.C_VerifyUpdate, fn().C_VerifyUpdate(handle, arena.bytes(data, offset, length), length));
        } catch (Pkcs11Exception | RuntimeException e) {
            active &= ~VERIFY;
            throw e;
        }
    }

    public boolean verifyFinal(byte[] signature) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            return verdict(Pkcs11Function.C_VerifyFinal, fn().C_VerifyFinal(handle, arena.bytes(signature), signature.length));
        } finally {
            active &= ~VERIFY;
        }
    }

    private static boolean verdict(Pkcs11Function function, long rv) throws Pkcs11Exception {
        if (rv == CKR_SIGNATURE_INVALID || rv == CKR_SIGNATURE_LEN_RANGE) {
            return false;
        }
        Pkcs11Errors.check(function, rv);
        return true;
    }

    // ---------------------------------------------------------------- encrypt / decrypt

    /** Single-part {@code C_EncryptInit} + {@code C_Encrypt}. */
    public byte[] encrypt(Mechanism mechanism, long key, byte[] data) throws Pkcs11Exception {
        encryptInit(mechanism, key);
        try (NativeArena arena = scratch.open()) {
            Pointer in = arena.bytes(data);
            return Outputs.bytes(Pkcs11Function.C_Encrypt, arena, data.length + 64L,
                    (out, len) -> f.C_Encrypt(handle, in, data.length, out, len));
        } finally {
            active &= ~ENCRYPT;
        }
    }

    public void encryptInit(Mechanism mechanism, long key) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pkcs11Errors.check(Pkcs11Function.C_EncryptInit, fn().C_EncryptInit(handle, mechanism.encode(arena), key));
            active |= ENCRYPT;
        }
    }

    public byte[] encryptUpdate(byte[] data, int offset, int length) throws Pkcs11Exception {
        Pkcs11Functions fx = fn();
        try (NativeArena arena = scratch.open()) {
            Pointer in = arena.bytes(data, offset, length);
            return Outputs.bytes(Pkcs11Function.C_EncryptUpdate, arena, length + 64L,
                    (out, len) -> fx.C_EncryptUpdate(handle, in, length, out, len));
        } catch (Pkcs11Exception | RuntimeException e) {
            active &= ~ENCRYPT;
            throw e;
        }
    }

    public byte[] encryptFinal() throws Pkcs11Exception {
        Pkcs11Functions fx = fn();
        try (NativeArena arena = scratch.open()) {
            return Outputs.bytes(Pkcs11Function.C_EncryptFinal, arena, 64, (out, len) -> fx.C_EncryptFinal(handle, out, len));
        } finally {
            active &= ~ENCRYPT;
        }
    }

    /** Single-part {@code C_DecryptInit} + {@code C_Decrypt}. */
    public byte[] decrypt(Mechanism mechanism, long key, byte[] data) throws Pkcs11Exception {
        decryptInit(mechanism, key);
        return decryptAfterInit(data);
    }

    /** {@code C_Decrypt} after {@link #decryptInit} and, for keys that need it, a context-specific login. */
    public byte[] decryptAfterInit(byte[] data) throws Pkcs11Exception {
        Pkcs11Functions fx = fn();
        try (NativeArena arena = scratch.open()) {
            Pointer in = arena.bytes(data);
            return Outputs.bytes(Pkcs11Function.C_Decrypt, arena, data.length + 64L,
                    (out, len) -> fx.C_Decrypt(handle, in, data.length, out, len));
        } finally {
            active &= ~DECRYPT;
        }
    }

    public void decryptInit(Mechanism mechanism, long key) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pkcs11Errors.check(Pkcs11Function.C_DecryptInit, fn().C_DecryptInit(handle, mechanism.encode(arena), key));
            active |= DECRYPT;
        }
    }

    public byte[] decryptUpdate(byte[] data, int offset, int length) throws Pkcs11Exception {
        Pkcs11Functions fx = fn();
        try (NativeArena arena = scratch.open()) {
            Pointer in = arena.bytes(data, offset, length);
            return Outputs.bytes(Pkcs11Function.C_DecryptUpdate, arena, length + 64L,
                    (out, len) -> fx.C_DecryptUpdate(handle, in, length, out, len));
        } catch (Pkcs11Exception | RuntimeException e) {
            active &= ~DECRYPT;
            throw e;
        }
    }

    public byte[] decryptFinal() throws Pkcs11Exception {
        Pkcs11Functions fx = fn();
        try (NativeArena arena = scratch.open()) {
            return Outputs.bytes(Pkcs11Function.C_DecryptFinal, arena, 64, (out, len) -> fx.C_DecryptFinal(handle, out, len));
        } finally {
            active &= ~DECRYPT;
        }
    }

    // ---------------------------------------------------------------- encrypt / decrypt into the caller's array
    //
    // For bulk data: the input is copied once into one native buffer the session keeps (up to
    // BULK_KEEP bytes; larger calls get memory of their own), the token works in place — PKCS#11
    // allows the input and output of C_Encrypt/C_Decrypt and their Update forms to be the same
    // memory — and the output is copied once into the caller's array. Nothing is allocated per call
    // on the Java heap. Whatever plaintext is left in the buffer after the call is zeroed.

    /** The largest native bulk buffer a session keeps between calls. */
    private static final long BULK_KEEP = 2L * 1024 * 1024 + 256;
    private Memory bulk;
    /** Bytes at the start of {@link #bulk} holding digest input, zeroed when the digest ends. */
    private long digestInputInBulk;

    /**
     * Single-part {@code C_EncryptInit} + {@code C_Encrypt} of {@code in[inOff .. inOff+inLen)} into
     * {@code out} from {@code outOff}, the token allowed {@code out.length - outOff} bytes.
     *
     * <p>The token is offered room for {@code max(inLen, out.length - outOff)} bytes (some tokens
     * want room for the input's length even where the output is shorter); a result longer than
     * {@code out.length - outOff} fails with {@code CKR_BUFFER_TOO_SMALL}. Size {@code out} for the
     * mechanism's largest output.
     *
     * @return the number of bytes written
     * @throws Pkcs11Exception {@code CKR_BUFFER_TOO_SMALL} when the output does not fit (the
     *                         operation is ended all the same, its result discarded), or any failure
     *                         of the init or the call
     */
    public int encrypt(Mechanism mechanism, long key, byte[] in, int inOff, int inLen, byte[] out, int outOff)
            throws Pkcs11Exception {
        checkBounds(in, inOff, inLen, out, outOff); // before the init: a bad call leaves no operation behind
        encryptInit(mechanism, key);
        return bulkCall(Pkcs11Function.C_Encrypt, ENCRYPT, false, true, in, inOff, inLen, out, outOff);
    }

    /** As {@link #encrypt(Mechanism, long, byte[], int, int, byte[], int)}, with {@code C_DecryptInit} + {@code C_Decrypt}. */
    public int decrypt(Mechanism mechanism, long key, byte[] in, int inOff, int inLen, byte[] out, int outOff)
            throws Pkcs11Exception {
        checkBounds(in, inOff, inLen, out, outOff); // before the init: a bad call leaves no operation behind
        decryptInit(mechanism, key);
        return bulkCall(Pkcs11Function.C_Decrypt, DECRYPT, true, true, in, inOff, inLen, out, outOff);
    }

    /**
     * {@code C_EncryptUpdate} of {@code in[inOff .. inOff+inLen)} into {@code out} from {@code outOff}
     * (at most {@code out.length - outOff} bytes); returns the number of bytes written. When the
     * token answers {@code CKR_BUFFER_TOO_SMALL} the operation stays active and the call may be
     * repeated with more room (so may {@link #encryptFinal(byte[], int)}'s).
     */
    public int encryptUpdate(byte[] in, int inOff, int inLen, byte[] out, int outOff) throws Pkcs11Exception {
        return bulkCall(Pkcs11Function.C_EncryptUpdate, ENCRYPT, false, false, in, inOff, inLen, out, outOff);
    }

    /** {@code C_DecryptUpdate} into the caller's array, as {@link #encryptUpdate(byte[], int, int, byte[], int)}. */
    public int decryptUpdate(byte[] in, int inOff, int inLen, byte[] out, int outOff) throws Pkcs11Exception {
        return bulkCall(Pkcs11Function.C_DecryptUpdate, DECRYPT, true, false, in, inOff, inLen, out, outOff);
    }

    /** {@code C_EncryptFinal} into {@code out} from {@code outOff}; returns the number of bytes written. */
    public int encryptFinal(byte[] out, int outOff) throws Pkcs11Exception {
        return bulkCall(Pkcs11Function.C_EncryptFinal, ENCRYPT, false, true, null, 0, 0, out, outOff);
    }

    /** {@code C_DecryptFinal} into {@code out} from {@code outOff}; returns the number of bytes written. */
    public int decryptFinal(byte[] out, int outOff) throws Pkcs11Exception {
        return bulkCall(Pkcs11Function.C_DecryptFinal, DECRYPT, true, true, null, 0, 0, out, outOff);
    }

    private void freeBulk() {
        if (bulk != null) {
            wipeDigestInput();
            bulk.close(); // holds no plaintext: every call zeroes what it leaves, a digest when it ends
            bulk = null;
        }
    }

    /** The kept bulk buffer, grown to {@code size}; null when {@code size} is more than a session keeps. */
    private Memory keptBulk(long size) {
        if (size > BULK_KEEP) {
            return null;
        }
        if (bulk == null || bulk.size() < size) {
            freeBulk();
            bulk = new Memory(Math.max(size, 4096));
        }
        return bulk;
    }

    private static void checkBounds(byte[] in, int inOff, int inLen, byte[] out, int outOff) {
        java.util.Objects.checkFromIndexSize(inOff, inLen, in == null ? 0 : in.length);
        java.util.Objects.checkIndex(outOff, out.length + 1);
    }

    private long finishDiscarding(Pkcs11Functions fx, Pkcs11Function function, byte[] in, int inOff, int inLen, long need) {
        try (Memory big = new Memory(Math.max(1, Math.max(need, inLen)));
             NativeArena arena = new NativeArena(abi())) {
            if (inLen > 0) {
                big.write(0, in, inOff, inLen);
            }
            Pointer len = arena.ulong(big.size());
            long rv = function == Pkcs11Function.C_Encrypt ? fx.C_Encrypt(handle, big, inLen, big, len)
                    : fx.C_Decrypt(handle, big, inLen, big, len);
            big.clear();
            return rv;
        }
    }

    private int bulkCall(Pkcs11Function function, int op, boolean plainOut, boolean ends, byte[] in, int inOff, int inLen,
                         byte[] out, int outOff) throws Pkcs11Exception {
        Pkcs11Functions fx = fn();
        checkBounds(in, inOff, inLen, out, outOff);
        int outCap = out.length - outOff;
        long size = Math.max(1, Math.max(inLen, outCap));
        Memory m = keptBulk(size);
        boolean own = m == null;
        if (own) {
            m = new Memory(size);
        }
        long rv = CKR_GENERAL_ERROR;
        long tokenRv = CKR_GENERAL_ERROR;
        long written = 0;
        try (NativeArena arena = scratch.open()) {
            if (inLen > 0) {
                m.write(0, in, inOff, inLen);
            }
            // A single-part call offers the token the whole buffer: some ask for room for the input's
            // length even where the output is shorter (SoftHSM2's GCM decryption). An update is offered
            // the caller's room only, so that a short one is refused before the token consumes the input.
            boolean single = function == Pkcs11Function.C_Encrypt || function == Pkcs11Function.C_Decrypt;
            Pointer len = arena.ulong(single ? size : outCap);
            rv = switch (function) {
                case C_Encrypt -> fx.C_Encrypt(handle, m, inLen, m, len);
                case C_Decrypt -> fx.C_Decrypt(handle, m, inLen, m, len);
                case C_EncryptUpdate -> fx.C_EncryptUpdate(handle, m, inLen, m, len);
                case C_DecryptUpdate -> fx.C_DecryptUpdate(handle, m, inLen, m, len);
                case C_EncryptFinal -> fx.C_EncryptFinal(handle, m, len);
                case C_DecryptFinal -> fx.C_DecryptFinal(handle, m, len);
                default -> throw new IllegalArgumentException(function.name());
            };
            tokenRv = rv;
            if (rv == CKR_BUFFER_TOO_SMALL && (function == Pkcs11Function.C_Encrypt || function == Pkcs11Function.C_Decrypt)) {
                // A single-part call can only be finished by calling it again: do so into memory of the
                // size the token asked for, discard the result, and report the short buffer with the
                // operation ended (the caller has no way to resume it).
                tokenRv = finishDiscarding(fx, function, in, inOff, inLen, abi().getULong(len, 0));
            }
            if (rv == CKR_OK) {
                written = abi().getULong(len, 0);
                if (written > size) {
                    rv = CKR_GENERAL_ERROR; // a token that claims to have written past what it was given
                    written = 0;
                } else if (written > outCap) {
                    rv = CKR_BUFFER_TOO_SMALL; // the result does not fit the caller's array (the operation has ended)
                } else if (written > 0) {
                    m.read(0, out, outOff, (int) written);
                }
            }
        } finally {
            // Plaintext must not linger: the output of a decryption, the input of an encryption
            // beyond the ciphertext that overwrote it, and everything after a failure.
            long dirty = rv != CKR_OK || plainOut ? Math.max(inLen, written) : inLen > written ? inLen : 0;
            if (dirty > 0) {
                m.clear(dirty);
            }
            if (own) {
                m.close();
            }
            // PKCS#11: any failure but CKR_BUFFER_TOO_SMALL ends the operation, as does a successful
            // single-part or final call.
            if (tokenRv != CKR_BUFFER_TOO_SMALL && (ends || tokenRv != CKR_OK)) {
                active &= ~op;
            }
        }
        if (rv != CKR_OK) {
            throw Pkcs11Errors.of(function, rv);
        }
        return (int) written;
    }

    // ---------------------------------------------------------------- digest

    /** Single-part {@code C_DigestInit} + {@code C_Digest}. */
    public byte[] digest(Mechanism mechanism, byte[] data) throws Pkcs11Exception {
        digestInit(mechanism);
        try (NativeArena arena = scratch.open()) {
            Pointer in = arena.bytes(data);
            return Outputs.bytes(Pkcs11Function.C_Digest, arena, 64, (out, len) -> f.C_Digest(handle, in, data.length, out, len));
        } finally {
            digestEnded();
        }
    }

    public void digestInit(Mechanism mechanism) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pkcs11Errors.check(Pkcs11Function.C_DigestInit, fn().C_DigestInit(handle, mechanism.encode(arena)));
            active |= DIGEST;
        }
    }

    /**
     * {@code C_DigestUpdate} of {@code data[offset .. offset+length)}. The part goes through the
     * session's kept bulk buffer, which is zeroed once, when the digest ends (final, failure, cancel
     * or close), rather than after every part: streaming a large message costs one copy per part.
     */
    public void digestUpdate(byte[] data, int offset, int length) throws Pkcs11Exception {
        java.util.Objects.checkFromIndexSize(offset, length, data.length);
        Pkcs11Functions fx = fn();
        Memory m = keptBulk(Math.max(1, length));
        boolean own = m == null;
        if (own) {
            m = new Memory(length);
        } else {
            digestInputInBulk = Math.max(digestInputInBulk, length);
        }
        try {
            if (length > 0) {
                m.write(0, data, offset, length);
            }
            Pkcs11Errors.check(Pkcs11Function.C_DigestUpdate, fx.C_DigestUpdate(handle, m, length));
        } catch (Pkcs11Exception | RuntimeException e) {
            digestEnded();
            throw e;
        } finally {
            if (own) {
                m.clear();
                m.close();
            }
        }
    }

    /** The digest operation is over: mark it so, and zero the input it left in the bulk buffer. */
    private void digestEnded() {
        active &= ~DIGEST;
        wipeDigestInput();
    }

    private void wipeDigestInput() {
        if (digestInputInBulk > 0) {
            bulk.clear(digestInputInBulk);
            digestInputInBulk = 0;
        }
    }

    /**
     * {@code C_DigestKey}: digests a secret key's value without it leaving the token. (Some tokens,
     * SoftHSM2 among them, leave the digest running after refusing a key; the session then counts
     * as busy and a pool discards it.)
     */
    public void digestKey(long key) throws Pkcs11Exception {
        Pkcs11Errors.check(Pkcs11Function.C_DigestKey, fn().C_DigestKey(handle, key));
    }

    public byte[] digestFinal() throws Pkcs11Exception {
        Pkcs11Functions fx = fn();
        try (NativeArena arena = scratch.open()) {
            return Outputs.bytes(Pkcs11Function.C_DigestFinal, arena, 64, (out, len) -> fx.C_DigestFinal(handle, out, len));
        } finally {
            digestEnded();
        }
    }

    // ---------------------------------------------------------------- keys

    /** {@code C_GenerateKey}. */
    public long generateKey(Mechanism mechanism, Template template) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pointer h = arena.allocate(abi().ulongSize());
            Pkcs11Errors.check(Pkcs11Function.C_GenerateKey, fn().C_GenerateKey(handle, mechanism.encode(arena),
                    AttributeCodec.encode(template, arena), template.size(), h));
            return abi().getULong(h, 0);
        }
    }

    /** {@code C_GenerateKeyPair}. */
    public KeyPairHandles generateKeyPair(Mechanism mechanism, Template publicKey, Template privateKey)
            throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pointer pub = arena.allocate(abi().ulongSize());
            Pointer priv = arena.allocate(abi().ulongSize());
            Pkcs11Errors.check(Pkcs11Function.C_GenerateKeyPair, fn().C_GenerateKeyPair(handle, mechanism.encode(arena),
                    AttributeCodec.encode(publicKey, arena), publicKey.size(),
                    AttributeCodec.encode(privateKey, arena), privateKey.size(), pub, priv));
            return new KeyPairHandles(abi().getULong(pub, 0), abi().getULong(priv, 0));
        }
    }

    /** {@code C_WrapKey}: {@code key} encrypted under {@code wrappingKey}. */
    public byte[] wrapKey(Mechanism mechanism, long wrappingKey, long key) throws Pkcs11Exception {
        Pkcs11Functions fx = fn();
        try (NativeArena arena = scratch.open()) {
            Pointer m = mechanism.encode(arena);
            return TwoCall.bytes(Pkcs11Function.C_WrapKey, abi(), (out, len) -> fx.C_WrapKey(handle, m, wrappingKey, key, out, len));
        } catch (Pkcs11Exception e) {
            throw Pkcs11Errors.typed(e);
        }
    }

    /** {@code C_UnwrapKey}: a new key object from {@code wrapped}, with {@code template}'s attributes. */
    public long unwrapKey(Mechanism mechanism, long unwrappingKey, byte[] wrapped, Template template)
            throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pointer h = arena.allocate(abi().ulongSize());
            Pkcs11Errors.check(Pkcs11Function.C_UnwrapKey, fn().C_UnwrapKey(handle, mechanism.encode(arena), unwrappingKey,
                    arena.bytes(wrapped), wrapped.length, AttributeCodec.encode(template, arena), template.size(), h));
            return abi().getULong(h, 0);
        }
    }

    /** {@code C_DeriveKey}. */
    public long deriveKey(Mechanism mechanism, long baseKey, Template template) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pointer h = arena.allocate(abi().ulongSize());
            Pkcs11Errors.check(Pkcs11Function.C_DeriveKey, fn().C_DeriveKey(handle, mechanism.encode(arena), baseKey,
                    AttributeCodec.encode(template, arena), template.size(), h));
            return abi().getULong(h, 0);
        }
    }

    // ---------------------------------------------------------------- random

    /** {@code C_GenerateRandom} of {@code length} bytes. */
    public byte[] generateRandom(int length) throws Pkcs11Exception {
        byte[] out = new byte[length];
        generateRandom(out);
        return out;
    }

    /** Fills {@code out} with {@code C_GenerateRandom}. */
    public void generateRandom(byte[] out) throws Pkcs11Exception {
        if (out.length == 0) {
            return;
        }
        try (NativeArena arena = scratch.open()) {
            Pointer m = arena.allocate(out.length);
            Pkcs11Errors.check(Pkcs11Function.C_GenerateRandom, fn().C_GenerateRandom(handle, m, out.length));
            m.read(0, out, 0, out.length);
        }
    }

    /** {@code C_SeedRandom}. */
    public void seedRandom(byte[] seed) throws Pkcs11Exception {
        try (NativeArena arena = scratch.open()) {
            Pkcs11Errors.check(Pkcs11Function.C_SeedRandom, fn().C_SeedRandom(handle, arena.bytes(seed), seed.length));
        }
    }

    @Override
    public String toString() {
        return "Session[" + handle + " on slot " + token.slot().id() + (readWrite ? ", rw" : ", ro") + (closed ? ", closed" : "") + "]";
    }
}
