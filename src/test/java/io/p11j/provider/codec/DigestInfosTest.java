// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.util.HexFormat;
import javax.crypto.Cipher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DigestInfosTest {

    private static final HexFormat HEX = HexFormat.of();
    private static KeyPair rsa;

    @BeforeAll
    static void generateKey() throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
        kpg.initialize(2048);
        rsa = kpg.generateKeyPair();
    }

    @Test
    void sha256HasTheWellKnownPrefix() throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(new byte[0]);

        byte[] info = DigestInfos.encode("SHA-256", digest);

        assertThat(HEX.formatHex(info)).isEqualTo("3031300d060960864801650304020105000420" + HEX.formatHex(digest));
    }

    /** The prefixes of RFC 8017 section 9.2, note 1, and their SHA-3 siblings (NIST OIDs 2.16.840.1.101.3.4.2.7-10). */
    @ParameterizedTest
    @CsvSource({
        "SHA-1,       3021300906052b0e03021a05000414",
        "SHA-224,     302d300d06096086480165030402040500041c",
        "SHA-256,     3031300d060960864801650304020105000420",
        "SHA-384,     3041300d060960864801650304020205000430",
        "SHA-512,     3051300d060960864801650304020305000440",
        "SHA-512/224, 302d300d06096086480165030402050500041c",
        "SHA-512/256, 3031300d060960864801650304020605000420",
        "SHA3-224,    302d300d06096086480165030402070500041c",
        "SHA3-256,    3031300d060960864801650304020805000420",
        "SHA3-384,    3041300d060960864801650304020905000430",
        "SHA3-512,    3051300d060960864801650304020a05000440",
    })
    void everyDigestHasItsRfc8017Prefix(String name, String prefix) throws Exception {
        byte[] digest = MessageDigest.getInstance(name).digest("abc".getBytes(StandardCharsets.US_ASCII));

        assertThat(HEX.formatHex(DigestInfos.encode(name, digest))).isEqualTo(prefix + HEX.formatHex(digest));
    }

    /** Opening the JDK's SHAxxxwithRSA signature with the public key yields exactly this DigestInfo. */
    @ParameterizedTest
    @ValueSource(strings = {"SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512", "SHA-512/224", "SHA-512/256",
        "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512"})
    void theJdksSignatureHoldsThisDigestInfo(String name) throws Exception {
        byte[] message = "p11j".getBytes(StandardCharsets.US_ASCII);
        String jdkName = (name.startsWith("SHA3") ? name : name.replace("-", "")) + "withRSA";
        Signature jdk = Signature.getInstance(jdkName, "SunRsaSign");
        jdk.initSign(rsa.getPrivate());
        jdk.update(message);
        byte[] signature = jdk.sign();
        // RSA with PKCS#1 type-1 padding removed: what CKM_RSA_PKCS was (or would be) given to sign.
        Cipher open = Cipher.getInstance("RSA/ECB/PKCS1Padding", "SunJCE");
        open.init(Cipher.DECRYPT_MODE, rsa.getPublic());

        assertThat(open.doFinal(signature))
                .isEqualTo(DigestInfos.encode(name, MessageDigest.getInstance(name).digest(message)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SHA256", "sha-256", "Sha256", " SHA-256 ", "2.16.840.1.101.3.4.2.1"})
    void namesAreNormalized(String name) throws Exception {
        byte[] digest = new byte[32];
        assertThat(DigestInfos.encode(name, digest)).isEqualTo(DigestInfos.encode("SHA-256", digest));
    }

    @Test
    void shaAndSha1AreSha1() throws Exception {
        byte[] digest = new byte[20];
        assertThat(DigestInfos.encode("SHA", digest)).isEqualTo(DigestInfos.encode("SHA-1", digest));
        assertThat(DigestInfos.encode("SHA1", digest)).isEqualTo(DigestInfos.encode("SHA-1", digest));
        assertThat(DigestInfos.encode("SHA512/224", new byte[28])).isEqualTo(DigestInfos.encode("SHA-512/224", new byte[28]));
    }

    @ParameterizedTest
    @ValueSource(strings = {"MD5", "SHA-0", "SHAKE256", "", "SHA3"})
    void unknownDigestsAreRejected(String name) {
        assertThatThrownBy(() -> DigestInfos.encode(name, new byte[32])).isInstanceOf(NoSuchAlgorithmException.class);
    }

    @Test
    void aDigestOfTheWrongLengthIsABug() {
        assertThatThrownBy(() -> DigestInfos.encode("SHA-256", new byte[31]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 bytes, got 31");
        assertThatThrownBy(() -> DigestInfos.encode("SHA-384", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DigestInfos.encode(null, new byte[32])).isInstanceOf(NoSuchAlgorithmException.class);
    }
}
