// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.P11jKey;
import io.p11j.provider.P11jKeyGenParameterSpec;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.AttributeValues;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Collections;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Writing entries: what lands on the token, object by object, checked with the wrapper. */
@ExtendWith(SoftHsmExtension.class)
class KeyStoreWriteIT {

    @TempDir
    static Path dir;
    static TestToken token;
    static Provider provider;
    static KeyStore ks;
    static Pki.Ca ca;

    @BeforeAll
    static void load(TestToken t) throws Exception {
        token = t;
        provider = ProviderFixture.provider(t, dir);
        ks = KeyStore.getInstance("PKCS11-URI", provider);
        ks.load(null, null); // the provider's URI has a pin-source
        ca = Pki.root("Write CA");
    }

    private static KeyPair generate(String algorithm) throws Exception {
        return KeyPairGenerator.getInstance(algorithm, provider).generateKeyPair(); // session objects
    }

    /** A fresh KeyStore on the same token: proves what was written is on the token, not only in the first one's index. */
    private static KeyStore reloaded() throws Exception {
        KeyStore again = KeyStore.getInstance("PKCS11-URI", provider);
        again.load(null, null);
        return again;
    }

    @Test
    void aGeneratedKeyBecomesATokenObjectLabelledWithTheAlias() throws Exception {
        KeyPair kp = generate("EC");
        X509Certificate leaf = ca.issue(kp.getPublic(), "generated");
        byte[] id = ((P11jKey) kp.getPrivate()).id();
        ks.setKeyEntry("generated", kp.getPrivate(), "ignored".toCharArray(), new Certificate[] {leaf, ca.cert()});

        try (WrapperSession w = WrapperSession.open(token)) {
            List<Long> priv = w.withId(CKO_PRIVATE_KEY, id);
            assertThat(priv).hasSize(1);
            AttributeValues v = w.attributes(priv.get(0), TOKEN, LOCAL, LABEL, SENSITIVE, EXTRACTABLE, NEVER_EXTRACTABLE);
            assertThat(v.require(TOKEN)).isTrue();
            assertThat(v.require(LOCAL)).as("generated on the token, and the copy says so").isTrue();
            assertThat(v.require(LABEL)).isEqualTo("generated");
            assertThat(v.require(SENSITIVE)).isTrue();
            assertThat(v.require(EXTRACTABLE)).isFalse();
            assertThat(v.require(NEVER_EXTRACTABLE)).isTrue();
            List<Long> pub = w.withId(CKO_PUBLIC_KEY, id);
            assertThat(pub).hasSize(1);
            assertThat(w.attributes(pub.get(0), LABEL).require(LABEL)).isEqualTo("generated");
            List<Long> certs = w.withId(CKO_CERTIFICATE, id);
            assertThat(certs).hasSize(2);
            for (long c : certs) {
                AttributeValues cv = w.attributes(c, LABEL, TOKEN, CERTIFICATE_TYPE, SUBJECT, ISSUER, SERIAL_NUMBER, START_DATE);
                assertThat(cv.require(LABEL)).isEqualTo("generated");
                assertThat(cv.require(TOKEN)).isTrue();
                assertThat(cv.require(CERTIFICATE_TYPE)).isEqualTo(CKC_X_509);
                assertThat(cv.require(SUBJECT)).isNotEmpty();
                assertThat(cv.require(START_DATE)).isEqualTo(LocalDate.now());
            }
        }
        KeyStore again = reloaded();
        P11jKey key = (P11jKey) again.getKey("generated", null);
        assertThat(key.isTokenObject()).isTrue();
        assertThat(key.id()).isEqualTo(id);
        assertThat(again.getCertificateChain("generated")).containsExactly(leaf, ca.cert());
        assertThat(again.getCreationDate("generated")).isEqualTo(
                java.util.Date.from(LocalDate.now().atStartOfDay(ZoneId.systemDefault()).toInstant()));
    }

    @Test
    void aTokenKeyOfNoEntryIsNamedInPlaceNotCopied() throws Exception {
        // generated-keys=token, or P11jKeyGenParameterSpec.tokenObject(true): a token key without a label.
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", provider);
        kpg.initialize(P11jKeyGenParameterSpec.builder(new ECGenParameterSpec("secp256r1")).tokenObject(true).build());
        KeyPair kp = kpg.generateKeyPair();
        byte[] id = ((P11jKey) kp.getPrivate()).id();
        ks.setKeyEntry("adopted", kp.getPrivate(), null, new Certificate[] {ca.issue(kp.getPublic(), "adopted")});
        try (WrapperSession w = WrapperSession.open(token)) {
            List<Long> priv = w.withId(CKO_PRIVATE_KEY, id);
            assertThat(priv).as("no nameless twin left behind").hasSize(1);
            assertThat(w.attributes(priv.get(0), LABEL, LOCAL).require(LABEL)).isEqualTo("adopted");
            List<Long> pub = w.withId(CKO_PUBLIC_KEY, id);
            assertThat(pub).hasSize(1);
            assertThat(w.attributes(pub.get(0), LABEL).require(LABEL)).isEqualTo("adopted");
        }
        assertThat(Collections.list(reloaded().aliases())).contains("adopted").noneMatch(a -> a.contains("type=private"));
    }

    @Test
    void aCaReplyReplacesTheChainAndKeepsTheKey() throws Exception {
        KeyPair kp = generate("RSA");
        X509Certificate selfSigned = ca.issue(kp.getPublic(), "reply");
        ks.setKeyEntry("reply", kp.getPrivate(), null, new Certificate[] {selfSigned});
        P11jKey stored = (P11jKey) ks.getKey("reply", null);

        // keytool -importcert of a CA reply: the stored key, a new chain.
        Pki.Ca other = Pki.root("Reply CA");
        X509Certificate issued = other.issue(kp.getPublic(), "reply");
        ks.setKeyEntry("reply", ks.getKey("reply", null), null, new Certificate[] {issued, other.cert()});

        assertThat(ks.getCertificateChain("reply")).containsExactly(issued, other.cert());
        try (WrapperSession w = WrapperSession.open(token)) {
            assertThat(w.withId(CKO_PRIVATE_KEY, stored.id())).hasSize(1);
            assertThat(w.withId(CKO_CERTIFICATE, stored.id())).hasSize(2);
        }
        assertThat(((P11jKey) reloaded().getKey("reply", null)).id()).isEqualTo(stored.id());
        assertThat(reloaded().getCertificate("reply")).isEqualTo(issued);
    }

    @Test
    void softwareKeysAreImportedSensitiveAndNonExtractable() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
        rsa.initialize(2048);
        for (KeyPair kp : List.of(rsa.generateKeyPair(), Pki.ecKeyPair())) {
            String alias = "soft " + kp.getPrivate().getAlgorithm();
            X509Certificate leaf = ca.issue(kp.getPublic(), alias);
            ks.setKeyEntry(alias, kp.getPrivate(), null, new Certificate[] {leaf});
            Key key = reloaded().getKey(alias, null);
            assertThat(key).isInstanceOf(P11jKey.class).isInstanceOf(PrivateKey.class);
            P11jKey p = (P11jKey) key;
            assertThat(p.isSensitive()).isTrue();
            assertThat(p.isExtractable()).isFalse();
            assertThat(key.getEncoded()).isNull();
            if (key instanceof RSAKey r) {
                assertThat(r.getModulus()).isEqualTo(((RSAKey) kp.getPublic()).getModulus());
            }
            try (WrapperSession w = WrapperSession.open(token)) {
                AttributeValues v = w.attributes(w.withId(CKO_PRIVATE_KEY, p.id()).get(0), SENSITIVE, EXTRACTABLE, LOCAL, TOKEN);
                assertThat(v.require(SENSITIVE)).isTrue();
                assertThat(v.require(EXTRACTABLE)).isFalse();
                assertThat(v.require(LOCAL)).as("imported, not generated").isFalse();
                assertThat(w.withId(CKO_PUBLIC_KEY, p.id())).hasSize(1);
                assertThat(w.withId(CKO_CERTIFICATE, p.id())).hasSize(1);
            }
            assertThat(reloaded().getCertificate(alias)).isEqualTo(leaf);
        }
    }

    @Test
    void secretKeysAreStoredToo() throws Exception {
        KeyGenerator kg = KeyGenerator.getInstance("AES");
        kg.init(256);
        SecretKey aes = kg.generateKey();
        ks.setEntry("soft aes", new KeyStore.SecretKeyEntry(aes), null);
        Key back = reloaded().getKey("soft aes", null);
        assertThat(back).isInstanceOf(SecretKey.class).isInstanceOf(P11jKey.class);
        assertThat(((P11jKey) back).isSensitive()).isTrue();
        assertThat(back.getAlgorithm()).isEqualTo("AES");
    }

    @Test
    void trustedCertificatesAreCertificateEntries() throws Exception {
        Pki.Ca trusted = Pki.root("Trusted Root");
        ks.setCertificateEntry("trusted root", trusted.cert());
        KeyStore again = reloaded();
        assertThat(again.isCertificateEntry("trusted root")).isTrue();
        assertThat(again.getCertificate("trusted root")).isEqualTo(trusted.cert());
        assertThat(again.getCertificateAlias(trusted.cert())).isEqualTo("trusted root");
        try (WrapperSession w = WrapperSession.open(token)) {
            List<Long> found = w.labelled("trusted root");
            assertThat(found).hasSize(1);
            // SoftHSM2 lets only the SO set CKA_TRUSTED: the certificate is stored without it.
            assertThat(w.attributes(found.get(0), TRUSTED).require(TRUSTED)).isFalse();
        }
        // Replacing it keeps one object under the alias.
        Pki.Ca newer = Pki.root("Trusted Root 2");
        ks.setCertificateEntry("trusted root", newer.cert());
        assertThat(reloaded().getCertificate("trusted root")).isEqualTo(newer.cert());
        try (WrapperSession w = WrapperSession.open(token)) {
            assertThat(w.labelled("trusted root")).hasSize(1);
        }
        // setEntry without a protection parameter.
        ks.setEntry("trusted via setEntry", new KeyStore.TrustedCertificateEntry(trusted.cert()), null);
        assertThat(ks.entryInstanceOf("trusted via setEntry", KeyStore.TrustedCertificateEntry.class)).isTrue();
    }

    @Test
    void aCertificateEntryCannotReplaceAKeyEntry() throws Exception {
        KeyPair kp = generate("EC");
        ks.setKeyEntry("a key", kp.getPrivate(), null, new Certificate[] {ca.issue(kp.getPublic(), "a key")});
        assertThatThrownBy(() -> ks.setCertificateEntry("a key", ca.cert())).isInstanceOf(KeyStoreException.class)
                .hasMessageContaining("key entry");
        assertThat(ks.isKeyEntry("a key")).isTrue();
    }

    @Test
    void deleteEntryRemovesKeyPublicKeyAndCertificates() throws Exception {
        KeyPair kp = generate("EC");
        byte[] id = ((P11jKey) kp.getPrivate()).id();
        ks.setKeyEntry("doomed", kp.getPrivate(), null, new Certificate[] {ca.issue(kp.getPublic(), "doomed"), ca.cert()});
        try (WrapperSession w = WrapperSession.open(token)) {
            assertThat(w.labelled("doomed")).hasSize(4); // private, public, two certificates
        }
        ks.deleteEntry("doomed");
        assertThat(ks.containsAlias("doomed")).isFalse();
        assertThat(reloaded().containsAlias("doomed")).isFalse();
        try (WrapperSession w = WrapperSession.open(token)) {
            assertThat(w.labelled("doomed")).isEmpty();
            assertThat(w.withId(CKO_PRIVATE_KEY, id)).isEmpty();
            assertThat(w.withId(CKO_PUBLIC_KEY, id)).isEmpty();
            assertThat(w.withId(CKO_CERTIFICATE, id)).isEmpty();
        }
        ks.deleteEntry("doomed"); // gone already: no error
    }

    @Test
    void aFailureHalfWayLeavesNothingBehind() throws Exception {
        KeyPair kp = generate("EC");
        byte[] id = ((P11jKey) kp.getPrivate()).id();
        X509Certificate leaf = ca.issue(kp.getPublic(), "broken");
        int before;
        try (WrapperSession w = WrapperSession.open(token)) {
            before = w.all().size();
        }
        // The key pair and the leaf are written before the second certificate fails to encode.
        assertThatThrownBy(() -> ks.setKeyEntry("broken", kp.getPrivate(), null, new Certificate[] {leaf, new Unencodable(ca.cert())}))
                .isInstanceOf(KeyStoreException.class).hasMessageContaining("encode");
        try (WrapperSession w = WrapperSession.open(token)) {
            assertThat(w.labelled("broken")).isEmpty();
            assertThat(w.withId(CKO_PRIVATE_KEY, id)).as("no token copy of the key").isEmpty();
            assertThat(w.withId(CKO_CERTIFICATE, id)).isEmpty();
            assertThat(w.all()).hasSize(before);
        }
        assertThat(ks.containsAlias("broken")).isFalse();
        // The same key stores fine afterwards.
        ks.setKeyEntry("broken", kp.getPrivate(), null, new Certificate[] {leaf});
        assertThat(reloaded().getCertificate("broken")).isEqualTo(leaf);
    }

    @Test
    void aChainForAnotherKeyIsRefused() throws Exception {
        KeyPair ec = generate("EC");
        KeyPair rsa = generate("RSA");
        X509Certificate forAnotherKey = ca.issue(Pki.ecKeyPair().getPublic(), "other");
        for (PrivateKey k : List.of(ec.getPrivate(), rsa.getPrivate())) {
            assertThatThrownBy(() -> ks.setKeyEntry("mismatch", k, null, new Certificate[] {forAnotherKey}))
                    .isInstanceOf(KeyStoreException.class).hasMessageContaining("not for this key");
        }
        assertThat(ks.containsAlias("mismatch")).isFalse();
        try (WrapperSession w = WrapperSession.open(token)) {
            assertThat(w.labelled("mismatch")).isEmpty();
        }
    }

    @Test
    void aStoredKeyCanBeStoredUnderASecondAlias() throws Exception {
        KeyPair kp = generate("EC");
        X509Certificate leaf = ca.issue(kp.getPublic(), "first");
        ks.setKeyEntry("first", kp.getPrivate(), null, new Certificate[] {leaf});
        // keytool -keyclone / -changealias: getKey, then setKeyEntry under the new alias.
        ks.setKeyEntry("second", ks.getKey("first", null), null, new Certificate[] {leaf});
        KeyStore again = reloaded();
        assertThat(again.getCertificate("first")).isEqualTo(leaf);
        assertThat(again.getCertificate("second")).isEqualTo(leaf);
        assertThat(((P11jKey) again.getKey("second", null)).id()).isNotEqualTo(((P11jKey) again.getKey("first", null)).id());
        ks.deleteEntry("first");
        assertThat(reloaded().getKey("second", null)).isNotNull();
    }

    @Test
    void storeWritesNothingToAToken() throws Exception {
        ks.store(null, null);
        ks.store(null);
        assertThat(Collections.list(ks.aliases())).isNotNull();
    }

    @Test
    void protectedKeyBytesAreRefused() {
        assertThatThrownBy(() -> ks.setKeyEntry("bytes", new byte[16], null)).isInstanceOf(KeyStoreException.class);
    }

    /** A certificate whose encoding fails, as a broken one from a bad source would. */
    @SuppressWarnings("deprecation") // X509Certificate's abstract getIssuerDN/getSubjectDN must be implemented
    private static final class Unencodable extends X509Certificate {
        private static final long serialVersionUID = 1L;
        private final transient X509Certificate real;

        Unencodable(X509Certificate real) {
            this.real = real;
        }

        @Override
        public byte[] getEncoded() throws CertificateEncodingException {
            throw new CertificateEncodingException("cannot encode this one");
        }

        @Override public void checkValidity() {}
        @Override public void checkValidity(java.util.Date date) {}
        @Override public int getVersion() { return real.getVersion(); }
        @Override public java.math.BigInteger getSerialNumber() { return real.getSerialNumber(); }
        @Override public java.security.Principal getIssuerDN() { return real.getIssuerX500Principal(); }
        @Override public javax.security.auth.x500.X500Principal getIssuerX500Principal() { return real.getIssuerX500Principal(); }
        @Override public java.security.Principal getSubjectDN() { return real.getSubjectX500Principal(); }
        @Override public javax.security.auth.x500.X500Principal getSubjectX500Principal() { return real.getSubjectX500Principal(); }
        @Override public java.util.Date getNotBefore() { return real.getNotBefore(); }
        @Override public java.util.Date getNotAfter() { return real.getNotAfter(); }
        @Override public byte[] getTBSCertificate() throws java.security.cert.CertificateEncodingException { return real.getTBSCertificate(); }
        @Override public byte[] getSignature() { return real.getSignature(); }
        @Override public String getSigAlgName() { return real.getSigAlgName(); }
        @Override public String getSigAlgOID() { return real.getSigAlgOID(); }
        @Override public byte[] getSigAlgParams() { return real.getSigAlgParams(); }
        @Override public boolean[] getIssuerUniqueID() { return real.getIssuerUniqueID(); }
        @Override public boolean[] getSubjectUniqueID() { return real.getSubjectUniqueID(); }
        @Override public boolean[] getKeyUsage() { return real.getKeyUsage(); }
        @Override public int getBasicConstraints() { return real.getBasicConstraints(); }
        @Override public void verify(java.security.PublicKey key) {}
        @Override public void verify(java.security.PublicKey key, String sigProvider) {}
        @Override public String toString() { return "Unencodable[" + real.getSubjectX500Principal() + "]"; }
        @Override public java.security.PublicKey getPublicKey() { return real.getPublicKey(); }
        @Override public boolean hasUnsupportedCriticalExtension() { return false; }
        @Override public java.util.Set<String> getCriticalExtensionOIDs() { return real.getCriticalExtensionOIDs(); }
        @Override public java.util.Set<String> getNonCriticalExtensionOIDs() { return real.getNonCriticalExtensionOIDs(); }
        @Override public byte[] getExtensionValue(String oid) { return real.getExtensionValue(oid); }
    }
}
