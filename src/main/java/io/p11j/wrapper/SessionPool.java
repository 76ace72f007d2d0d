// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.NativeArena;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * A bounded, thread-safe pool of sessions on one token, which survives the token dropping its
 * sessions and the module failing.
 *
 * <p>{@link #execute} (or {@link #borrow}) hands a session to one caller at a time: an operation
 * never runs on a session another thread is using. Sessions are reused; an idle one older than
 * {@link PoolConfig#validateAfter()} is checked before reuse. The user is logged in once per token
 * (PKCS#11 login state is shared by the application's sessions) with the PIN from the
 * {@link PinSupplier}.
 *
 * <p><b>Recovery.</b> When an operation fails because the token dropped its sessions or forgot the
 * login ({@code CKR_SESSION_HANDLE_INVALID}, {@code CKR_SESSION_CLOSED}, {@code CKR_TOKEN_NOT_PRESENT},
 * {@code CKR_DEVICE_REMOVED}, {@code CKR_USER_NOT_LOGGED_IN}, {@code CKR_DEVICE_ERROR} …), or a
 * key handle became invalid while the token itself is failing, {@link #execute} recovers and runs
 * the work once more. Recovery escalates only as far as needed: reopen a session on the token,
 * found again by label and serial (slot ids change); if the module itself still fails, finalize and
 * re-initialize it (only when this process initialized it; every other user of the module sees its
 * sessions end and recovers in turn), and once it failed, again at each retry while it does not list
 * the token (many modules list their tokens only at {@code C_Initialize}); then log in again, asking
 * the {@code PinSupplier} again. A pool whose module was re-initialized by anyone also logs in again
 * and finds its objects again.
 * Key handles held as {@link ObjectRef}s are found again by class, id and label. A caller waits at
 * most {@link PoolConfig#recoveryTimeout()}, then gets a {@link TokenUnavailableException}.
 *
 * <p>A PIN the token rejected is never sent again automatically: the pool remembers a salted digest
 * of it and refuses to retry it, so no retry loop can lock the token. {@link #login(char[])} gives it
 * a new PIN.
 */
public final class SessionPool implements AutoCloseable {

    /** Work to run on a borrowed session. */
    @FunctionalInterface
    public interface SessionWork<T> {
        T run(Session session) throws Pkcs11Exception;
    }

    private record Idle(Session session, long sinceNanos) {
    }

    private final Pkcs11Module module;
    private final String label;
    private final String serial;
    private final PoolConfig config;
    private final int maxSessions;
    private final Semaphore permits;
    private final Object lock = new Object();
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();
    private final ReentrantLock recovery = new ReentrantLock();
    private final byte[] pinSalt = new byte[16];

    private volatile Token token;
    private volatile long epoch;
    private long epochGeneration; // the module initialization the current epoch belongs to (guarded by lock)
    private boolean moduleFailing; // a module-level failure, and no recovery has succeeded since (guarded by recovery)
    private volatile PinSupplier pins;
    private long loggedInEpoch = -1;
    private byte[] rejectedPin;
    private volatile boolean closed;

    private SessionPool(Token token, TokenInfo info, PoolConfig config, PinSupplier pins) {
        this.module = token.module();
        this.token = token;
        this.label = info.label();
        this.serial = info.serialNumber();
        this.config = config;
        long tokenMax = info.maxSessionCount();
        this.maxSessions = tokenMax > 0 ? (int) Math.min(config.maxSessions(), tokenMax) : config.maxSessions();
        this.permits = new Semaphore(maxSessions, true);
        this.pins = pins;
        this.epochGeneration = module.context().generation();
        // The JDK's own DRBG by name: the first provider may be a token's (P11J at position 1).
        try {
            SecureRandom.getInstance("DRBG", "SUN").nextBytes(pinSalt);
        } catch (java.security.GeneralSecurityException e) {
            new SecureRandom().nextBytes(pinSalt);
        }
    }

    /**
     * A pool on {@code token}. With a {@code pins} supplier the user is logged in right away, so a
     * wrong PIN fails here; with null, sessions stay public — unless the token has a protected
     * authentication path and requires login, in which case the pool logs in without a PIN.
     */
    public static SessionPool open(Token token, PoolConfig config, PinSupplier pins) throws Pkcs11Exception {
        TokenInfo info = token.info();
        if (pins == null && info.has(TokenFlag.PROTECTED_AUTHENTICATION_PATH) && info.has(TokenFlag.LOGIN_REQUIRED)) {
            pins = PinSupplier.protectedAuthenticationPath(); // the PIN pad asks; no PIN passes through us
        }
        SessionPool pool = new SessionPool(token, info, config, pins);
        if (pins != null) {
            try (PooledSession s = pool.borrow()) {
                s.session(); // borrow logged in
            } catch (Pkcs11Exception | RuntimeException e) {
                pool.close();
                throw e;
            }
        }
        return pool;
    }

    /** The token this pool serves (it may move to another slot across a recovery). */
    public Token token() {
        return token;
    }

    /** Most sessions this pool opens at once. */
    public int maxSessions() {
        return maxSessions;
    }

    /**
     * Increases with each recovery, and whenever the module was re-initialized (by any user in this
     * process); handles from an earlier epoch may be stale.
     */
    public long epoch() {
        return currentEpoch();
    }

    /**
     * The epoch, after starting a new one if the module was re-initialized since the current one
     * began — by a recovery of this pool that then failed to find the token, or by another pool on the
     * same module: the sessions, the login and the object handles of the old initialization are gone,
     * and a handle number of it may now name another object.
     */
    private long currentEpoch() {
        long g = module.context().generation();
        synchronized (lock) {
            if (g != epochGeneration) {
                epochGeneration = g;
                epoch++;
                loggedInEpoch = -1;
            }
            return epoch;
        }
    }

    /**
     * Runs {@code work} on a session of the pool; if it fails because the token or module dropped
     * the session (see class doc), recovers and runs it once more.
     */
    public <T> T execute(SessionWork<T> work) throws Pkcs11Exception {
        try (PooledSession ps = borrow()) {
            try {
                return work.run(ps.session());
            } catch (Pkcs11Exception e) {
                if (!shouldRecover(e, ps.session())) {
                    drop(ps, e);
                    throw e;
                }
                drop(ps, e);
                recover(ps.epoch(), e);
            }
        }
        try (PooledSession ps = borrow()) {
            try {
                return work.run(ps.session());
            } catch (Pkcs11Exception e) {
                drop(ps, e);
                throw e;
            }
        }
    }

    /** After {@code e}: forget a session the token dropped, close one that is merely unusable, keep the rest. */
    private static void drop(PooledSession ps, Pkcs11Exception e) {
        if (isHandleDead(e.rv())) {
            ps.abandon();
        } else if (isSessionFatal(e.rv())) {
            ps.discard();
        }
    }

    /** The token says the handle is gone: closing that number again could hit a new session. */
    private static boolean isHandleDead(long rv) {
        return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_DEVICE_REMOVED
                || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_CRYPTOKI_NOT_INITIALIZED;
    }

    /** A session for one caller, logged in; close the returned handle to give it back. */
    public PooledSession borrow() throws Pkcs11Exception {
        if (closed) {
            throw new IllegalStateException("session pool is closed");
        }
        try {
            if (!permits.tryAcquire(config.borrowTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new TokenUnavailableException(Pkcs11Function.C_OpenSession, CKR_SESSION_COUNT,
                        "no session of " + maxSessions + " became free within " + config.borrowTimeout().toMillis() + " ms", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TokenUnavailableException(Pkcs11Function.C_OpenSession, CKR_FUNCTION_CANCELED, "interrupted", e);
        }
        long borrowedEpoch = currentEpoch();
        Session s = null;
        try {
            s = takeIdle();
            if (s == null) {
                try {
                    s = token.openSession(config.readWrite());
                } catch (Pkcs11Exception e) {
                    if (!isRecoverable(e.rv())) {
                        throw e;
                    }
                    recover(borrowedEpoch, e);
                    s = takeIdle();
                    if (s == null) {
                        s = token.openSession(config.readWrite());
                    }
                }
            }
            // Again now that the session is open: if the module was re-initialized meanwhile, this
            // session belongs to a new epoch, so it logs in and object handles are found again.
            borrowedEpoch = currentEpoch();
            ensureLoggedIn(s);
            return new PooledSession(this, s, borrowedEpoch);
        } catch (Pkcs11Exception | RuntimeException e) {
            if (s != null) {
                closeQuietly(s);
            }
            permits.release();
            throw e;
        }
    }

    private Session takeIdle() {
        while (true) {
            Idle i;
            synchronized (lock) {
                i = idle.pollFirst();
            }
            if (i == null) {
                return null;
            }
            Session s = i.session();
            if (!s.isCurrent()) {
                closeQuietly(s);
                continue;
            }
            if (System.nanoTime() - i.sinceNanos() > config.validateAfter().toNanos()) {
                try {
                    s.info();
                } catch (Pkcs11Exception e) {
                    closeQuietly(s);
                    continue;
                }
            }
            return s;
        }
    }

    void giveBack(Session s, boolean discard, long borrowedEpoch) {
        try {
            if (!discard && s.isCurrent() && s.hasActiveOperation()) {
                s.cancelOperations(); // ends it without closing the session, whose session objects would die
            }
            // A session still in an operation that could not be ended would fail the next borrower
            // with CKR_OPERATION_ACTIVE: closing it ends the operation.
            if (discard || closed || borrowedEpoch != epoch || !s.isCurrent() || s.hasActiveOperation()) {
                closeQuietly(s);
            } else {
                synchronized (lock) {
                    idle.addFirst(new Idle(s, System.nanoTime()));
                }
            }
        } finally {
            permits.release();
        }
    }

    /** Gives the pool a new PIN (after one was rejected, or when none was kept) and logs in with it now. */
    public void login(char[] pin) throws Pkcs11Exception {
        PinSupplier old = pins;
        pins = PinSupplier.of(pin);
        synchronized (lock) {
            rejectedPin = null;
            loggedInEpoch = -1;
        }
        if (old != null) {
            old.close();
        }
        try (PooledSession s = borrow()) {
            s.session();
        }
    }

    /**
     * Logs the user out of the token ({@code C_Logout}: for every session of this process, as login
     * state is per token) and wipes the held PIN: later borrowers get public sessions until the next
     * {@link #login(char[])}.
     */
    public void logout() throws Pkcs11Exception {
        PinSupplier old = pins;
        pins = null;
        synchronized (lock) {
            loggedInEpoch = -1;
        }
        if (old != null) {
            old.close();
        }
        try (PooledSession s = borrow()) {
            s.session().logout();
        }
    }

    /** Whether the pool holds a way to log in (a PIN supplier), i.e. whether its sessions are logged in. */
    public boolean hasLogin() {
        return pins != null;
    }

    private void ensureLoggedIn(Session s) throws Pkcs11Exception {
        PinSupplier supplier = pins;
        if (supplier == null) {
            return;
        }
        long e = epoch;
        synchronized (lock) {
            if (loggedInEpoch == e) {
                return;
            }
        }
        char[] pin;
        try {
            pin = supplier.pin();
        } catch (IOException ex) {
            throw new Pkcs11Exception(Pkcs11Function.C_Login, CKR_PIN_INCORRECT, "no PIN: " + ex.getMessage());
        }
        try {
            if (pin == null) {
                s.loginProtected(UserType.USER);
            } else {
                byte[] digest = digest(pin);
                synchronized (lock) {
                    if (rejectedPin != null && MessageDigest.isEqual(rejectedPin, digest)) {
                        throw new Pkcs11Errors.PinIncorrectException(Pkcs11Function.C_Login, CKR_PIN_INCORRECT,
                                "not sent again: the token rejected this PIN before (give a new one with login)");
                    }
                }
                try {
                    s.login(UserType.USER, pin);
                } catch (Pkcs11Errors.PinIncorrectException | Pkcs11Errors.PinLockedException ex) {
                    synchronized (lock) {
                        rejectedPin = digest;
                    }
                    throw ex;
                }
            }
        } finally {
            if (pin != null) {
                Arrays.fill(pin, '\0');
            }
        }
        synchronized (lock) {
            if (epoch == e) {
                loggedInEpoch = e;
            }
        }
    }

    private byte[] digest(char[] pin) {
        byte[] utf8 = NativeArena.encodeUtf8(pin);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(pinSalt);
            return md.digest(utf8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        } finally {
            Arrays.fill(utf8, (byte) 0);
        }
    }

    // ---------------------------------------------------------------- recovery

    private static boolean isRecoverable(long rv) {
        // CKR_SLOT_ID_INVALID: the token moved to another slot (a re-initialized module renumbers them).
        return Pkcs11Errors.isSessionLost(rv) || rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_GENERAL_ERROR
                || rv == CKR_SLOT_ID_INVALID;
    }

    private static boolean isSessionFatal(long rv) {
        return Pkcs11Errors.isSessionLost(rv) || rv == CKR_GENERAL_ERROR;
    }

    /** Module-level failures: reopening sessions does not help, re-initializing may. */
    private static boolean isModuleLevel(long rv) {
        return rv == CKR_DEVICE_ERROR || rv == CKR_CRYPTOKI_NOT_INITIALIZED || rv == CKR_GENERAL_ERROR
                || rv == CKR_TOKEN_NOT_RECOGNIZED;
    }

    /** The token is not where the pool knew it: removed, or its slot gone. */
    private static boolean isTokenMissing(long rv) {
        return rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SLOT_ID_INVALID || rv == CKR_DEVICE_REMOVED;
    }

    private boolean shouldRecover(Pkcs11Exception e, Session s) {
        if (isRecoverable(e.rv())) {
            return true;
        }
        if (e.rv() == CKR_OBJECT_HANDLE_INVALID || e.rv() == CKR_KEY_HANDLE_INVALID) {
            // A vanished object on a healthy token is the caller's problem. But a token that logged
            // everyone out hides private objects (SoftHSM2 then answers OBJECT_HANDLE_INVALID), and a
            // failing token loses its objects: in those cases, recover.
            try {
                if (pins != null && !s.info().state().userLoggedIn()) {
                    return true;
                }
                s.token().info();
                return false;
            } catch (Pkcs11Exception health) {
                return true;
            }
        }
        return false;
    }

    /**
     * Brings the pool back after {@code cause}, unless another thread already did since
     * {@code seenEpoch}. Escalates from reopening sessions to re-initializing the module.
     */
    void recover(long seenEpoch, Pkcs11Exception cause) throws Pkcs11Exception {
        long timeout = config.recoveryTimeout().toMillis();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
        try {
            if (!recovery.tryLock(timeout, TimeUnit.MILLISECONDS)) {
                throw unavailable("another thread's recovery did not finish within " + timeout + " ms", cause);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted while waiting for recovery", e);
        }
        try {
            if (epoch != seenEpoch) {
                return;
            }
            drainIdle(!isHandleDead(cause.rv()));
            boolean reinitialize = false;
            long backoff = 20;
            Pkcs11Exception last = cause;
            while (true) {
                try {
                    if (reinitialize) {
                        if (!module.context().ownsInitialization()) {
                            throw unavailable("the module fails and was initialized by another part of this process,"
                                    + " so it cannot be re-initialized here", last);
                        }
                        long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                        module.context().reinitialize(module.context().generation(), Math.max(remaining, 1),
                                module.functions());
                        reinitialize = false;
                    }
                    long generation = module.context().generation();
                    Token found = locate();
                    Session s = found.openSession(config.readWrite());
                    try {
                        s.info();
                    } catch (Pkcs11Exception e) {
                        closeQuietly(s);
                        throw e;
                    }
                    synchronized (lock) {
                        token = found;
                        epoch++;
                        epochGeneration = generation;
                        loggedInEpoch = -1;
                    }
                    try {
                        ensureLoggedIn(s);
                    } catch (Pkcs11Exception e) {
                        closeQuietly(s);
                        if (isModuleLevel(e.rv()) || isRecoverable(e.rv())) {
                            throw e;
                        }
                        return; // a PIN problem: recovery itself is done, the caller sees the login error next
                    }
                    synchronized (lock) {
                        idle.addFirst(new Idle(s, System.nanoTime()));
                    }
                    moduleFailing = false;
                    return;
                } catch (TokenUnavailableException e) {
                    throw e;
                } catch (Pkcs11Exception e) {
                    last = e;
                    if (isModuleLevel(e.rv())) {
                        moduleFailing = true;
                    }
                    // Once the module failed, a token it no longer lists may be one it stopped looking for:
                    // many modules (p11-kit's client; SoftHSM2 for a token whose files went away) list their
                    // tokens at C_Initialize only. So re-initialize again on every retry until it is back.
                    if (module.context().ownsInitialization()
                            && (isModuleLevel(e.rv()) || (moduleFailing && isTokenMissing(e.rv())))) {
                        reinitialize = true;
                    }
                    long now = System.nanoTime();
                    if (now >= deadline) {
                        throw unavailable("token '" + label + "' (serial " + serial + ") did not come back within "
                                + timeout + " ms", e);
                    }
                    // The last try comes at the deadline: a caller waits the whole recovery timeout, no longer.
                    TimeUnit.NANOSECONDS.sleep(Math.min(TimeUnit.MILLISECONDS.toNanos(backoff), deadline - now));
                    backoff = Math.min(backoff * 2, 500);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted during recovery", e);
        } finally {
            recovery.unlock();
        }
    }

    /** The token again, by label and serial, in whatever slot it now sits. */
    private Token locate() throws Pkcs11Exception {
        Pkcs11Exception failed = null;
        List<Slot> slots = module.slots(true);
        for (Slot slot : slots) {
            try {
                TokenInfo info = slot.token().info();
                if (info.label().equals(label) && info.serialNumber().equals(serial)) {
                    return slot.token();
                }
            } catch (Pkcs11Exception e) {
                failed = e; // a slot that cannot describe its token may be ours, broken
            }
        }
        if (failed != null) {
            throw failed;
        }
        throw new Pkcs11Errors.TokenNotPresentException(Pkcs11Function.C_GetTokenInfo, CKR_TOKEN_NOT_PRESENT);
    }

    private TokenUnavailableException unavailable(String message, Throwable cause) {
        long rv = cause instanceof Pkcs11Exception p ? p.rv() : CKR_TOKEN_NOT_PRESENT;
        return new TokenUnavailableException(Pkcs11Function.C_OpenSession, rv, message, cause);
    }

    /** Empties the idle list, closing the sessions, or only forgetting them when the token dropped them. */
    private void drainIdle(boolean close) {
        while (true) {
            Idle i;
            synchronized (lock) {
                i = idle.pollFirst();
            }
            if (i == null) {
                return;
            }
            if (close) {
                closeQuietly(i.session());
            } else {
                i.session().abandon();
            }
        }
    }

    private static void closeQuietly(Session s) {
        try {
            s.close();
        } catch (Pkcs11Exception | RuntimeException ignored) {
            // a session being discarded: nothing useful to do with its error
        }
    }

    // ---------------------------------------------------------------- objects

    /** A reference to the token object {@code handle} that survives recovery (found again by class, id and label). */
    public ObjectRef ref(Session session, long handle) throws Pkcs11Exception {
        return ObjectRef.of(this, session, handle);
    }

    /**
     * A reference to {@code handle} whose class, id and label the caller knows already (it just
     * created the object): no attribute read.
     */
    public ObjectRef ref(long handle, long objectClass, byte[] id, String label) {
        return ObjectRef.known(this, handle, objectClass, id, label);
    }

    /** Closes idle sessions and wipes the held PIN; borrowed sessions close when given back. */
    @Override
    public void close() {
        closed = true;
        drainIdle(true);
        PinSupplier p = pins;
        if (p != null) {
            p.close();
        }
    }

    @Override
    public String toString() {
        return "SessionPool[token '" + label + "', max " + maxSessions + " sessions, epoch " + epoch + "]";
    }
}
