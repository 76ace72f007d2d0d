// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.InterceptingFunctions;
import io.p11j.sys.ModuleLoadException;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.Pkcs11Library;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static io.p11j.sys.Pkcs11Constants.CKR_CRYPTOKI_NOT_INITIALIZED;

/**
 * One loaded and initialized module, shared by every {@link Pkcs11Module} handle on the same file in
 * this process: PKCS#11 allows one {@code C_Initialize} per module per process. Reference-counted;
 * the last handle's close finalizes it (if this process initialized it).
 *
 * <p>Every call goes through a read lock; {@link #reinitialize} takes the write lock, so
 * {@code C_Finalize} never runs while a call is in flight, and bumps the {@link #generation()} so
 * that every user knows its sessions and handles are gone.
 */
final class ModuleContext {

    private static final Map<Path, ModuleContext> OPEN = new HashMap<>();

    private final Path path;
    private final Pkcs11Library library;
    private final String reserved;
    private final Pkcs11Library.Initialization initialization;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final AtomicLong generation = new AtomicLong();
    private final Pkcs11Functions guarded;
    private int references;

    private ModuleContext(Path path, Pkcs11Library library, String reserved, Pkcs11Library.Initialization init) {
        this.path = path;
        this.library = library;
        this.reserved = reserved;
        this.initialization = init;
        this.guarded = new Guarded(library.functions());
    }

    /** The shared context for {@code path}, loading and initializing the module on first use. */
    static ModuleContext acquire(Path path, ModuleOptions options) throws ModuleLoadException, Pkcs11Exception {
        Path key = canonical(path);
        synchronized (OPEN) {
            ModuleContext ctx = OPEN.get(key);
            if (ctx == null) {
                Pkcs11Library lib = Pkcs11Library.load(key, options.interfaceChoice());
                Pkcs11Library.Initialization init = lib.initialize(options.reserved());
                ctx = new ModuleContext(key, lib, options.reserved(), init);
                OPEN.put(key, ctx);
            } else if (!Objects.equals(ctx.reserved, options.reserved())) {
                throw new IllegalStateException(key + " is already initialized in this process with other"
                        + " initialization arguments (pReserved); one module takes one configuration per process");
            }
            ctx.references++;
            return ctx;
        }
    }

    private static Path canonical(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            return abs; // Pkcs11Library.load reports the missing file with its path
        }
    }

    /** Drops one reference; the last one finalizes the module if this process initialized it. */
    void release() throws Pkcs11Exception {
        synchronized (OPEN) {
            if (--references > 0) {
                return;
            }
            OPEN.remove(path);
        }
        lifecycle.writeLock().lock();
        try {
            library.finalizeModule();
        } finally {
            // Sessions of this initialization are gone; a later one may reuse their handle numbers,
            // so nothing (a Session, its cleaner) may use them again.
            generation.incrementAndGet();
            lifecycle.writeLock().unlock();
        }
    }

    Path path() {
        return path;
    }

    Pkcs11Library library() {
        return library;
    }

    /** The function table with the lifecycle guard around every call. */
    Pkcs11Functions functions() {
        return guarded;
    }

    /** Increases each time the module is re-initialized: sessions and handles of an older generation are gone. */
    long generation() {
        return generation.get();
    }

    /** Whether this process initialized the module (and may therefore finalize and re-initialize it). */
    boolean ownsInitialization() {
        return initialization == Pkcs11Library.Initialization.INITIALIZED;
    }

    /**
     * {@code C_Finalize} then {@code C_Initialize}, unless another caller already did so since
     * {@code seenGeneration}. Waits at most {@code timeoutMillis} for calls in flight to finish. The
     * two calls go through {@code via}, the caller's (possibly decorated) functions, so that tracing
     * and fault-injecting layers see them; the write lock held here lets them take the read lock.
     *
     * @return the generation after the call
     */
    long reinitialize(long seenGeneration, long timeoutMillis, Pkcs11Functions via)
            throws Pkcs11Exception, InterruptedException {
        if (!ownsInitialization()) {
            throw new IllegalStateException(path + " was initialized by another part of this process;"
                    + " it is not ours to finalize and re-initialize");
        }
        if (!lifecycle.writeLock().tryLock(timeoutMillis, TimeUnit.MILLISECONDS)) {
            throw new Pkcs11Exception(Pkcs11Function.C_Finalize, CKR_CRYPTOKI_NOT_INITIALIZED,
                    "calls in flight did not finish within " + timeoutMillis + " ms");
        }
        try {
            if (generation.get() != seenGeneration) {
                return generation.get(); // someone else recovered the module meanwhile
            }
            via.C_Finalize(com.sun.jna.Pointer.NULL); // whatever it answers, start afresh
            Pkcs11Library.Initialization init = library.initialize(reserved, via);
            if (init != Pkcs11Library.Initialization.INITIALIZED) {
                throw new IllegalStateException(path + " was initialized elsewhere during recovery");
            }
            return generation.incrementAndGet();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    /** Holds the lifecycle read lock for the duration of each call. */
    private final class Guarded extends InterceptingFunctions {
        Guarded(Pkcs11Functions delegate) {
            super(delegate);
        }

        @Override
        protected void beforeCall(Pkcs11Function function) {
            lifecycle.readLock().lock();
        }

        @Override
        protected long afterCall(Pkcs11Function function, long rv) {
            lifecycle.readLock().unlock();
            return rv;
        }
    }
}
