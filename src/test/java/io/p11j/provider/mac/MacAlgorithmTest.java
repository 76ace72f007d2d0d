// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.mac;

import io.p11j.wrapper.MechanismInfo;
import org.junit.jupiter.api.Test;

import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import java.security.Provider;
import java.security.Security;
import java.util.Set;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The MAC table against the JDK's own: names, OIDs, output lengths, default key lengths. */
class MacAlgorithmTest {

    @Test
    void hmacsHaveSunJcesNamesOidsAndLengths() throws Exception {
        Provider sunJce = Security.getProvider("SunJCE");
        for (MacAlgorithm a : MacAlgorithm.values()) {
            if (!a.isHmac()) {
                continue;
            }
            Provider.Service mac = sunJce.getService("Mac", a.jcaName());
            assertThat(mac).as(a.jcaName()).isNotNull();
            for (String alias : a.aliases()) {
                assertThat(sunJce.getService("Mac", alias)).as(a.jcaName() + " alias " + alias).isSameAs(mac);
            }
            assertThat(Mac.getInstance(a.jcaName(), sunJce).getMacLength()).isEqualTo(a.macLength());
            assertThat(KeyGenerator.getInstance(a.jcaName(), sunJce).generateKey().getEncoded())
                    .as(a.jcaName() + " default key length").hasSize(a.defaultKeyLength());
            assertThat(a.takesKeyType(CKK_GENERIC_SECRET)).isTrue();
            assertThat(a.takesKeyType(CKK_AES)).isFalse();
            assertThat(MacAlgorithm.byName(a.jcaName().toUpperCase(java.util.Locale.ROOT))).contains(a);
        }
        assertThat(MacAlgorithm.AES_CMAC.takesKeyType(CKK_AES)).isTrue();
        assertThat(MacAlgorithm.AES_CMAC.takesKeyType(CKK_GENERIC_SECRET)).isFalse();
        assertThat(MacAlgorithm.HMAC_SHA256.takesKeyType(CKK_SHA256_HMAC)).isTrue();
        assertThat(MacAlgorithm.HMAC_SHA256.takesKeyType(CKK_SHA384_HMAC)).isFalse();
        assertThat(MacAlgorithm.byName("AES-CMAC")).contains(MacAlgorithm.AES_CMAC);
        assertThat(MacAlgorithm.hmac("AESCMAC")).isEmpty();
        assertThat(MacAlgorithm.byName("HmacMD5")).isEmpty();
    }

    @Test
    void keyRangesAreBytesExceptAnAesRangeGivenInBits() {
        assertThat(MacAlgorithm.byteRange(new MechanismInfo(CKM_SHA256_HMAC, 32, 512, Set.of()))).hasValueSatisfying(
                r -> assertThat(r).containsExactly(32, 512));
        assertThat(MacAlgorithm.byteRange(new MechanismInfo(CKM_AES_CMAC, 16, 32, Set.of()))).hasValueSatisfying(
                r -> assertThat(r).containsExactly(16, 32));
        assertThat(MacAlgorithm.byteRange(new MechanismInfo(CKM_AES_KEY_GEN, 128, 256, Set.of()))).hasValueSatisfying(
                r -> assertThat(r).containsExactly(16, 32));
        assertThat(MacAlgorithm.byteRange(new MechanismInfo(CKM_SHA256_HMAC, 0, 0, Set.of()))).isEmpty();
        assertThat(MacAlgorithm.byteRange(new MechanismInfo(CKM_GENERIC_SECRET_KEY_GEN, 1, 0x80000000L, Set.of())))
                .hasValueSatisfying(r -> assertThat(r).containsExactly(1, Integer.MAX_VALUE));
    }
}
