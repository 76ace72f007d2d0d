// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * Binds a module's hot functions ({@link DirectCalls}) through JNA direct mapping, where that is
 * provably the same call as through the function list.
 *
 * <p>Why: a call through a function pointer ({@code Function.invokeLong(Object[])}) boxes its
 * arguments and lets libffi classify them per call, some 0.7 µs; a direct-mapped static native has
 * its call interface prepared once. Direct mapping binds symbols by name, though, not pointers. So
 * the binder compares, for every hot function, the function list's pointer with the address the
 * module exports under the C name, and binds only when all are equal: a module whose list points
 * elsewhere (p11-kit's proxy, NSS softokn's 3.0 list, a decorating module) keeps the generic path for
 * every call, so no call skips what the module's list would have done.
 *
 * <p>A direct-mapped class binds to one library, so each module gets its own class: a hidden class
 * defined from the bytes of {@link DirectCallsLP64}. Hidden classes live in this package and module
 * (no class loader, no JPMS exports) and work the same from the module path and the class path.
 *
 * <p>Only where {@code CK_ULONG} and pointers are 8 bytes and structures are not packed (LP64: Linux,
 * macOS): the natives take {@code CK_ULONG} as a Java {@code long}. The system property
 * {@value #PROPERTY}{@code =false} turns the path off (to compare, or to rule it out).
 */
final class DirectCallBinder {

    /** The system property that turns the direct-call path off when {@code false}. */
    static final String PROPERTY = "io.p11j.sys.directCalls";

    private static final System.Logger LOG = System.getLogger(DirectCallBinder.class.getName());

    /** The C names of the template's natives: the functions that are bound directly or not at all. */
    private static final String[] HOT = hotNames();

    private static byte[] template;

    /**
     * One binding per library, however often it is loaded: JNA keeps a registered class and its
     * library for the life of the process, so a binding per load would pile up. Guarded by the class.
     */
    private static final java.util.Map<NativeLibrary, DirectCalls> BOUND = new java.util.IdentityHashMap<>();

    private DirectCallBinder() {
    }

    /**
     * The direct calls for the module {@code lib} whose function list holds {@code pointers} (in
     * {@link Pkcs11Function} order), or null when they cannot be proven equal to the list's calls.
     */
    static DirectCalls bind(NativeLibrary lib, Abi abi, Pointer[] pointers) {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"))) {
            return null;
        }
        if (!abi.equals(Abi.NATIVE) || abi.ulongSize() != 8 || abi.pointerSize() != 8 || abi.packed()
                || Native.LONG_SIZE != 8) {
            return null;
        }
        String mismatch = firstMismatch(lib, pointers);
        if (mismatch != null) {
            LOG.log(System.Logger.Level.DEBUG, () -> lib.getFile() + ": " + mismatch + "; direct calls off");
            return null;
        }
        try {
            return boundTo(lib);
        } catch (Throwable e) {
            // Nothing was bound, or not all: the generic path is always right, so it stays.
            if (e instanceof VirtualMachineError v) {
                throw v;
            }
            LOG.log(System.Logger.Level.DEBUG, () -> lib.getFile() + ": binding failed (" + e + "); direct calls off");
            return null;
        }
    }

    private static synchronized DirectCalls boundTo(NativeLibrary lib) throws Throwable {
        DirectCalls calls = BOUND.get(lib);
        if (calls == null) {
            MethodHandles.Lookup hidden = MethodHandles.lookup().defineHiddenClass(template(), true);
            Class<?> cls = hidden.lookupClass();
            Native.register(cls, lib);
            calls = (DirectCalls) hidden.findConstructor(cls, MethodType.methodType(void.class)).invoke();
            BOUND.put(lib, calls);
        }
        return calls;
    }

    /** Why the module's symbols are not its function list's, or null when every hot one is. */
    static String firstMismatch(NativeLibrary lib, Pointer[] pointers) {
        for (String name : HOT) {
            int i = Pkcs11Function.valueOf(name).ordinal();
            Pointer listed = i < pointers.length ? pointers[i] : null;
            if (listed == null) {
                return name + " is not in the function list";
            }
            Function exported;
            try {
                exported = lib.getFunction(name);
            } catch (UnsatisfiedLinkError e) {
                return name + " is not exported";
            }
            if (Pointer.nativeValue(exported) != Pointer.nativeValue(listed)) {
                return name + " is exported at another address than the function list's";
            }
        }
        return null;
    }

    private static byte[] template() {
        if (template == null) {
            try (InputStream in = DirectCallsLP64.class.getResourceAsStream("DirectCallsLP64.class")) {
                if (in == null) {
                    throw new IllegalStateException("DirectCallsLP64.class is not readable as a resource");
                }
                template = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return template;
    }

    private static String[] hotNames() {
        return java.util.Arrays.stream(DirectCallsLP64.class.getDeclaredMethods())
                .filter(m -> Modifier.isNative(m.getModifiers()))
                .map(Method::getName)
                .sorted()
                .toArray(String[]::new);
    }
}
