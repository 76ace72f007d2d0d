// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.mac;

import io.p11j.provider.key.P11SecretKey;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.SecretKeySpec;
import java.nio.file.Path;
import java.security.Provider;
import java.security.spec.InvalidKeySpecException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Wycheproof's {@code hmac_sha256_test.json} on the token: each test's key imported with P11J's
 * {@code SecretKeyFactory} (a sensitive session object), the MAC computed by P11J's
 * {@code HmacSHA256} ({@code CKM_SHA256_HMAC}). Every {@code valid} case gives the expected tag, every
 * {@code invalid} one (a modified tag) does not. Half the groups have a 128-bit {@code tagSize}: the
 * tag is the leftmost 16 bytes of the HMAC, so the full HMAC is computed and its prefix compared
 * (what a verifier of truncated tags does).
 *
 * <p>Skipped, with the reason: the 6 cases with 16-byte keys ({@code keySize} 128, tcId 163–168, all
 * {@code valid}). SoftHSM2's {@code CKM_SHA256_HMAC} takes keys of 32 to 512 bytes
 * (its {@code CK_MECHANISM_INFO}), so the factory refuses to import them
 * ({@code InvalidKeySpecException} naming that range) — a key the token would refuse at
 * {@code C_SignInit} with {@code CKR_KEY_SIZE_RANGE}. Those 6 are checked to be what SunJCE
 * computes, so that the skip hides no wrong vector. The counts are asserted exactly.
 */
@ExtendWith(SoftHsmExtension.class)
class MacWycheproofIT {

    @TempDir
    static Path dir;
    static Provider provider;

    @BeforeAll
    static void configure(TestToken token) {
        provider = ProviderFixture.provider(token, dir);
    }

    @Test
    void hmacSha256AsWycheproofSays() throws Exception {
        MacVectors.TestFile vectors = MacVectors.load("hmac_sha256_test.json");
        assertThat(vectors.algorithm()).isEqualTo("HMACSHA256");
        SecretKeyFactory factory = SecretKeyFactory.getInstance("HmacSHA256", provider);
        Mac mac = Mac.getInstance("HmacSHA256", provider);
        int validMatched = 0;
        int invalidMismatched = 0;
        int truncated = 0;
        List<String> wrong = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (MacVectors.Group g : vectors.groups()) {
            for (MacVectors.TestCase t : g.tests()) {
                SecretKey key;
                try {
                    key = factory.generateSecret(new SecretKeySpec(t.key(), "HmacSHA256"));
                } catch (InvalidKeySpecException e) {
                    skipped.add("tcId " + t.tcId() + " (" + t.result() + ", " + t.key().length + "-byte key): " + e.getMessage());
                    // The vector itself is right: SunJCE computes its tag.
                    Mac sun = Mac.getInstance("HmacSHA256", "SunJCE");
                    sun.init(new SecretKeySpec(t.key(), "HmacSHA256"));
                    byte[] soft = Arrays.copyOf(sun.doFinal(t.msg()), g.tagSize() / 8);
                    assertThat(Arrays.equals(soft, t.tag())).as("SunJCE on skipped tcId " + t.tcId()).isEqualTo(t.valid());
                    continue;
                }
                assertThat(key).isInstanceOf(P11SecretKey.class);
                assertThat(key.getEncoded()).isNull();
                mac.init(key);
                byte[] full = mac.doFinal(t.msg());
                assertThat(full).hasSize(32);
                byte[] tag = Arrays.copyOf(full, g.tagSize() / 8);
                if (g.tagSize() < 256) {
                    truncated++;
                }
                boolean matches = Arrays.equals(tag, t.tag());
                if (t.valid() && matches) {
                    validMatched++;
                } else if (t.invalid() && !matches) {
                    invalidMismatched++;
                } else {
                    wrong.add("tcId " + t.tcId() + " " + t.result() + " " + t.flags() + " '" + t.comment() + "' -> "
                            + (matches ? "matches" : "differs"));
                }
            }
        }
        System.out.printf("Wycheproof hmac_sha256_test.json via P11J HmacSHA256: valid matched %d, invalid mismatched %d, "
                + "skipped %d (%d truncated-tag cases)%n", validMatched, invalidMismatched, skipped.size(), truncated);
        skipped.forEach(s -> System.out.println("  skipped: " + s));

        assertThat(wrong).as("cases decided against Wycheproof").isEmpty();
        assertThat(validMatched).as("valid tags computed").isEqualTo(60);
        assertThat(invalidMismatched).as("invalid tags not computed").isEqualTo(108);
        assertThat(skipped).as("cases with keys the token's CKM_SHA256_HMAC does not take").hasSize(6)
                .allSatisfy(s -> assertThat(s).contains("16-byte key").contains("32 to 512 bytes"));
        assertThat(truncated).as("128-bit tags compared as prefixes").isEqualTo(84);
        assertThat(validMatched + invalidMismatched + skipped.size()).isEqualTo(vectors.numberOfTests());
    }
}
