// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.cipher.RsaDecryptionVectors.Case;
import io.p11j.provider.cipher.RsaDecryptionVectors.Group;
import io.p11j.provider.key.P11RsaPrivateKey;
import io.p11j.provider.token.Quirk;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.Provider;
import java.security.spec.MGF1ParameterSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The Wycheproof RSAES decryption vectors through P11J, with each group's private key imported onto
 * SoftHSM2 as a sensitive token object ({@link RsaTokenKeys}): every valid case decrypts to its
 * message, every invalid one is refused — a {@code BadPaddingException}, all with one message, or an
 * {@code IllegalBlockSizeException} for a ciphertext longer than the modulus (SunJCE's choice too).
 * Neither file has acceptable cases, and no case is skipped.
 *
 * <ul>
 *   <li>PKCS#1 v1.5 runs on the token ({@code CKM_RSA_PKCS}). SoftHSM2 2.6 over OpenSSL 3.0 rejects bad
 *       padding with an error; OpenSSL 3.2 and later (implicit rejection) would return a synthetic
 *       message instead, and the invalid cases here would then decrypt to it.</li>
 *   <li>OAEP SHA-256/MGF1-SHA-256 with labels is beyond SoftHSM2's {@code CKM_RSA_PKCS_OAEP} (quirk
 *       {@code oaep-sha1-only}): these cases run the provider's OAEP decoding over the token's raw
 *       {@code CKM_RSA_X_509}. With {@code CKM_RSA_X_509} disabled in the configuration, the token
 *       cannot take any of the 37 cases, and every one is refused at init.</li>
 * </ul>
 */
@ExtendWith(SoftHsmExtension.class)
class RsaWycheproofIT {

    @TempDir
    static Path dir;
    static Provider provider;
    static RsaTokenKeys keys;
    static TestToken token;

    @BeforeAll
    static void configure(TestToken t) throws Exception {
        token = t;
        keys = RsaTokenKeys.open(t);
        provider = ProviderFixture.provider(t, dir);
    }

    @AfterAll
    static void close() throws Exception {
        keys.close();
    }

    /** Every group's key on the token, in file order. */
    private static List<P11RsaPrivateKey> importKeys(RsaDecryptionVectors.File file, String prefix, Provider p) throws Exception {
        for (int i = 0; i < file.groups().size(); i++) {
            keys.importPrivate(file.groups().get(i).key(), prefix + i);
        }
        List<P11RsaPrivateKey> out = new ArrayList<>();
        for (int i = 0; i < file.groups().size(); i++) {
            out.add(RsaTokenKeys.privateKey(p, prefix + i));
        }
        return out;
    }

    @Test
    void pkcs1() throws Exception {
        RsaDecryptionVectors.File file = RsaDecryptionVectors.load("rsa_pkcs1_2048_test.json");
        assertThat(file.algorithm()).isEqualTo("RSAES-PKCS1-v1_5");
        assertThat(file.groups()).hasSize(33);
        List<P11RsaPrivateKey> tokenKeys = importKeys(file, "wycheproof-pkcs1-", provider);
        int valid = 0;
        int invalid = 0;
        int tooLong = 0;
        Set<String> paddingFailures = new HashSet<>();
        for (int g = 0; g < file.groups().size(); g++) {
            Group group = file.groups().get(g);
            Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding", provider);
            c.init(Cipher.DECRYPT_MODE, tokenKeys.get(g));
            int k = (group.key().getModulus().bitLength() + 7) / 8;
            for (Case t : group.tests()) {
                switch (t.result()) {
                    case "valid" -> {
                        assertThat(c.doFinal(t.ct())).as(t.toString()).isEqualTo(t.msg());
                        valid++;
                    }
                    case "invalid" -> {
                        Throwable e = refusal(c, t);
                        if (t.ct().length > k) {
                            assertThat(e).as(t.toString()).isInstanceOf(IllegalBlockSizeException.class);
                            tooLong++;
                        } else {
                            assertThat(e).as(t.toString()).isInstanceOf(BadPaddingException.class)
                                    .hasMessage("RSA decryption failed");
                        }
                        if (t.flags().contains("InvalidPkcs1Padding")) {
                            // Wycheproof's advice: every padding failure must look the same, down to the cause's code.
                            assertThat(e.getCause()).as(t.toString()).isInstanceOf(Pkcs11Exception.class);
                            paddingFailures.add(e.getClass().getName() + ": " + e.getMessage() + " / " + e.getCause().getMessage());
                        }
                        invalid++;
                    }
                    default -> fail("unexpected result " + t.result() + " in " + t);
                }
            }
        }
        assertThat(valid + invalid).isEqualTo(file.numberOfTests()).isEqualTo(67);
        assertThat(valid).isEqualTo(42);
        assertThat(invalid).isEqualTo(25);
        assertThat(tooLong).isEqualTo(3); // "ciphertext not reduced", prepended and appended bytes
        assertThat(paddingFailures).as("distinct reactions to the 19 invalid paddings").hasSize(1);
    }

    @Test
    void oaepSha256WithLabelsDecodedOverTheTokensRawRsa() throws Exception {
        RsaDecryptionVectors.File file = RsaDecryptionVectors.load("rsa_oaep_2048_sha256_mgf1sha256_test.json");
        assertThat(file.algorithm()).isEqualTo("RSAES-OAEP");
        assertThat(file.groups()).hasSize(1);
        Group group = file.groups().get(0);
        assertThat(group.sha()).isEqualTo("SHA-256");
        assertThat(group.mgfSha()).isEqualTo("SHA-256");
        P11RsaPrivateKey key = importKeys(file, "wycheproof-oaep-", provider).get(0);
        assertThat(key.context().has(Quirk.OAEP_SHA1_ONLY)).as("SoftHSM2 takes OAEP with SHA-1 only").isTrue();
        int valid = 0;
        int invalid = 0;
        int tooLong = 0;
        Set<String> failures = new HashSet<>();
        Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding", provider);
        for (Case t : group.tests()) {
            c.init(Cipher.DECRYPT_MODE, key, spec(t));
            switch (t.result()) {
                case "valid" -> {
                    assertThat(c.doFinal(t.ct())).as(t.toString()).isEqualTo(t.msg());
                    valid++;
                }
                case "invalid" -> {
                    Throwable e = refusal(c, t);
                    if (t.ct().length > 256) {
                        assertThat(e).as(t.toString()).isInstanceOf(IllegalBlockSizeException.class);
                        tooLong++;
                    } else {
                        assertThat(e).as(t.toString()).isInstanceOf(BadPaddingException.class).hasMessage("RSA decryption failed");
                    }
                    if (t.flags().contains("InvalidOaepPadding")) {
                        // Manger's attack needs to tell failures apart: one exception, one message, one cause message.
                        failures.add(e.getClass().getName() + ": " + e.getMessage() + " / " + e.getCause());
                    }
                    invalid++;
                }
                default -> fail("unexpected result " + t.result() + " in " + t);
            }
        }
        assertThat(valid + invalid).isEqualTo(file.numberOfTests()).isEqualTo(37);
        assertThat(valid).isEqualTo(18);
        assertThat(invalid).isEqualTo(19);
        assertThat(tooLong).isEqualTo(3);
        assertThat(failures).as("distinct reactions to the 13 invalid OAEP paddings").hasSize(1);
    }

    @Test
    void withoutRawRsaTheTokenCannotTakeAnyOaepCase() throws Exception {
        Path file = dir.resolve("no-raw.conf");
        Files.writeString(file, "name = noraw\ntoken = " + ProviderFixture.uri(token, dir) + "\n"
                + "disabled-mechanisms = CKM_RSA_X_509\n");
        Provider noRaw = new io.p11j.provider.P11jProvider().configure(file.toString());
        RsaDecryptionVectors.File vectors = RsaDecryptionVectors.load("rsa_oaep_2048_sha256_mgf1sha256_test.json");
        keys.importPrivate(vectors.groups().get(0).key(), "wycheproof-oaep-noraw");
        P11RsaPrivateKey key = RsaTokenKeys.privateKey(noRaw, "wycheproof-oaep-noraw");
        int refused = 0;
        for (Case t : vectors.groups().get(0).tests()) {
            Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding", noRaw);
            assertThatThrownBy(() -> c.init(Cipher.DECRYPT_MODE, key, spec(t))).as(t.toString())
                    .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("oaep-sha1-only")
                    .hasMessageContaining("no CKM_RSA_X_509");
            refused++;
        }
        assertThat(refused).isEqualTo(37);
        key.context().close(); // this provider's sessions go now
    }

    private static OAEPParameterSpec spec(Case t) {
        return new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, new PSource.PSpecified(t.label()));
    }

    private static Throwable refusal(Cipher c, Case t) {
        try {
            byte[] out = c.doFinal(t.ct());
            fail(t + " decrypted to " + out.length + " bytes");
            return null;
        } catch (BadPaddingException | IllegalBlockSizeException e) {
            return e;
        }
    }
}
