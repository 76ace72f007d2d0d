// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import org.junit.jupiter.api.Test;

import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar works on the module path: module {@code io.p11j} resolves against JNA's
 * automatic module, exports the sys layer, and its classes load and run in a module layer.
 * (The other tests run on the class path.)
 */
class ModuleDescriptorIT {

    @Test
    void jarIsTheModuleIoP11jAndRunsOnTheModulePath() throws Exception {
        Path jar = packagedJar();
        Path jna = Path.of(com.sun.jna.Native.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path bc = Path.of(org.bouncycastle.asn1.ASN1Object.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleFinder finder = ModuleFinder.of(jar, jna, bc);
        ModuleDescriptor d = finder.find("io.p11j").orElseThrow().descriptor();
        assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source).contains("io.p11j.sys");
        assertThat(d.requires()).extracting(ModuleDescriptor.Requires::name).contains("com.sun.jna");

        Configuration cf = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), Set.of("io.p11j"));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
        Class<?> constants = layer.findLoader("io.p11j").loadClass("io.p11j.sys.Pkcs11Constants");
        assertThat(constants.getModule().getName()).isEqualTo("io.p11j");
        Object name = constants.getMethod("rvName", long.class).invoke(null, 0xA0L);
        assertThat(name).isEqualTo("CKR_PIN_INCORRECT");
        Class<?> abi = layer.findLoader("io.p11j").loadClass("io.p11j.sys.Abi");
        Object nativeAbi = abi.getField("NATIVE").get(null);
        assertThat(abi.getMethod("ulongSize").invoke(nativeAbi)).isEqualTo(com.sun.jna.Native.LONG_SIZE);
    }

    /** On the module path the provider is found through {@code provides}, as on the class path through META-INF/services. */
    @Test
    void providerIsAServiceOnTheModulePathAndInTheJar() throws Exception {
        Path jar = packagedJar();
        Path jna = Path.of(com.sun.jna.Native.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path bc = Path.of(org.bouncycastle.asn1.ASN1Object.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleFinder finder = ModuleFinder.of(jar, jna, bc);
        ModuleDescriptor d = finder.find("io.p11j").orElseThrow().descriptor();
        assertThat(d.provides()).anySatisfy(p -> {
            assertThat(p.service()).isEqualTo("java.security.Provider");
            assertThat(p.providers()).containsExactly("io.p11j.provider.P11jProvider");
        });
        assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source).contains("io.p11j.provider")
                .doesNotContain("io.p11j.provider.token", "io.p11j.provider.key");

        Configuration cf = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(), Set.of("io.p11j"));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
        java.security.Provider p = java.util.ServiceLoader.load(layer, java.security.Provider.class).stream()
                .map(java.util.ServiceLoader.Provider::get).filter(x -> x.getName().equals("P11J")).findFirst().orElseThrow();
        assertThat(p.getClass().getModule().getName()).isEqualTo("io.p11j");

        try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
            var entry = j.getEntry("META-INF/services/java.security.Provider");
            assertThat(entry).as("class-path registration in the jar").isNotNull();
            assertThat(new String(j.getInputStream(entry).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip())
                    .isEqualTo("io.p11j.provider.P11jProvider");
        }
    }

    private static Path packagedJar() throws Exception {
        Path target = Path.of(System.getProperty("project.build.directory", "target"));
        try (Stream<Path> files = Files.list(target)) {
            Set<Path> jars = files.filter(p -> p.getFileName().toString().matches("p11j-.*\\.jar")
                    && !p.getFileName().toString().contains("sources")
                    && !p.getFileName().toString().endsWith("-all.jar")).collect(Collectors.toSet());
            assertThat(jars).as("the module jar built by the package phase (beside it: the class-path -all.jar)").hasSize(1);
            return jars.iterator().next();
        }
    }
}
