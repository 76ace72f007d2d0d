// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.P11jKey;
import io.p11j.provider.P11jProvider;
import io.p11j.provider.key.P11Key;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.Provider;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.util.Collections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Full URIs as aliases and at load: another token of an allowed module is opened; other modules are refused. */
@ExtendWith(SoftHsmExtension.class)
class KeyStoreOtherTokenIT {

    @TempDir
    static Path dir;
    static TestToken home;
    static TestToken other;
    static Provider provider;
    static KeyStore ks;

    @BeforeAll
    static void twoTokens(TestToken t) throws Exception {
        home = t;
        other = SoftHsmExtension.createToken("ks-other-token");
        try (WrapperSession w = WrapperSession.open(home)) {
            w.ecPair("home key", new byte[] {1});
        }
        try (WrapperSession w = WrapperSession.open(other)) {
            w.ecPair("away key", new byte[] {2});
            w.cert(Pki.root("away cert").cert(), "away cert", null);
        }
        provider = ProviderFixture.provider(home, dir);
        ks = KeyStore.getInstance("PKCS11-URI", provider);
        ks.load(null, home.userPinChars());
    }

    @Test
    void aUriAliasNamingAnotherTokenOpensIt() throws Exception {
        assertThat(Collections.list(ks.aliases())).containsExactly("home key");
        String alias = "pkcs11:token=" + other.label() + ";object=away%20key;type=private";
        // The other token has the same user PIN: the load's PIN logs in there.
        P11jKey key = (P11jKey) ks.getKey(alias, null);
        assertThat(key).isNotNull();
        assertThat(key.uri().token()).contains(other.label());
        assertThat(((P11Key) key).context()).isNotSameAs(((P11Key) ks.getKey("home key", null)).context());
        assertThat(ks.containsAlias(alias)).isTrue();
        assertThat(ks.isCertificateEntry("pkcs11:token=" + other.label() + ";object=away%20cert")).isTrue();
        assertThat(ks.containsAlias("pkcs11:token=" + other.label() + ";object=home%20key")).isFalse();
        // A URI naming the loaded token is the loaded token.
        assertThat(ks.getKey("pkcs11:token=" + home.label() + ";object=home%20key", null)).isNotNull();
        assertThat(ks.containsAlias("pkcs11:token=no%20such%20token;object=home%20key")).isFalse();
    }

    @Test
    void aUriAliasWithItsOwnPinSource() throws Exception {
        KeyStore noPin = KeyStore.getInstance("PKCS11-URI", provider);
        noPin.load(null, null);
        Path pin = ProviderFixture.pinFile(other, dir);
        String alias = "pkcs11:token=" + other.label() + ";object=away%20key?pin-source=file:" + pin;
        assertThat(noPin.getKey(alias, null)).isNotNull();
    }

    @Test
    void aModuleNotOnTheAllowListIsNeverLoaded() throws Exception {
        Path elsewhere = dir.resolve("libnot-allowed.so");
        Files.copy(SoftHsm.get().modulePath(), elsewhere);
        String alias = "pkcs11:token=" + other.label() + ";object=away%20key?module-path=" + elsewhere;
        assertThatThrownBy(() -> ks.getKey(alias, null)).isInstanceOf(UnrecoverableKeyException.class)
                .hasMessageContaining("allow-list");
        assertThat(ks.containsAlias(alias)).isFalse();
        assertThat(ks.getCertificate(alias)).isNull();
        assertThat(ks.getCreationDate(alias)).isNull();
        assertThatThrownBy(() -> ks.deleteEntry(alias)).isInstanceOf(KeyStoreException.class).hasMessageContaining("allow-list");
    }

    @Test
    void theConfiguredModuleUnderAnotherPathIsTheSameModule() throws Exception {
        Path link = dir.resolve("softhsm-link.so");
        Files.createSymbolicLink(link, SoftHsm.get().modulePath());
        try {
            assertThat(ks.getKey("pkcs11:token=" + other.label() + ";object=away%20key?module-path=" + link, null)).isNotNull();
        } finally {
            Files.delete(link);
        }
    }

    @Test
    void aConfiguredProviderLoadsAnotherTokenByUri() throws Exception {
        KeyStore away = KeyStore.getInstance("PKCS11-URI", provider);
        away.load(new ByteArrayInputStream(("pkcs11:token=" + other.label()).getBytes(StandardCharsets.UTF_8)), other.userPinChars());
        assertThat(Collections.list(away.aliases())).contains("away key", "away cert").doesNotContain("home key");
    }

    @Test
    void theUnconfiguredKeyStoreReachesOtherTokensOfItsModule() throws Exception {
        KeyStore u = KeyStore.getInstance("PKCS11-URI", new P11jProvider());
        u.load(new ByteArrayInputStream(ProviderFixture.tokenUri(home).getBytes(StandardCharsets.UTF_8)), home.userPinChars());
        assertThat(u.getKey("pkcs11:token=" + other.label() + ";object=away%20key", null)).isNotNull();
    }

    @Test
    void aKeyOfAnotherTokenCannotBeStoredHere() throws Exception {
        Provider away = new P11jProvider().configure(ProviderFixture.uri(other, dir));
        KeyPair kp = KeyPairGenerator.getInstance("EC", away).generateKeyPair();
        Certificate cert = Pki.root("ca").issue(kp.getPublic(), "moved");
        assertThatThrownBy(() -> ks.setKeyEntry("moved", kp.getPrivate(), null, new Certificate[] {cert}))
                .isInstanceOf(KeyStoreException.class).hasMessageContaining("cannot be stored");
        // On its own token, through a URI alias, it can.
        ks.setKeyEntry("pkcs11:token=" + other.label() + ";object=moved", kp.getPrivate(), null, new Certificate[] {cert});
        KeyStore check = KeyStore.getInstance("PKCS11-URI", away);
        check.load(null, null);
        assertThat(check.getCertificate("moved")).isEqualTo(cert);
        assertThat(ks.containsAlias("moved")).isFalse();
    }
}
