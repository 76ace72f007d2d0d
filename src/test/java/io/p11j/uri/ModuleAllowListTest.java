// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.p11j.uri.ModuleNotAllowedException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleAllowListTest {

    @TempDir
    Path root;

    private Path allowedDir;
    private Path configured;
    private Path evil;
    private Path registered;
    private ModuleResolver resolver;

    @BeforeEach
    void layout() throws IOException {
        allowedDir = Files.createDirectories(root.resolve("allowed"));
        configured = touch(root.resolve("opt/hsm/libvendor.so"));
        evil = touch(root.resolve("tmp/evil.so"));
        registered = touch(root.resolve("lib/softhsm/libsofthsm2.so"));
        touch(allowedDir.resolve("libgood.so"));
        touch(allowedDir.resolve("sub/libnested.so"));
        Path config = Files.createDirectories(root.resolve("modules"));
        Files.writeString(config.resolve("softhsm2.module"), "module: " + registered + "\n");
        Path moduleDir = Files.createDirectories(root.resolve("pkcs11"));
        touch(moduleDir.resolve("libunregistered.so"));
        resolver = new ModuleResolver(List.of(config), List.of(moduleDir), List.of(moduleDir));
    }

    private static Path touch(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, new byte[] {0x7F, 'E', 'L', 'F'});
    }

    private ModuleAllowList list() {
        return ModuleAllowList.builder(resolver).allowModule(configured).allowRegisteredModules()
                .allowDirectory(allowedDir).build();
    }

    private static Pkcs11Uri modulePath(Path p) {
        return Pkcs11Uri.builder().modulePath(p.toString()).build();
    }

    private ModuleNotAllowedException refused(ModuleAllowList list, Pkcs11Uri uri) {
        ModuleNotAllowedException e = catchThrowableOfType(ModuleNotAllowedException.class, () -> list.resolve(uri));
        assertThat(e).as("%s must be refused", uri).isNotNull();
        return e;
    }

    @Test
    void allowsTheConfiguredModuleRegisteredModulesAndModulesUnderAllowedDirectories() throws Exception {
        ModuleAllowList list = list();

        assertThat(list.resolve(modulePath(configured))).contains(configured.toRealPath());
        assertThat(list.resolve(modulePath(allowedDir.resolve("libgood.so")))).contains(allowedDir.resolve("libgood.so").toRealPath());
        assertThat(list.resolve(modulePath(allowedDir.resolve("sub/libnested.so")))).isPresent();
        assertThat(list.resolve(Pkcs11Uri.create("pkcs11:?module-name=softhsm2"))).contains(registered.toRealPath());
        assertThat(list.resolve(Pkcs11Uri.create("pkcs11:?module-name=libsofthsm2.so"))).contains(registered.toRealPath());
    }

    @Test
    void aUriThatNamesNoModuleLeavesTheChoiceToTheCaller() throws Exception {
        assertThat(list().resolve(Pkcs11Uri.create("pkcs11:token=t;object=k"))).isEmpty();
    }

    @Test
    void anArbitraryLibraryIsRefusedWithAMessageSayingHowToAllowIt() {
        ModuleNotAllowedException e = refused(list(), modulePath(evil));

        assertThat(e.reason()).isEqualTo(Reason.NOT_ALLOWED);
        assertThat(e.requested()).isEqualTo(evil.toString());
        assertThat(e.realPath()).isPresent();
        assertThat(e.getMessage()).contains(evil.toString())
                .contains("not on the module allow-list")
                .contains("add " + evil.getParent() + " to the allowed module directories")
                .contains("register it with p11-kit");
    }

    @Test
    void dotDotCannotEscapeAnAllowedDirectory() throws Exception {
        Path escape = allowedDir.resolve("../tmp/evil.so");

        ModuleNotAllowedException e = refused(list(), modulePath(escape));

        assertThat(e.reason()).isEqualTo(Reason.NOT_ALLOWED);
        assertThat(e.realPath()).contains(evil.toRealPath());
        assertThat(e.getMessage()).contains("real path " + evil.toRealPath());
    }

    @Test
    void aSymbolicLinkInAnAllowedDirectoryPointingOutOfItIsRefused() throws Exception {
        Path link = Files.createSymbolicLink(allowedDir.resolve("libinnocent.so"), evil);

        ModuleNotAllowedException e = refused(list(), modulePath(link));

        assertThat(e.reason()).isEqualTo(Reason.NOT_ALLOWED);
        assertThat(e.realPath()).contains(evil.toRealPath());
    }

    @Test
    void aSymbolicLinkToAnAllowedModuleResolvesToTheRealPath() throws Exception {
        Path link = Files.createSymbolicLink(root.resolve("tmp/link-to-vendor.so"), configured);

        assertThat(list().resolve(modulePath(link))).contains(configured.toRealPath());
    }

    @Test
    void anAllowedDirectoryGivenThroughALinkIsComparedByItsRealPath() throws Exception {
        Path linkToDir = Files.createSymbolicLink(root.resolve("dirlink"), allowedDir);
        ModuleAllowList list = ModuleAllowList.builder(resolver).allowDirectory(linkToDir).build();

        assertThat(list.allowedDirectories()).containsExactly(allowedDir.toRealPath());
        assertThat(list.resolve(modulePath(allowedDir.resolve("libgood.so")))).isPresent();
        assertThat(list.resolve(modulePath(linkToDir.resolve("libgood.so")))).contains(allowedDir.resolve("libgood.so").toRealPath());
        assertThat(refused(list, modulePath(linkToDir.resolve("../tmp/evil.so"))).reason()).isEqualTo(Reason.NOT_ALLOWED);
    }

    @Test
    void aSiblingDirectoryWithTheSamePrefixIsNotInside() throws Exception {
        Path sibling = touch(root.resolve("allowed-not/libx.so"));

        assertThat(refused(list(), modulePath(sibling)).reason()).isEqualTo(Reason.NOT_ALLOWED);
    }

    @Test
    void aMissingModuleIsRefusedBeforeAnythingElse() {
        ModuleNotAllowedException e = refused(list(), modulePath(allowedDir.resolve("missing.so")));

        assertThat(e.reason()).isEqualTo(Reason.NO_SUCH_MODULE);
        assertThat(e.realPath()).isEmpty();
        assertThat(refused(list(), modulePath(allowedDir)).reason()).isEqualTo(Reason.NO_SUCH_MODULE);
    }

    @Test
    void registeredModulesAreAllowedOnlyWhenAsked() {
        ModuleAllowList without = ModuleAllowList.builder(resolver).allowModule(configured).build();

        ModuleNotAllowedException e = refused(without, Pkcs11Uri.create("pkcs11:?module-name=softhsm2"));
        assertThat(e.reason()).isEqualTo(Reason.NOT_ALLOWED);
        assertThat(e.requested()).isEqualTo("softhsm2");
        assertThat(e.getMessage()).contains("module-name softhsm2").doesNotContain("register it with p11-kit");
    }

    @Test
    void aModuleFoundInAModuleDirectoryButNotRegisteredIsNotAllowedByThatAlone() {
        assertThat(refused(list(), Pkcs11Uri.create("pkcs11:?module-name=unregistered")).reason())
                .isEqualTo(Reason.NOT_ALLOWED);
    }

    @Test
    void unknownOrNonPlainModuleNamesAreRefused() {
        ModuleNotAllowedException unknown = refused(list(), Pkcs11Uri.create("pkcs11:?module-name=nothing"));
        assertThat(unknown.reason()).isEqualTo(Reason.UNKNOWN_MODULE_NAME);
        assertThat(unknown.requested()).isEqualTo("nothing");
        assertThat(unknown.getMessage()).contains("matches no module");

        ModuleNotAllowedException traversal = refused(list(), Pkcs11Uri.create("pkcs11:?module-name=..%2Ftmp%2Fevil"));
        assertThat(traversal.reason()).isEqualTo(Reason.UNKNOWN_MODULE_NAME);
    }

    @Test
    void modulePathWinsOverModuleName() {
        Pkcs11Uri both = Pkcs11Uri.builder().moduleName("softhsm2").modulePath(evil.toString()).build();

        assertThat(refused(list(), both).reason()).isEqualTo(Reason.NOT_ALLOWED);
    }

    @Test
    void emptyListAllowsNothing() {
        ModuleAllowList none = ModuleAllowList.builder(resolver).build();

        assertThat(refused(none, modulePath(configured)).reason()).isEqualTo(Reason.NOT_ALLOWED);
        assertThat(refused(none, Pkcs11Uri.create("pkcs11:?module-name=softhsm2")).reason()).isEqualTo(Reason.NOT_ALLOWED);
    }

    @Test
    void relativePathsAreRefused() {
        ModuleNotAllowedException e = catchThrowableOfType(ModuleNotAllowedException.class,
                () -> list().check(Path.of("libgood.so")));

        assertThat(e.reason()).isEqualTo(Reason.RELATIVE_PATH);
        assertThatIllegalArgumentException().isThrownBy(() -> ModuleAllowList.builder(resolver).allowDirectory(Path.of("lib")));
        assertThatIllegalArgumentException().isThrownBy(() -> ModuleAllowList.builder(resolver).allowModule(Path.of("x.so")));
    }

    @Test
    void checkReturnsTheRealPath() throws Exception {
        assertThat(list().check(allowedDir.resolve("sub/../libgood.so"))).isEqualTo(allowedDir.resolve("libgood.so").toRealPath());
    }
}
