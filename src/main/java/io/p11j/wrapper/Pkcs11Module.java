// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Memory;
import io.p11j.sys.ModuleLoadException;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.Structs;
import io.p11j.sys.TwoCall;
import io.p11j.uri.ModuleAllowList;
import io.p11j.uri.ModuleNotAllowedException;
import io.p11j.uri.Pkcs11Uri;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.p11j.sys.Pkcs11Constants.CKF_DONT_BLOCK;
import static io.p11j.sys.Pkcs11Constants.CKR_NO_EVENT;

/**
 * A PKCS#11 module, loaded and initialized: the entry point of the wrapper.
 *
 * <pre>{@code
 * try (Pkcs11Module module = Pkcs11Module.open(Path.of("/usr/lib/softhsm/libsofthsm2.so"))) {
 *     Token token = module.tokens().get(0);
 *     try (Session s = token.openSession(true)) {
 *         s.login(UserType.USER, pin);
 *         byte[] sig = s.sign(Mechanism.of(CKM_SHA256_RSA_PKCS), key, data);
 *     }
 * }
 * }</pre>
 *
 * <p>PKCS#11 allows one {@code C_Initialize} per module per process, so every {@code Pkcs11Module}
 * on the same file shares one initialized module (reference-counted): closing one handle does not
 * pull the module from under the others; the last close calls {@code C_Finalize}, and only if this
 * process initialized the module. Thread-safe.
 */
public final class Pkcs11Module implements AutoCloseable {

    private final ModuleContext context;
    private final Pkcs11Functions functions;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private Pkcs11Module(ModuleContext context, Pkcs11Functions functions) {
        this.context = context;
        this.functions = functions;
    }

    /** Opens the module at {@code path} with default options. */
    public static Pkcs11Module open(Path path) throws ModuleLoadException, Pkcs11Exception {
        return open(path, ModuleOptions.defaults());
    }

    /**
     * Opens the module at {@code path}: loads and initializes it, or shares it with the handles
     * already open on it in this process.
     */
    public static Pkcs11Module open(Path path, ModuleOptions options) throws ModuleLoadException, Pkcs11Exception {
        ModuleContext ctx = ModuleContext.acquire(path, options);
        return new Pkcs11Module(ctx, options.decorator().apply(ctx.functions()));
    }

    /** The real path of the module file. */
    public Path path() {
        return context.path();
    }

    /** The raw functions (with this handle's decorator), for what the wrapper does not cover. */
    public Pkcs11Functions functions() {
        ensureOpen();
        return functions;
    }

    /** The sys-layer library under this module (shared by every handle on the same file). */
    public io.p11j.sys.Pkcs11Library library() {
        return context.library();
    }

    /** Whether this process initialized the module (so a recovery may finalize and re-initialize it). */
    public boolean ownsInitialization() {
        return context.ownsInitialization();
    }

    /** The version of the function list in use: 3.0 where the module offers it, else its 2.x version. */
    public Version functionListVersion() {
        int[] v = functions.functionListVersion();
        return new Version(v[0], v[1]);
    }

    /** {@code C_GetInfo}. */
    public ModuleInfo info() throws Pkcs11Exception {
        Memory m = Structs.CK_INFO.layout().allocate();
        Pkcs11Errors.check(Pkcs11Function.C_GetInfo, functions().C_GetInfo(m));
        return ModuleInfo.read(m);
    }

    /** {@code C_GetSlotList}: every slot, or only those with a token present. */
    public List<Slot> slots(boolean tokenPresent) throws Pkcs11Exception {
        byte present = (byte) (tokenPresent ? 1 : 0);
        Pkcs11Functions f = functions();
        long[] ids;
        try {
            ids = TwoCall.ulongs(Pkcs11Function.C_GetSlotList, f.abi(), (buf, len) -> f.C_GetSlotList(present, buf, len));
        } catch (Pkcs11Exception e) {
            throw Pkcs11Errors.typed(e);
        }
        List<Slot> out = new ArrayList<>(ids.length);
        for (long id : ids) {
            out.add(new Slot(this, id));
        }
        return out;
    }

    /** The tokens present, in slot order. */
    public List<Token> tokens() throws Pkcs11Exception {
        List<Token> out = new ArrayList<>();
        for (Slot s : slots(true)) {
            out.add(s.token());
        }
        return out;
    }

    /**
     * The tokens present that {@code uri} matches: every module, slot and token attribute it names
     * must match (token fields trimmed of their padding); {@code pkcs11:} matches all; a URI with a
     * path attribute this code does not know matches none (failing closed, as p11-kit does).
     * Object attributes are ignored here.
     */
    public List<Token> tokens(Pkcs11Uri uri) throws Pkcs11Exception {
        List<Token> out = new ArrayList<>();
        if (!uri.matchesModule(uriInfo(info()))) {
            return out;
        }
        for (Slot slot : slots(true)) {
            SlotInfo si = slot.info();
            if (!uri.matchesSlot(new Pkcs11Uri.SlotInfo(slot.id(), si.manufacturerId(), si.description()))) {
                continue;
            }
            Token t = slot.token();
            TokenInfo ti;
            try {
                ti = t.info();
            } catch (Pkcs11Exception e) {
                continue; // a token that cannot describe itself matches nothing
            }
            if (uri.matchesToken(Token.uriInfo(ti))) {
                out.add(t);
            }
        }
        return out;
    }

    /** The module's own {@code pkcs11:} URI: library manufacturer, description and version. */
    public Pkcs11Uri uri() throws Pkcs11Exception {
        ModuleInfo i = info();
        return Pkcs11Uri.builder().libraryManufacturer(i.manufacturerId()).libraryDescription(i.libraryDescription())
                .libraryVersion(new Pkcs11Uri.LibraryVersion(i.libraryVersion().major(), i.libraryVersion().minor()))
                .build();
    }

    private static Pkcs11Uri.ModuleInfo uriInfo(ModuleInfo i) {
        return new Pkcs11Uri.ModuleInfo(i.manufacturerId(), i.libraryDescription(),
                new Pkcs11Uri.LibraryVersion(i.libraryVersion().major(), i.libraryVersion().minor()));
    }

    /**
     * Opens the module a {@code pkcs11:} URI names ({@code module-path}, else {@code module-name}),
     * if {@code allowList} allows it: a URI from outside must not make the process load an arbitrary
     * library.
     *
     * @throws ModuleNotAllowedException the module is not on the allow-list (or unknown)
     * @throws IllegalArgumentException the URI names no module
     */
    public static Pkcs11Module open(Pkcs11Uri uri, ModuleAllowList allowList, ModuleOptions options)
            throws ModuleNotAllowedException, ModuleLoadException, Pkcs11Exception {
        Path path = allowList.resolve(uri).orElseThrow(() ->
                new IllegalArgumentException("the URI names no module (module-path or module-name): " + uri));
        return open(path, options);
    }

    /** The slot with {@code id} (not checked until used). */
    public Slot slot(long id) {
        return new Slot(this, id);
    }

    /**
     * {@code C_WaitForSlotEvent} without blocking: the slot where a token was inserted or removed
     * since the last call, if any. (Blocking waits are not offered: several modules, SoftHSM2
     * among them, do not support them, and they cannot be interrupted short of {@code C_Finalize}.)
     */
    public Optional<Slot> pollSlotEvent() throws Pkcs11Exception {
        Memory slot = new Memory(functions.abi().ulongSize());
        slot.clear();
        long rv = functions().C_WaitForSlotEvent(CKF_DONT_BLOCK, slot, null);
        if (rv == CKR_NO_EVENT) {
            return Optional.empty();
        }
        Pkcs11Errors.check(Pkcs11Function.C_WaitForSlotEvent, rv);
        return Optional.of(new Slot(this, functions.abi().getULong(slot, 0)));
    }

    /**
     * Waits up to {@code timeout} for a slot event (token inserted or removed), polling
     * {@code C_WaitForSlotEvent} with {@code CKF_DONT_BLOCK} every 50 ms: bounded and interruptible,
     * which the module's own blocking wait is not.
     *
     * @return the slot of the event, or empty when none came in time
     */
    public Optional<Slot> awaitSlotEvent(java.time.Duration timeout) throws Pkcs11Exception, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Slot> event = pollSlotEvent();
            if (event.isPresent()) {
                return event;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.sleep(Math.min(left, 50_000_000L));
        }
    }

    ModuleContext context() {
        return context;
    }

    /** Releases this handle; the last handle on the module finalizes it. Idempotent. */
    @Override
    public void close() throws Pkcs11Exception {
        if (closed.compareAndSet(false, true)) { // two threads closing one handle release it once
            context.release();
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("module handle for " + context.path() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "Pkcs11Module[" + context.path() + ", function list " + functionListVersion() + "]";
    }

}
