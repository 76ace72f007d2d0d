// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleResolverTest {

    @TempDir
    Path root;

    private Path etcModules;
    private Path shareModules;
    private Path p11KitDir;
    private Path moduleDir;
    private Path softhsm;
    private ModuleResolver resolver;

    @BeforeEach
    void layout() throws IOException {
        etcModules = Files.createDirectories(root.resolve("etc/pkcs11/modules"));
        shareModules = Files.createDirectories(root.resolve("usr/share/p11-kit/modules"));
        p11KitDir = Files.createDirectories(root.resolve("usr/lib/x86_64-linux-gnu/pkcs11"));
        moduleDir = Files.createDirectories(root.resolve("usr/lib64/pkcs11"));
        softhsm = touch(root.resolve("usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"));
        touch(p11KitDir.resolve("opensc-pkcs11.so"));
        touch(moduleDir.resolve("libfoo.so"));
        touch(moduleDir.resolve("bar.so"));
        touch(moduleDir.resolve("libbar.so.1"));
        write(shareModules.resolve("softhsm2.module"), "# SoftHSM\n\nmodule: " + softhsm + "\n");
        write(shareModules.resolve("opensc-pkcs11.module"), "module: opensc-pkcs11.so\n");
        write(shareModules.resolve("override.module"), "module: /share/version.so\n");
        write(etcModules.resolve("override.module"), "module: /etc/version.so\ncritical: yes\n");
        write(etcModules.resolve("remote.module"), "remote: |ssh host p11-kit remote\n");
        write(etcModules.resolve("notes.txt"), "module: /not/a/module.so\n");
        resolver = new ModuleResolver(List.of(etcModules, shareModules), List.of(p11KitDir), List.of(moduleDir));
    }

    private static Path touch(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, new byte[] {0x7F, 'E', 'L', 'F'});
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text);
    }

    @Test
    void registeredModulesAreReadFromTheConfigFiles() {
        assertThat(resolver.registeredModules()).containsExactly(
                new ModuleResolver.RegisteredModule("opensc-pkcs11", p11KitDir.resolve("opensc-pkcs11.so"),
                        shareModules.resolve("opensc-pkcs11.module")),
                new ModuleResolver.RegisteredModule("override", Path.of("/etc/version.so"),
                        etcModules.resolve("override.module")),
                new ModuleResolver.RegisteredModule("softhsm2", softhsm, shareModules.resolve("softhsm2.module")));
    }

    @Test
    void moduleNameIsFoundHoweverItIsSpelled() {
        for (String name : List.of("softhsm2", "libsofthsm2", "libsofthsm2.so", "softhsm2.so")) {
            assertThat(resolver.resolveName(name)).as(name).contains(softhsm);
        }
        assertThat(resolver.resolveName("opensc-pkcs11")).contains(p11KitDir.resolve("opensc-pkcs11.so"));
    }

    @Test
    void higherPriorityConfigDirectoryWins() {
        assertThat(resolver.resolveName("override")).contains(Path.of("/etc/version.so"));
    }

    @Test
    void relativeModuleLineResolvesInTheFirstP11KitDirectoryThatHasIt() throws IOException {
        Path other = Files.createDirectories(root.resolve("usr/lib/pkcs11"));
        touch(other.resolve("only-here.so"));
        write(shareModules.resolve("only-here.module"), "module: only-here.so\n");
        ModuleResolver r = new ModuleResolver(List.of(shareModules), List.of(p11KitDir, other), List.of());

        assertThat(r.resolveName("only-here")).contains(other.resolve("only-here.so"));
        assertThat(r.resolveName("opensc-pkcs11")).contains(p11KitDir.resolve("opensc-pkcs11.so"));
    }

    @Test
    void moduleDirectoriesAreSearchedForNameDotSoAndLibNameDotSo() {
        assertThat(resolver.resolveName("foo")).contains(moduleDir.resolve("libfoo.so"));
        assertThat(resolver.resolveName("libfoo")).contains(moduleDir.resolve("libfoo.so"));
        assertThat(resolver.resolveName("libfoo.so")).contains(moduleDir.resolve("libfoo.so"));
        assertThat(resolver.resolveName("bar")).contains(moduleDir.resolve("bar.so"));
        assertThat(resolver.resolveName("baz")).isEmpty();
        assertThat(resolver.resolveName("remote")).isEmpty();
        assertThat(resolver.resolveName("notes")).isEmpty();
    }

    @Test
    void aModuleNameCannotReachOutsideTheDirectories() throws IOException {
        touch(root.resolve("usr/lib64/evil.so"));

        for (String name : List.of("../evil", "../evil.so", "/usr/lib64/evil.so", "a\\b", "..", ".", "")) {
            assertThatIllegalArgumentException().as(name).isThrownBy(() -> resolver.resolveName(name))
                    .withMessageContaining("module-path");
        }
    }

    @Test
    void modulePathWinsOverModuleName() {
        Pkcs11Uri both = Pkcs11Uri.create("pkcs11:?module-name=softhsm2&module-path=/opt/other.so");

        assertThat(resolver.resolve(both)).contains(Path.of("/opt/other.so"));
        assertThat(resolver.resolve(Pkcs11Uri.create("pkcs11:?module-name=softhsm2"))).contains(softhsm);
        assertThat(resolver.resolve(Pkcs11Uri.create("pkcs11:token=t"))).isEmpty();
        assertThat(resolver.resolve(Pkcs11Uri.create("pkcs11:?module-name=nothing"))).isEmpty();
    }

    @Test
    void missingDirectoriesFindNothing() {
        ModuleResolver empty = new ModuleResolver(List.of(root.resolve("none")), List.of(root.resolve("none2")),
                List.of(root.resolve("none3")));

        assertThat(empty.registeredModules()).isEmpty();
        assertThat(empty.resolveName("softhsm2")).isEmpty();
    }

    @Test
    void normalizedNames() {
        assertThat(ModuleResolver.normalizedName("libsofthsm2.so")).isEqualTo("softhsm2");
        assertThat(ModuleResolver.normalizedName("libmypkcs11.so.1")).isEqualTo("mypkcs11");
        assertThat(ModuleResolver.normalizedName("opensc-pkcs11.so")).isEqualTo("opensc-pkcs11");
        assertThat(ModuleResolver.normalizedName("lib")).isEqualTo("lib");
        assertThat(ModuleResolver.normalizedName("softokn3.dll")).isEqualTo("softokn3");
    }

    @Test
    void systemDirectoriesFollowTheMultiarchLayout() {
        assertThat(ModuleResolver.multiarch("amd64")).contains("x86_64-linux-gnu");
        assertThat(ModuleResolver.multiarch("aarch64")).contains("aarch64-linux-gnu");
        assertThat(ModuleResolver.multiarch("sparc")).isEmpty();
        assertThat(ModuleResolver.systemModuleDirectories())
                .endsWith(Path.of("/usr/lib64/pkcs11"), Path.of("/usr/lib/pkcs11"));
        assertThat(ModuleResolver.system().configDirectories())
                .containsExactly(Path.of("/etc/pkcs11/modules"), Path.of("/usr/share/p11-kit/modules"));
        if (System.getProperty("os.arch").equals("amd64")) {
            assertThat(ModuleResolver.systemModuleDirectories()).startsWith(Path.of("/usr/lib/x86_64-linux-gnu/pkcs11"));
        }
    }

    @Test
    void findsThisMachinesSoftHsmWhereP11KitRegistersIt() throws IOException {
        Path config = Path.of("/usr/share/p11-kit/modules/softhsm2.module");
        assumeTrue(Files.isReadable(config), "SoftHSM2 is not registered with p11-kit here");
        String line = Files.readAllLines(config).stream().filter(l -> l.startsWith("module:")).findFirst().orElseThrow();
        Path expected = Path.of(line.substring("module:".length()).strip());
        assumeTrue(expected.isAbsolute());

        assertThat(ModuleResolver.system().resolveName("softhsm2")).contains(expected);
        assertThat(ModuleResolver.system().resolveName("libsofthsm2.so")).contains(expected);
    }
}
