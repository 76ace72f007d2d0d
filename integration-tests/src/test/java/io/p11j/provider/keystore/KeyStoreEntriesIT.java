// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.P11jKey;
import io.p11j.provider.key.P11Key;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.Template;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.SecretKey;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.util.Collections;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reading a token made by "other tools" (the wrapper, with ids and labels set as tools do, or
 * don't): pairing, chains, aliases by label and by URI, entry kinds.
 */
@ExtendWith(SoftHsmExtension.class)
class KeyStoreEntriesIT {

    @TempDir
    static Path dir;
    static TestToken token;
    static KeyStore ks;
    static Pki.Ca root;
    static Pki.Ca sub;
    static X509Certificate idLeaf;
    static X509Certificate labelLeaf;
    static X509Certificate publicKeyLeaf;

    @BeforeAll
    static void fill(TestToken t) throws Exception {
        token = t;
        root = Pki.root("Entries Root CA");
        sub = root.subordinate("Entries Sub CA");
        try (WrapperSession w = WrapperSession.open(t)) {
            w.cert(root.cert(), "Entries Root CA", null);
            w.cert(sub.cert(), "Entries Sub CA", new byte[] {0x7f});
            // Paired by CKA_ID: the certificate's label is another one.
            long[] k1 = w.ecPair("id key", new byte[] {1});
            idLeaf = sub.issue(w.publicKey(k1[0]), "id key");
            w.cert(idLeaf, "a certificate label", new byte[] {1});
            // Paired by label: the ids differ.
            long[] k2 = w.rsaPair("label key", new byte[] {2}, 1024);
            labelLeaf = root.issue(w.publicKey(k2[0]), "label key");
            w.cert(labelLeaf, "label key", new byte[] {0x22});
            // Paired by public key only: neither id nor label in common.
            long[] k3 = w.ecPair("public key key", new byte[] {3});
            publicKeyLeaf = root.issue(w.publicKey(k3[0]), "pk");
            w.cert(publicKeyLeaf, "pk certificate", new byte[] {0x33});
            // No certificate at all.
            w.ecPair("lonely", new byte[] {4});
            // No label.
            w.ecPair(null, new byte[] {5});
            // A label two entries carry.
            w.ecPair("shared", new byte[] {6});
            w.cert(Pki.root("shared").cert(), "shared", null);
            // Two keys with one label.
            w.ecPair("twin", new byte[] {7});
            w.ecPair("twin", new byte[] {8});
            w.aes("aes key");
            w.ecPair("always", new byte[] {9}, Template.builder().flag(ALWAYS_AUTHENTICATE, true).build());
            w.rsaPair("UTF-8 ключ €", new byte[] {10}, 1024);
        }
        Provider p = ProviderFixture.provider(t, dir);
        ks = KeyStore.getInstance("PKCS11-URI", p);
        ks.load(null, t.userPinChars());
    }

    @Test
    void aliasesAreLabelsOrObjectUris() throws Exception {
        assertThat(Collections.list(ks.aliases())).containsExactlyInAnyOrder(
                "id key", "label key", "public key key", "lonely", "pkcs11:type=private;id=%05",
                "pkcs11:object=shared;type=private;id=%06", "pkcs11:object=shared;type=cert",
                "pkcs11:object=twin;type=private;id=%07", "pkcs11:object=twin;type=private;id=%08",
                "aes key", "always", "UTF-8 ключ €", "Entries Root CA", "Entries Sub CA");
        assertThat(ks.size()).isEqualTo(14);
    }

    @Test
    void keysPairWithTheirCertificateByIdThenLabelThenPublicKey() throws Exception {
        assertThat(ks.getCertificate("id key")).isEqualTo(idLeaf);
        assertThat(ks.getCertificate("label key")).isEqualTo(labelLeaf);
        assertThat(ks.getCertificate("public key key")).isEqualTo(publicKeyLeaf);
        for (String a : List.of("id key", "label key", "public key key")) {
            assertThat(ks.isKeyEntry(a)).as(a).isTrue();
            assertThat(ks.entryInstanceOf(a, KeyStore.PrivateKeyEntry.class)).as(a).isTrue();
        }
        // A certificate taken by a key is not a trusted entry of its own.
        assertThat(ks.getCertificateAlias(publicKeyLeaf)).isEqualTo("public key key");
        assertThat(ks.containsAlias("pk certificate")).isFalse();
    }

    @Test
    void theChainIsCompletedFromCaCertificatesOnTheToken() throws Exception {
        Certificate[] chain = ks.getCertificateChain("id key");
        assertThat(chain).containsExactly(idLeaf, sub.cert(), root.cert());
        assertThat(ks.getCertificateChain("label key")).containsExactly(labelLeaf, root.cert());
        // CA certificates no key pairs with are trusted entries.
        assertThat(ks.isCertificateEntry("Entries Root CA")).isTrue();
        assertThat(ks.entryInstanceOf("Entries Sub CA", KeyStore.TrustedCertificateEntry.class)).isTrue();
        assertThat(ks.getCertificateChain("Entries Root CA")).isNull();
        assertThat(ks.getCertificateAlias(root.cert())).isEqualTo("Entries Root CA");
    }

    @Test
    void keysAreP11jKeysOfTheToken() throws Exception {
        Key k = ks.getKey("id key", null);
        assertThat(k).isInstanceOf(P11jKey.class).isInstanceOf(ECKey.class);
        P11jKey p = (P11jKey) k;
        assertThat(p.isTokenObject()).isTrue();
        assertThat(p.label()).isEqualTo("id key");
        assertThat(p.id()).containsExactly(1);
        assertThat(((RSAKey) ks.getKey("label key", "ignored".toCharArray())).getModulus())
                .isEqualTo(((java.security.interfaces.RSAPublicKey) labelLeaf.getPublicKey()).getModulus());
        // The key's handle works on the token.
        try (WrapperSession w = WrapperSession.open(token)) {
            assertThat(w.attributes(((P11Key) k).handle(w.session()), LABEL).require(LABEL)).isEqualTo("id key");
        }
    }

    @Test
    void keysWithoutCertificatesAreListedAndUsable() throws Exception {
        assertThat(ks.isKeyEntry("lonely")).isTrue();
        assertThat(ks.getKey("lonely", null)).isInstanceOf(ECKey.class);
        assertThat(ks.getCertificate("lonely")).isNull();
        assertThat(ks.getCertificateChain("lonely")).isNull();
        assertThat(ks.entryInstanceOf("lonely", KeyStore.PrivateKeyEntry.class)).isTrue();
        assertThatThrownBy(() -> ks.getEntry("lonely", null)).isInstanceOf(KeyStoreException.class)
                .hasMessageContaining("getKey");
    }

    @Test
    void uriAliasesReachObjectsWithoutAUsableLabel() throws Exception {
        assertThat(((P11jKey) ks.getKey("pkcs11:type=private;id=%05", null)).id()).containsExactly(5);
        assertThat(((P11jKey) ks.getKey("pkcs11:object=shared;type=private;id=%06", null)).id()).containsExactly(6);
        assertThat(ks.getCertificate("pkcs11:object=shared;type=cert")).isNotNull();
        // The shared label itself names neither.
        assertThat(ks.containsAlias("shared")).isFalse();
        assertThat(ks.getKey("shared", null)).isNull();
        // Any URI that selects one entry works, with or without the type, in any attribute order.
        assertThat(((P11jKey) ks.getKey("pkcs11:id=%07;object=twin", null)).id()).containsExactly(7);
        assertThat(ks.getKey("pkcs11:object=signing%20key;type=private", null)).isNull();
        assertThat(((P11jKey) ks.getKey("pkcs11:object=lonely;type=private", null)).label()).isEqualTo("lonely");
        // A key and its certificate are one entry: a URI matching both selects it.
        assertThat(ks.getCertificate("pkcs11:id=%01")).isEqualTo(idLeaf);
        assertThat(ks.getKey("pkcs11:id=%01", null)).isNotNull();
    }

    @Test
    void anAmbiguousUriSelectsNothing() throws Exception {
        String twins = "pkcs11:object=twin;type=private";
        assertThat(ks.getKey(twins, null)).isNull();
        assertThat(ks.containsAlias(twins)).isFalse();
        assertThat(ks.isKeyEntry(twins)).isFalse();
        assertThat(ks.getCertificate("pkcs11:type=cert")).isNull();
        assertThat(ks.containsAlias("twin")).isFalse();
        assertThat(ks.getKey("pkcs11:type=private", null)).isNull();
    }

    @Test
    void secretKeysAreSecretKeyEntries() throws Exception {
        assertThat(ks.getKey("aes key", null)).isInstanceOf(SecretKey.class).extracting(Key::getAlgorithm).isEqualTo("AES");
        assertThat(ks.entryInstanceOf("aes key", KeyStore.SecretKeyEntry.class)).isTrue();
        assertThat(ks.getEntry("aes key", null)).isInstanceOf(KeyStore.SecretKeyEntry.class);
        assertThat(ks.getCertificate("aes key")).isNull();
    }

    @Test
    void getEntryNeedsNoPassword() throws Exception {
        KeyStore.Entry e = ks.getEntry("id key", null);
        assertThat(e).isInstanceOf(KeyStore.PrivateKeyEntry.class);
        assertThat(((KeyStore.PrivateKeyEntry) e).getCertificateChain()).hasSize(3);
        assertThat(ks.getEntry("id key", new KeyStore.PasswordProtection("x".toCharArray())))
                .isInstanceOf(KeyStore.PrivateKeyEntry.class);
        assertThat(ks.getEntry("Entries Root CA", null)).isInstanceOf(KeyStore.TrustedCertificateEntry.class);
        assertThat(ks.getEntry("no such alias", null)).isNull();
    }

    @Test
    void alwaysAuthenticateKeysCarryTheirPinSource() throws Exception {
        P11Key withPassword = (P11Key) ks.getKey("always", "context pin".toCharArray());
        assertThat(withPassword.alwaysAuthenticate()).isTrue();
        assertThat(withPassword.contextPin().pin()).isEqualTo("context pin".toCharArray());
        // Without a key password: the PIN the KeyStore was loaded with.
        P11Key fromLoad = (P11Key) ks.getKey("always", null);
        assertThat(fromLoad.contextPin().pin()).isEqualTo(token.userPinChars());
        // Keys that need no context-specific login get none.
        assertThat(((P11Key) ks.getKey("lonely", "x".toCharArray())).contextPin()).isNull();
    }

    @Test
    void labelsAreUtf8() throws Exception {
        assertThat(ks.getKey("UTF-8 ключ €", null)).isInstanceOf(RSAKey.class);
    }

    @Test
    void getCreationDateNeverThrows() {
        for (String a : List.of("id key", "lonely", "aes key", "Entries Root CA", "pkcs11:type=private;id=%05", "nothing",
                "pkcs11:object=twin", "pkcs11:%%bad", "pkcs11:token=no%20such%20token;object=x", "")) {
            assertThatNoException().as(a).isThrownBy(() -> ks.getCreationDate(a));
        }
    }

    @Test
    void objectsMadeByOthersAppearOnTheNextLoad() throws Exception {
        KeyStore mine = KeyStore.getInstance("PKCS11-URI", ks.getProvider());
        mine.load(null, null);
        assertThat(mine.containsAlias("late")).isFalse();
        long[] late;
        try (WrapperSession w = WrapperSession.open(token)) {
            late = w.ecPair("late", new byte[] {0x44});
            assertThat(mine.containsAlias("late")).as("the index is a snapshot until the next load").isFalse();
            mine.load(null, null);
            assertThat(mine.containsAlias("late")).isTrue();
            // Deleted behind the KeyStore's back: the stale handle makes it read the token again.
            w.destroy(late[1]);
            w.destroy(late[0]);
        }
        assertThat(mine.getKey("late", null)).isNull();
        assertThat(mine.containsAlias("late")).isFalse();
    }

    @Test
    void thePublicKeyOfAnEntryMatchesItsCertificate() throws Exception {
        PublicKey fromCert = ks.getCertificate("public key key").getPublicKey();
        assertThat(((ECKey) ks.getKey("public key key", null)).getParams().getOrder())
                .isEqualTo(((ECKey) fromCert).getParams().getOrder());
    }
}
