// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import io.p11j.testing.SoftHsm;
import org.junit.jupiter.api.Test;

import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The direct-call path from the packaged jars, each in a class loader of its own (with its own JNA):
 * the module jar on the module path, where the hidden classes must be defined inside module
 * {@code io.p11j}, and the shaded {@code -all.jar} on the class path. Both bind SoftHSM2 and call it.
 * (The other tests run from target/classes on the class path.)
 */
class DirectCallsPackagingIT {

    /** A session handle no module hands out; high bits set so a narrowed argument would show. */
    private static final long NO_SESSION = 0x7fff_0000_0000_deadL;

    @Test
    void moduleJarOnTheModulePathBindsAndCalls() throws Exception {
        Path jna = Path.of(com.sun.jna.Native.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path bc = Path.of(org.bouncycastle.asn1.ASN1Object.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleFinder finder = ModuleFinder.of(jar(false), jna, bc);
        Configuration cf = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), Set.of("io.p11j"));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
        ClassLoader loader = layer.findLoader("io.p11j");
        assertThat(loader.loadClass("io.p11j.sys.Pkcs11Library").getModule().getName()).isEqualTo("io.p11j");
        bindsAndCalls(loader);
    }

    @Test
    void shadedJarOnTheClassPathBindsAndCalls() throws Exception {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar(true).toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            assertThat(loader.loadClass("io.p11j.sys.Pkcs11Library").getModule().isNamed()).isFalse();
            bindsAndCalls(loader);
        }
    }

    private static void bindsAndCalls(ClassLoader loader) throws Exception {
        Class<?> library = loader.loadClass("io.p11j.sys.Pkcs11Library");
        Class<?> functions = loader.loadClass("io.p11j.sys.Pkcs11Functions");
        Class<?> pointer = loader.loadClass("com.sun.jna.Pointer");
        Class<?> memory = loader.loadClass("com.sun.jna.Memory");
        assertThat(pointer).isNotSameAs(com.sun.jna.Pointer.class);

        Object lib = library.getMethod("load", Path.class).invoke(null, SoftHsm.get().modulePath());
        Object f = library.getMethod("functions").invoke(lib);
        assertThat(f.getClass().getName()).isEqualTo("io.p11j.sys.JnaFunctionList");
        assertThat(f.getClass().getMethod("usesDirectCalls").invoke(f)).isEqualTo(true);

        // The call reaches SoftHSM2 through the direct binding: it knows no such session (or, if no test
        // of this JVM has initialized it yet, is not initialized); either way a CK_RV, not a link error.
        Object buffer = memory.getConstructor(long.class).newInstance(16L);
        Method random = functions.getMethod("C_GenerateRandom", long.class, pointer, long.class);
        assertThat((long) random.invoke(f, NO_SESSION, buffer, 16L)).isIn(
                Pkcs11Constants.CKR_SESSION_HANDLE_INVALID, Pkcs11Constants.CKR_CRYPTOKI_NOT_INITIALIZED);
        Method digestInit = functions.getMethod("C_DigestInit", long.class, pointer);
        assertThat((long) digestInit.invoke(f, NO_SESSION, buffer)).isIn(
                Pkcs11Constants.CKR_SESSION_HANDLE_INVALID, Pkcs11Constants.CKR_CRYPTOKI_NOT_INITIALIZED);
    }

    private static Path jar(boolean shaded) throws Exception {
        Path target = Path.of(System.getProperty("project.build.directory", "target"));
        try (Stream<Path> files = Files.list(target)) {
            List<Path> jars = files.filter(p -> p.getFileName().toString().matches("p11j-.*\\.jar")
                    && !p.getFileName().toString().contains("sources")
                    && p.getFileName().toString().endsWith("-all.jar") == shaded).collect(Collectors.toList());
            assertThat(jars).as(shaded ? "the shaded -all.jar" : "the module jar").hasSize(1);
            return jars.get(0);
        }
    }
}
