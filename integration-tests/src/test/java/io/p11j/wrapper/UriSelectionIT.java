// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.uri.ModuleAllowList;
import io.p11j.uri.ModuleNotAllowedException;
import io.p11j.uri.ModuleResolver;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code pkcs11:} URIs selecting among two real SoftHSM2 tokens, and the objects on them. */
@ExtendWith(SoftHsmExtension.class)
class UriSelectionIT {

    private final TestToken first;
    private TestToken second;
    private Pkcs11Module module;

    UriSelectionIT(TestToken first) {
        this.first = first;
    }

    @BeforeEach
    void open() throws Exception {
        second = SoftHsmExtension.createToken("uri-second-" + System.nanoTime() % 100000);
        module = Pkcs11Module.open(SoftHsm.get().modulePath());
    }

    @AfterEach
    void close() throws Exception {
        SoftHsmExtension.emptyToken(second);
        module.close();
    }

    private Token byLabel(String label) throws Exception {
        List<Token> found = module.tokens(Pkcs11Uri.builder().token(label).build());
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    @Test
    void tokensAreToldApartByLabelAndBySerial() throws Exception {
        Token a = byLabel(first.label());
        Token b = byLabel(second.label());
        assertThat(a).isNotEqualTo(b);
        String serialA = a.info().serialNumber();
        String serialB = b.info().serialNumber();
        assertThat(serialA).isNotEqualTo(serialB);

        assertThat(module.tokens(Pkcs11Uri.builder().serial(serialB).build())).containsExactly(b);
        assertThat(module.tokens(Pkcs11Uri.create("pkcs11:manufacturer=SoftHSM%20project;model=SoftHSM%20v2")))
                .contains(a, b);
        assertThat(module.tokens(Pkcs11Uri.create("pkcs11:"))).contains(a, b);
        // A label with one serial and the other token's serial: nothing.
        assertThat(module.tokens(Pkcs11Uri.builder().token(first.label()).serial(serialB).build())).isEmpty();
        // Fail closed: an attribute this code does not understand matches nothing.
        assertThat(module.tokens(Pkcs11Uri.create("pkcs11:token=" + first.label() + ";x-vendor=1"))).isEmpty();
        // Unknown query attributes are ignored.
        assertThat(module.tokens(Pkcs11Uri.create("pkcs11:token=" + first.label() + "?x-hint=1"))).containsExactly(a);
        // Module attributes select too.
        assertThat(module.tokens(Pkcs11Uri.create("pkcs11:library-manufacturer=SoftHSM;token=" + first.label())))
                .containsExactly(a);
        assertThat(module.tokens(Pkcs11Uri.create("pkcs11:library-manufacturer=Someone%20Else"))).isEmpty();
    }

    @Test
    void everyTokenAndKeyHasADiscoverableUriThatFindsItAgain() throws Exception {
        Token b = byLabel(second.label());
        Pkcs11Uri tokenUri = b.uri();
        assertThat(tokenUri.format(false)).startsWith("pkcs11:token=" + second.label().replace(" ", "%20"))
                .contains(";manufacturer=SoftHSM%20project;serial=").contains(";model=SoftHSM%20v2");
        assertThat(module.tokens(Pkcs11Uri.parse(tokenUri.format(false)))).containsExactly(b);
        assertThat(module.uri().format(false)).isEqualTo(
                "pkcs11:library-manufacturer=SoftHSM;library-description=Implementation%20of%20PKCS11;library-version=2.6");

        try (Session s = b.openSession(true)) {
            s.login(UserType.USER, second.userPinChars());
            KeyPairHandles kp = s.generateKeyPair(Mechanism.of(CKM_EC_KEY_PAIR_GEN),
                    Template.builder().set(AttributeType.TOKEN, true)
                            .set(AttributeType.EC_PARAMS, new byte[] {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07})
                            .label("signing key").id(new byte[] {0x0a, (byte) 0xff}).build(),
                    Template.builder().set(AttributeType.TOKEN, true).set(AttributeType.SIGN, true)
                            .set(AttributeType.PRIVATE, true).label("signing key").id(new byte[] {0x0a, (byte) 0xff}).build());
            Pkcs11Uri keyUri = s.uriOf(kp.privateKey());
            assertThat(keyUri.format(false)).contains(";object=signing%20key;type=private;id=%0A%FF");
            assertThat(s.findAll(Pkcs11Uri.parse(keyUri.format(false)))).containsExactly(kp.privateKey());
            assertThat(s.findAll(Pkcs11Uri.create("pkcs11:object=signing%20key;type=public"))).containsExactly(kp.publicKey());
            assertThat(s.findAll(Pkcs11Uri.create("pkcs11:object=signing%20key"))).containsExactlyInAnyOrder(kp.publicKey(), kp.privateKey());
            assertThat(s.findAll(Pkcs11Uri.create("pkcs11:object=signing%20key;x-anything=1"))).isEmpty();
            assertThat(s.findAll(Pkcs11Uri.create("pkcs11:id=%0A%FE"))).isEmpty();
        }
    }

    @Test
    void pinSourceIsReadAtEveryLogin(@TempDir Path dir) throws Exception {
        Path pinFile = dir.resolve("pin");
        Files.writeString(pinFile, second.userPin() + "\n");
        Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-------"));
        Pkcs11Uri uri = Pkcs11Uri.create("pkcs11:token=" + second.label() + "?pin-source=file:" + pinFile);
        Token b = module.tokens(uri).get(0);
        PinSupplier pins = PinSupplier.fromUri(uri).orElseThrow();
        try (SessionPool pool = SessionPool.open(b, PoolConfig.defaults(), pins)) {
            assertThat((boolean) pool.execute(s -> s.info().state().userLoggedIn())).isTrue();
        }
        Files.writeString(pinFile, "not-the-pin\n");
        assertThatThrownBy(() -> SessionPool.open(b, PoolConfig.defaults(), PinSupplier.fromUri(uri).orElseThrow()))
                .isInstanceOf(Pkcs11Errors.PinIncorrectException.class);

        Pkcs11Uri withValue = Pkcs11Uri.builder().token(second.label()).pinValue(second.userPinChars()).build();
        try (SessionPool pool = SessionPool.open(b, PoolConfig.defaults(), PinSupplier.fromUri(withValue).orElseThrow())) {
            assertThat((boolean) pool.execute(s -> s.info().state().userLoggedIn())).isTrue();
        }
        assertThat(PinSupplier.fromUri(Pkcs11Uri.create("pkcs11:token=x"))).isEmpty();
    }

    @Test
    void aUriCanOnlyLoadAModuleTheAllowListAllows(@TempDir Path dir) throws Exception {
        Path softhsm = SoftHsm.get().modulePath();
        ModuleAllowList allowed = ModuleAllowList.builder(ModuleResolver.system()).allowModule(softhsm).build();
        Pkcs11Uri uri = Pkcs11Uri.create("pkcs11:token=" + first.label() + "?module-path=" + softhsm);
        try (Pkcs11Module m = Pkcs11Module.open(uri, allowed, ModuleOptions.defaults())) {
            assertThat(m.tokens(uri)).hasSize(1);
        }
        Path elsewhere = dir.resolve("libevil.so");
        Files.copy(softhsm, elsewhere);
        Pkcs11Uri evil = Pkcs11Uri.create("pkcs11:?module-path=" + elsewhere);
        assertThatThrownBy(() -> Pkcs11Module.open(evil, allowed, ModuleOptions.defaults()))
                .isInstanceOf(ModuleNotAllowedException.class)
                .hasMessageContaining(elsewhere.toRealPath().toString());
        assertThatThrownBy(() -> Pkcs11Module.open(Pkcs11Uri.create("pkcs11:token=x"), allowed, ModuleOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("names no module");
    }
}
