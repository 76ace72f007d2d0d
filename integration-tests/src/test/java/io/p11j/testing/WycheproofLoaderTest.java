// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.p11j.testing.Wycheproof.Group;
import io.p11j.testing.Wycheproof.TestCase;
import io.p11j.testing.Wycheproof.TestFile;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Wycheproof loader reads what the files hold: every test is there, every key decodes and
 * matches its parts, and independent verifiers agree with each test's {@code result}. If a field
 * were misread (a signature taken for a message, hex decoded wrongly, a group's key attached to
 * another group's tests) valid cases would stop verifying.
 *
 * <p>Two verifiers: Bouncy Castle, which agrees with every case, and the JDK's own providers (SunEC,
 * SunRsaSign), which agree with every case but a few where JDK 17's SunEC is known to deviate from
 * Wycheproof; those are listed, with the reason, in {@link #JDK_DEVIATIONS}. A JDK that deviates
 * on fewer cases passes too; one that deviates on others fails.
 */
class WycheproofLoaderTest {

    /**
     * Test ids where SunEC (JDK 17) disagrees with Wycheproof. It:
     * <ul>
     *   <li>accepts a DER INTEGER {@code s} without its leading zero, i.e. negative, read as unsigned
     *       ({@code MissingZero}, tcId 6);</li>
     *   <li>rejects valid signatures whose {@code x(kG)} is at least the order {@code n}, so that
     *       {@code r = x mod n} needs the reduction ("k*G has a large x-coordinate", "x = n + 3 is the
     *       smallest possible x with a reduction");</li>
     *   <li>in P1363 format, accepts {@code r‖s} of the wrong length ({@code SignatureSize});</li>
     *   <li>for Ed25519, accepts a signature with a zero byte appended ({@code SignatureWithGarbage}).</li>
     * </ul>
     */
    private static final Map<String, Set<Integer>> JDK_DEVIATIONS = Map.of(
            "ecdsa_secp256r1_sha256_test.json", Set.of(6, 350, 479),
            "ecdsa_secp384r1_sha384_test.json", Set.of(6, 382, 499),
            "ecdsa_secp256r1_sha256_p1363_test.json",
            Set.of(115, 257, 121, 123, 125, 127, 129, 131, 133, 135, 145, 147, 149, 151),
            "ed25519_test.json", Set.of(37));

    @ParameterizedTest
    @ValueSource(strings = {
        "ecdsa_secp256r1_sha256_test.json",
        "ecdsa_secp256r1_sha256_p1363_test.json",
        "ecdsa_secp384r1_sha384_test.json",
        "ed25519_test.json",
        "rsa_signature_2048_sha256_test.json",
        "rsa_pss_2048_sha256_mgf1_32_test.json",
    })
    void everyTestIsLoadedAndEveryKeyMatchesItsParts(String name) throws GeneralSecurityException {
        TestFile file = Wycheproof.load(name);

        assertThat(file.algorithm()).isNotBlank();
        assertThat(file.schema()).endsWith("_schema_v1.json");
        assertThat(file.groups()).isNotEmpty();
        assertThat(file.tests().count()).isEqualTo(file.numberOfTests());
        Set<Integer> ids = new HashSet<>();
        file.tests().forEach(t -> {
            assertThat(ids.add(t.tcId())).as("tcId %d unique", t.tcId()).isTrue();
            assertThat(t.result()).isIn("valid", "invalid", "acceptable");
            assertThat(t.msg()).isNotNull();
            assertThat(t.sig()).isNotNull();
            assertThat(t.comment()).isNotNull();
        });
        for (Group g : file.groups()) {
            PublicKey key = g.publicKey();
            assertThat(key.getEncoded()).isEqualTo(g.publicKeyDer());
            if (g.type().startsWith("Ecdsa")) {
                assertThat(g.sha()).isNotNull();
                assertThat(((ECPublicKey) key).getW()).isEqualTo(g.ecKey().w());
                assertThat(g.ecKey().uncompressed()).hasSize(1 + 2 * ((g.ecKey().keySize() + 7) / 8));
            } else if (g.type().startsWith("Rsassa")) {
                assertThat(g.sha()).isNotNull();
                assertThat(((RSAPublicKey) key).getModulus()).isEqualTo(g.rsaKey().n());
                assertThat(((RSAPublicKey) key).getPublicExponent()).isEqualTo(g.rsaKey().e());
                assertThat(((RSAPublicKey) key).getModulus().bitLength()).isEqualTo(g.rsaKey().keySize());
                assertThat(g.pss() != null).isEqualTo(g.type().equals("RsassaPssVerify"));
            } else {
                assertThat(g.type()).isEqualTo("EddsaVerify");
                byte[] der = g.publicKeyDer();
                assertThat(Arrays.copyOfRange(der, der.length - g.edKey().pk().length, der.length))
                        .isEqualTo(g.edKey().pk());
            }
        }
    }

    @ParameterizedTest
    @CsvSource({
        "ecdsa_secp256r1_sha256_test.json,       SHA256withECDSA,              SunEC",
        "ecdsa_secp384r1_sha384_test.json,       SHA384withECDSA,              SunEC",
        "ecdsa_secp256r1_sha256_p1363_test.json, SHA256withECDSAinP1363Format, SunEC",
        "ed25519_test.json,                      Ed25519,                      SunEC",
        "rsa_signature_2048_sha256_test.json,    SHA256withRSA,                SunRsaSign",
        "rsa_pss_2048_sha256_mgf1_32_test.json,  RSASSA-PSS,                   SunRsaSign",
    })
    void theJdkAgreesWithEveryResultButItsKnownDeviations(String name, String algorithm, String provider)
            throws GeneralSecurityException {
        TestFile file = Wycheproof.load(name);
        Provider jdk = Signature.getInstance(algorithm, provider).getProvider();

        Set<Integer> disagreements = disagreements(file, algorithm, jdk);

        assertThat(disagreements).isSubsetOf(JDK_DEVIATIONS.getOrDefault(name, Set.of()));
    }

    @ParameterizedTest
    @CsvSource({
        "ecdsa_secp256r1_sha256_test.json,       SHA256withECDSA",
        "ecdsa_secp384r1_sha384_test.json,       SHA384withECDSA",
        "ecdsa_secp256r1_sha256_p1363_test.json, SHA256withPLAIN-ECDSA",
        "ed25519_test.json,                      Ed25519",
        "rsa_signature_2048_sha256_test.json,    SHA256withRSA",
        "rsa_pss_2048_sha256_mgf1_32_test.json,  RSASSA-PSS",
    })
    void bouncyCastleAgreesWithEveryResult(String name, String algorithm) throws GeneralSecurityException {
        TestFile file = Wycheproof.load(name);

        assertThat(disagreements(file, algorithm, new BouncyCastleProvider())).isEmpty();
    }

    /** The ids of the valid and invalid tests on which {@code provider} disagrees; acceptable ones are skipped. */
    private static Set<Integer> disagreements(TestFile file, String algorithm, Provider provider)
            throws GeneralSecurityException {
        Set<Integer> out = new TreeSet<>();
        int checked = 0;
        for (Group g : file.groups()) {
            String keyAlgorithm = g.publicKey().getAlgorithm();
            PublicKey key = KeyFactory.getInstance(keyAlgorithm, provider)
                    .generatePublic(new X509EncodedKeySpec(g.publicKeyDer()));
            for (TestCase t : g.tests()) {
                if (t.acceptable()) {
                    continue;
                }
                Signature verifier = Signature.getInstance(algorithm, provider);
                if (g.pss() != null) {
                    verifier.setParameter(new PSSParameterSpec(g.sha(), g.pss().mgf(),
                            new MGF1ParameterSpec(g.pss().mgfSha()), g.pss().sLen(), PSSParameterSpec.TRAILER_FIELD_BC));
                }
                verifier.initVerify(key);
                verifier.update(t.msg());
                boolean verified;
                try {
                    verified = verifier.verify(t.sig());
                } catch (SignatureException e) {
                    verified = false;
                }
                if (verified != t.valid()) {
                    out.add(t.tcId());
                }
                checked++;
            }
        }
        assertThat(checked).isEqualTo(file.tests().filter(t -> !t.acceptable()).count());
        return out;
    }
}
