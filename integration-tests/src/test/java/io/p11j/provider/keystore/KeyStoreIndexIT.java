// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.Template;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The index on a token with more objects than one search batch, labels longer than the one-call
 * read's buffer, and objects that are not entries (data objects, session objects, certificates of
 * another type, a certificate whose value is no certificate).
 */
@ExtendWith(SoftHsmExtension.class)
class KeyStoreIndexIT {

    private static final int CERTIFICATES = 150;
    private static final String LONG = "long label ".repeat(30); // 330 bytes: more than the 128-byte first read

    @TempDir
    static Path dir;
    static Provider provider;
    static KeyStore ks;
    static X509Certificate some;

    @BeforeAll
    static void fill(TestToken t) throws Exception {
        try (WrapperSession w = WrapperSession.open(t)) {
            some = Pki.root("many").cert();
            for (int i = 0; i < CERTIFICATES; i++) {
                w.cert(some, "certificate " + i, new byte[] {(byte) i, (byte) (i >> 8), 0x55});
            }
            w.ecPair(LONG + "key", "x".repeat(200).getBytes(StandardCharsets.US_ASCII));
            w.cert(some, LONG + "certificate", null);
            w.session().createObject(Template.builder().objectClass(CKO_DATA).flag(TOKEN, true).label("data object")
                    .set(VALUE, new byte[] {1, 2, 3}).build());
            // A certificate object whose value is not a certificate: listed, but it has no certificate to give.
            w.session().createObject(Template.builder().objectClass(CKO_CERTIFICATE).set(CERTIFICATE_TYPE, CKC_X_509)
                    .flag(TOKEN, true).label("not a certificate").set(VALUE, new byte[] {0x30, 0x03, 1, 2, 3})
                    .set(SUBJECT, some.getSubjectX500Principal().getEncoded()).build());
        }
        provider = ProviderFixture.provider(t, dir);
        ks = KeyStore.getInstance("PKCS11-URI", provider);
        ks.load(null, null);
    }

    @Test
    void everyEntryIsListedWhateverItsLabelsLength() throws Exception {
        List<String> aliases = Collections.list(ks.aliases());
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < CERTIFICATES; i++) {
            expected.add("certificate " + i);
        }
        expected.add(LONG + "key");
        expected.add(LONG + "certificate");
        expected.add("not a certificate");
        assertThat(aliases).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(ks.size()).isEqualTo(expected.size());
        assertThat(ks.getKey(LONG + "key", null)).isNotNull();
        assertThat(ks.getCertificate("certificate 149")).isEqualTo(some);
    }

    @Test
    void objectsThatAreNoEntriesAreLeftOut() throws Exception {
        assertThat(ks.containsAlias("data object")).isFalse();
        // A generated key stays a session object until it is stored: not an entry.
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", provider);
        var kp = kpg.generateKeyPair();
        KeyStore fresh = KeyStore.getInstance("PKCS11-URI", provider);
        fresh.load(null, null);
        assertThat(fresh.size()).isEqualTo(ks.size());
        assertThat(kp.getPrivate()).isNotNull();
    }

    @Test
    void aCertificateObjectWithoutACertificateIsListedButGivesNone() throws Exception {
        assertThat(ks.isCertificateEntry("not a certificate")).isTrue();
        assertThat(ks.getCertificate("not a certificate")).isNull();
        assertThat(ks.getCreationDate("not a certificate")).isNull();
    }
}
