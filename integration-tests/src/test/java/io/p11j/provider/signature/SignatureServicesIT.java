// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.P11jProvider;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.signature.SignatureFixtures.Kind;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.MessageDigestSpi;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.p11j.provider.signature.SignatureFixtures.jdk;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA256_RSA_PKCS;
import static io.p11j.provider.signature.SignatureFixtures.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What is registered where, under which names, and how the JCA finds it: the services on SoftHSM2,
 * on the unconfigured provider and on a token whose combined mechanisms are disabled (so that the
 * software-hashing path is the only one); JDK names and OIDs; delayed provider selection with the
 * provider installed; software hashing that never asks another installed provider for a digest.
 */
@ExtendWith(SoftHsmExtension.class)
class SignatureServicesIT {

    /** What SoftHSM2 2.6.1 gets: it has CKM_RSA_PKCS(_PSS), CKM_SHA*_RSA_PKCS(_PSS), CKM_ECDSA and CKM_EDDSA. */
    static final List<String> ON_SOFTHSM2 = List.of(
            "Ed25519", "Ed448", "EdDSA",
            "NONEwithECDSA", "NONEwithECDSAinP1363Format", "NONEwithRSA", "RSASSA-PSS",
            "SHA1withECDSA", "SHA1withECDSAinP1363Format", "SHA1withRSA", "SHA1withRSA/PSS",
            "SHA224withECDSA", "SHA224withECDSAinP1363Format", "SHA224withRSA", "SHA224withRSA/PSS",
            "SHA256withECDSA", "SHA256withECDSAinP1363Format", "SHA256withRSA", "SHA256withRSA/PSS",
            "SHA3-224withECDSA", "SHA3-224withECDSAinP1363Format", "SHA3-224withRSA",
            "SHA3-256withECDSA", "SHA3-256withECDSAinP1363Format", "SHA3-256withRSA",
            "SHA3-384withECDSA", "SHA3-384withECDSAinP1363Format", "SHA3-384withRSA",
            "SHA3-512withECDSA", "SHA3-512withECDSAinP1363Format", "SHA3-512withRSA",
            "SHA384withECDSA", "SHA384withECDSAinP1363Format", "SHA384withRSA", "SHA384withRSA/PSS",
            "SHA512withECDSA", "SHA512withECDSAinP1363Format", "SHA512withRSA", "SHA512withRSA/PSS");

    @TempDir
    static Path dir;
    static TestToken token;
    static Provider provider;

    @BeforeAll
    static void configure(TestToken t) {
        token = t;
        provider = ProviderFixture.provider(t, dir);
    }

    private static List<String> signatures(Provider p) {
        return p.getServices().stream().filter(s -> s.getType().equals("Signature")).map(Provider.Service::getAlgorithm)
                .sorted().toList();
    }

    @Test
    void softHsm2GetsEveryFamily() {
        assertThat(signatures(provider)).containsExactlyElementsOf(ON_SOFTHSM2.stream().sorted().toList());
        assertThat(provider.getService("Signature", "SHA256withECDSA").getAttribute("SupportedKeyClasses"))
                .contains("io.p11j.provider.P11jKey", "java.security.interfaces.ECPublicKey");
    }

    @Test
    void theUnconfiguredProviderOffersThemAllForP11jKeys() {
        assertThat(signatures(new P11jProvider())).containsExactlyElementsOf(ON_SOFTHSM2.stream().sorted().toList());
    }

    @Test
    void jdkNamesAndOids() {
        String[][] names = {
            {"OID.1.2.840.113549.1.1.11", "SHA256withRSA"}, {"1.2.840.113549.1.1.11", "SHA256withRSA"},
            {"SHA256WithRSA", "SHA256withRSA"}, {"sha256withrsa", "SHA256withRSA"}, {"1.3.14.3.2.29", "SHA1withRSA"},
            {"1.2.840.113549.1.1.5", "SHA1withRSA"}, {"2.16.840.1.101.3.4.3.14", "SHA3-256withRSA"},
            {"1.2.840.10045.4.3.2", "SHA256withECDSA"}, {"OID.1.2.840.10045.4.3.4", "SHA512withECDSA"},
            {"1.2.840.10045.4.1", "SHA1withECDSA"}, {"2.16.840.1.101.3.4.3.10", "SHA3-256withECDSA"},
            {"SHA256WithECDSAInP1363Format", "SHA256withECDSAinP1363Format"},
            {"1.2.840.113549.1.1.10", "RSASSA-PSS"}, {"PSS", "RSASSA-PSS"},
            {"SHA256withRSAandMGF1", "SHA256withRSA/PSS"},
            {"1.3.101.112", "Ed25519"}, {"OID.1.3.101.113", "Ed448"},
        };
        for (String[] n : names) {
            assertThat(provider.getService("Signature", n[0])).as(n[0]).isNotNull()
                    .extracting(Provider.Service::getAlgorithm).isEqualTo(n[1]);
        }
    }

    @Test
    void withoutCombinedMechanismsTheProviderHashesAndTheTokenSignsTheDigest() throws Exception {
        // Only the raw mechanisms are left: every RSA and PSS name now goes through CKM_RSA_PKCS over a
        // DigestInfo, or CKM_RSA_PKCS_PSS over the digest, with SUN hashing.
        Provider raw = SignatureFixtures.configured(token, dir, "raw", "disabled-mechanisms = "
                + "CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS, "
                + "CKM_SHA1_RSA_PKCS_PSS, CKM_SHA224_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS, "
                + "CKM_SHA512_RSA_PKCS_PSS");
        assertThat(signatures(raw)).containsExactlyElementsOf(signatures(provider));
        KeyPair kp = Kind.RSA.generate(raw);
        try {
            hashedBySun(raw, kp);
        } finally {
            SignatureFixtures.contextOf(kp).close(); // a provider for this test only: its sessions go now
        }
    }

    private static void hashedBySun(Provider raw, KeyPair kp) throws Exception {
        for (String algorithm : List.of("SHA1withRSA", "SHA256withRSA", "SHA512withRSA", "SHA256withRSA/PSS",
                "SHA512withRSA/PSS", "RSASSA-PSS")) {
            for (int size : new int[] {0, 100, 3 * P11Signature.SINGLE_PART_LIMIT}) {
                byte[] msg = message(algorithm, size, size);
                Signature signer = SignatureFixtures.p11j(algorithm, raw);
                signer.initSign(kp.getPrivate());
                signer.update(msg);
                byte[] sig = signer.sign();
                Signature verifier = jdk(algorithm);
                verifier.initVerify(kp.getPublic());
                verifier.update(msg);
                assertThat(verifier.verify(sig)).as("%s over %d bytes, hashed by SUN", algorithm, size).isTrue();

                Signature tokenVerifier = SignatureFixtures.p11j(algorithm, raw);
                tokenVerifier.initVerify(kp.getPublic());
                tokenVerifier.update(msg);
                assertThat(tokenVerifier.verify(sig)).isTrue();
            }
        }
        // PKCS#1 v1.5 is deterministic: the DigestInfo built here gives byte for byte the signature of the
        // token's own CKM_SHA256_RSA_PKCS (called through the wrapper, which the configuration does not filter).
        byte[] msg = message("SHA256withRSA", 1000, 9);
        Signature software = Signature.getInstance("SHA256withRSA", raw);
        software.initSign(kp.getPrivate());
        software.update(msg);
        P11Key key = (P11Key) kp.getPrivate();
        byte[] byToken = key.context().execute(s -> s.sign(Mechanism.of(CKM_SHA256_RSA_PKCS), key.handle(s), msg));
        assertThat(software.sign()).isEqualTo(byToken);
    }

    @Test
    void withoutAnyPssMechanismNoPssService() throws Exception {
        Provider noPss = SignatureFixtures.configured(token, dir, "nopss", "disabled-mechanisms = CKM_RSA_PKCS_PSS, "
                + "CKM_SHA1_RSA_PKCS_PSS, CKM_SHA224_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS, "
                + "CKM_SHA512_RSA_PKCS_PSS, CKM_ECDSA");
        try {
            assertThat(signatures(noPss)).noneMatch(a -> a.contains("PSS") || a.contains("ECDSA"))
                    .contains("SHA256withRSA", "Ed25519");
        } finally {
            SignatureFixtures.contextOf(Kind.ED25519.generate(noPss)).close(); // the way to its token: one of its keys
        }
    }

    @Test
    void delayedProviderSelectionFindsP11jForItsKeysAndPassesOverItForOthers() throws Exception {
        Security.addProvider(provider);
        try {
            for (String algorithm : List.of("SHA256withECDSA", "SHA256withECDSAinP1363Format", "SHA256withRSA", "Ed25519",
                    "SHA384withRSA/PSS")) {
                KeyPair kp = SignatureFixtures.kindFor(algorithm).generate(provider);
                Signature s = Signature.getInstance(algorithm); // no provider: chosen at initSign by the key
                s.initSign(kp.getPrivate());
                assertThat(s.getProvider()).as(algorithm).isSameAs(provider);
                byte[] msg = message(algorithm, 300, 1);
                s.update(msg);
                byte[] sig = s.sign();
                Signature v = algorithm.endsWith("/PSS") ? Signature.getInstance(algorithm, provider) : jdk(algorithm);
                v.initVerify(kp.getPublic());
                v.update(msg);
                assertThat(v.verify(sig)).isTrue();
            }
            // Software keys stay with the JDK while P11J is installed last.
            KeyPair soft = Kind.P256.generate(null);
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(soft.getPrivate());
            assertThat(s.getProvider().getName()).isEqualTo("SunEC");
        } finally {
            Security.removeProvider(provider.getName());
        }
        assertThat(Security.getProvider(provider.getName())).isNull();
    }

    @Test
    void firstInLineP11jDeclinesSoftwarePrivateKeysAndVerifiesSoftwarePublicKeysOnItsToken() throws Exception {
        KeyPair soft = Kind.P256.generate(null);
        // Without its SecureRandom: P11J first in line would become the JVM's default SecureRandom, which the JDK
        // keeps for the JVM's life (JCAUtil caches it at the first software signature), so every later test class in
        // this shared JVM would draw from this class's token after it is gone.
        Provider provider = SignatureFixtures.configured(token, dir, "first-in-line", "disabled-algorithms = SecureRandom");
        Security.insertProviderAt(provider, 1);
        try {
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(soft.getPrivate());
            assertThat(signer.getProvider().getName()).as("a software private key").isEqualTo("SunEC");
            signer.update(new byte[5]);
            byte[] sig = signer.sign();

            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(soft.getPublic());
            assertThat(verifier.getProvider()).as("a software public key, imported").isSameAs(provider);
            verifier.update(new byte[5]);
            assertThat(verifier.verify(sig)).isTrue();
        } finally {
            Security.removeProvider(provider.getName());
        }
        Provider unconfigured = new P11jProvider();
        Security.insertProviderAt(unconfigured, 1);
        try {
            Signature verifier = Signature.getInstance("SHA256withECDSA");
            verifier.initVerify(soft.getPublic());
            assertThat(verifier.getProvider().getName()).as("nowhere to import: declined").isEqualTo("SunEC");
        } finally {
            Security.removeProvider(unconfigured.getName());
        }
    }

    @Test
    void softwareHashingAsksSunAndNoOtherInstalledProvider() throws Exception {
        // A provider in first place offering the digests: P11J's software hashing must not pick it up.
        AtomicInteger used = new AtomicInteger();
        Provider decoy = new Provider("DecoyDigests", "1", "digests that count their use") {
            private static final long serialVersionUID = 1L;

            {
                for (String d : List.of("SHA-1", "SHA-256", "SHA-384", "SHA-512", "SHA3-256")) {
                    putService(new Service(this, "MessageDigest", d, "decoy", List.of(), null) {
                        @Override
                        public Object newInstance(Object param) throws NoSuchAlgorithmException {
                            used.incrementAndGet();
                            return new ForwardingDigest(MessageDigest.getInstance(getAlgorithm(), Security.getProvider("SUN")));
                        }
                    });
                }
            }
        };
        Security.insertProviderAt(decoy, 1);
        try {
            assertThat(MessageDigest.getInstance("SHA-256").getProvider()).isSameAs(decoy);
            used.set(0);
            for (String algorithm : List.of("SHA256withECDSA", "SHA384withECDSAinP1363Format", "SHA3-256withRSA",
                    "SHA3-256withECDSA")) {
                KeyPair kp = SignatureFixtures.kindFor(algorithm).generate(provider);
                Signature s = Signature.getInstance(algorithm, provider);
                s.initSign(kp.getPrivate());
                s.update(new byte[100]);
                byte[] sig = s.sign();
                s.initVerify(kp.getPublic());
                s.update(new byte[100]);
                assertThat(s.verify(sig)).isTrue();
            }
            assertThat(used).as("digests taken from the decoy").hasValue(0);
        } finally {
            Security.removeProvider(decoy.getName());
        }
    }

    /** A digest SPI around SUN's: what the decoy hands out, after counting. */
    private static final class ForwardingDigest extends MessageDigestSpi {
        private final MessageDigest inner;

        ForwardingDigest(MessageDigest inner) {
            this.inner = inner;
        }

        @Override
        protected void engineUpdate(byte input) {
            inner.update(input);
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int len) {
            inner.update(input, offset, len);
        }

        @Override
        protected byte[] engineDigest() {
            return inner.digest();
        }

        @Override
        protected void engineReset() {
            inner.reset();
        }
    }

    @Test
    void servicesOfTheProviderRejectKeysOfOtherKinds() {
        assertThatThrownBy(() -> Signature.getInstance("SHA256withECDSA", provider).initSign(Kind.RSA.generate(provider).getPrivate()))
                .isInstanceOf(java.security.InvalidKeyException.class).hasMessageContaining("needs an EC key");
    }
}
