package io.p11j.sys;

import static io.p11j.sys.Pkcs11Constants.CKA_ECDSA_PARAMS;
import static io.p11j.sys.Pkcs11Constants.CKA_EC_PARAMS;
import static io.p11j.sys.Pkcs11Constants.CKA_VALUE;
import static io.p11j.sys.Pkcs11Constants.CKA_WRAP_TEMPLATE;
import static io.p11j.sys.Pkcs11Constants.CKF_INTERFACE_FORK_SAFE;
import static io.p11j.sys.Pkcs11Constants.CKF_OS_LOCKING_OK;
import static io.p11j.sys.Pkcs11Constants.CKK_EC;
import static io.p11j.sys.Pkcs11Constants.CKK_ECDSA;
import static io.p11j.sys.Pkcs11Constants.CKM_ECDSA_KEY_PAIR_GEN;
import static io.p11j.sys.Pkcs11Constants.CKM_EC_KEY_PAIR_GEN;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA256_RSA_PKCS;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA3_256;
import static io.p11j.sys.Pkcs11Constants.CKM_VENDOR_DEFINED;
import static io.p11j.sys.Pkcs11Constants.CKO_PRIVATE_KEY;
import static io.p11j.sys.Pkcs11Constants.CKO_VENDOR_DEFINED;
import static io.p11j.sys.Pkcs11Constants.CKR_OK;
import static io.p11j.sys.Pkcs11Constants.CKR_OPERATION_CANCEL_FAILED;
import static io.p11j.sys.Pkcs11Constants.CKR_PIN_INCORRECT;
import static io.p11j.sys.Pkcs11Constants.CKR_PIN_TOO_WEAK;
import static io.p11j.sys.Pkcs11Constants.CKR_VENDOR_DEFINED;
import static io.p11j.sys.Pkcs11Constants.CK_UNAVAILABLE_INFORMATION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Pkcs11ConstantsTest {

    /** Every {@code public static final long} constant of the class, by name, in field order. */
    private static Map<String, Long> constants() throws IllegalAccessException {
        Map<String, Long> result = new LinkedHashMap<>();
        for (Field f : Pkcs11Constants.class.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m)
                    && f.getType() == long.class) {
                result.put(f.getName(), f.getLong(null));
            }
        }
        return result;
    }

    @Test
    void wellKnownValues() {
        assertThat(CKR_OK).isZero();
        assertThat(CKR_PIN_INCORRECT).isEqualTo(0xA0L);
        assertThat(CKM_SHA256_RSA_PKCS).isEqualTo(0x40L);
        assertThat(CKA_VALUE).isEqualTo(0x11L);
        assertThat(CKF_OS_LOCKING_OK).isEqualTo(2L);
        assertThat(CKO_PRIVATE_KEY).isEqualTo(3L);
        assertThat(CKA_WRAP_TEMPLATE).isEqualTo(0x40000211L);
        assertThat(CKR_VENDOR_DEFINED).isEqualTo(0x80000000L);
        assertThat(CKM_VENDOR_DEFINED).isEqualTo(0x80000000L);
    }

    @Test
    void unavailableInformationIsTheLp64AllOnesValue() {
        assertThat(CK_UNAVAILABLE_INFORMATION).isEqualTo(-1L).isEqualTo(0xFFFFFFFFFFFFFFFFL);
    }

    @Test
    void pkcs11v3NamesTakenFromNss() {
        assertThat(CKR_OPERATION_CANCEL_FAILED).isEqualTo(0x202L);
        assertThat(CKF_INTERFACE_FORK_SAFE).isEqualTo(1L);
        assertThat(CKM_SHA3_256).isEqualTo(0x2B0L);
        assertThat(Pkcs11Constants.rvName(0x202)).isEqualTo("CKR_OPERATION_CANCEL_FAILED");
        assertThat(Pkcs11Constants.mechanismName(0x2B0)).isEqualTo("CKM_SHA3_256");
    }

    @Test
    void pinTooWeakHasTheOasisValueNotTheP11KitOne() {
        // p11-kit 0.24.1 declares 0x1C3; the OASIS headers, NSS and tokens use 0x1B8.
        assertThat(CKR_PIN_TOO_WEAK).isEqualTo(0x1B8L);
        assertThat(Pkcs11Constants.rvName(0x1B8)).isEqualTo("CKR_PIN_TOO_WEAK");
    }

    @Test
    void rvNameOfKnownValues() {
        assertThat(Pkcs11Constants.rvName(0xA0)).isEqualTo("CKR_PIN_INCORRECT");
        assertThat(Pkcs11Constants.rvName(0)).isEqualTo("CKR_OK");
        assertThat(Pkcs11Constants.name("CKR_", 0xA0)).isEqualTo("CKR_PIN_INCORRECT");
        assertThat(Pkcs11Constants.mechanismName(0x40)).isEqualTo("CKM_SHA256_RSA_PKCS");
        assertThat(Pkcs11Constants.attributeName(0x11)).isEqualTo("CKA_VALUE");
        assertThat(Pkcs11Constants.keyTypeName(0x1F)).isEqualTo("CKK_AES");
        assertThat(Pkcs11Constants.objectClassName(3)).isEqualTo("CKO_PRIVATE_KEY");
        assertThat(Pkcs11Constants.objectClassName(CKO_VENDOR_DEFINED))
                .isEqualTo("CKO_VENDOR_DEFINED");
    }

    @Test
    void unknownValuesAreFormattedNeverNull() {
        assertThat(Pkcs11Constants.mechanismName(CKM_VENDOR_DEFINED + 0x1234))
                .isEqualTo("CKM_VENDOR_DEFINED+0x1234");
        assertThat(Pkcs11Constants.rvName(0x80000123L)).isEqualTo("CKR_VENDOR_DEFINED+0x123");
        assertThat(Pkcs11Constants.keyTypeName(0x80000001L)).isEqualTo("CKK_VENDOR_DEFINED+0x1");
        assertThat(Pkcs11Constants.attributeName(0xFFFFFFFFL))
                .isEqualTo("CKA_VENDOR_DEFINED+0x7FFFFFFF");
        assertThat(Pkcs11Constants.rvName(0x1FF)).isEqualTo("CKR_0x1FF");
        assertThat(Pkcs11Constants.objectClassName(0x7FFF)).isEqualTo("CKO_0x7FFF");
        // Beyond 32 bits the vendor form is not used.
        assertThat(Pkcs11Constants.rvName(-1L)).isEqualTo("CKR_0xFFFFFFFFFFFFFFFF");
        assertThat(Pkcs11Constants.name("CKR_", 0x1FF)).isNull();
        assertThat(Pkcs11Constants.names("CKR_", 0x1FF)).isEmpty();
    }

    @Test
    void everyDeclaredRvRoundTripsThroughRvName() throws IllegalAccessException {
        Map<String, Long> all = constants();
        List<String> checked = new ArrayList<>();
        for (Map.Entry<String, Long> e : all.entrySet()) {
            if (!e.getKey().startsWith("CKR_")) {
                continue;
            }
            long value = e.getValue();
            String name = Pkcs11Constants.rvName(value);
            assertThat(name).as("rvName of %s", e.getKey()).startsWith("CKR_");
            assertThat(all).as("rvName of %s", e.getKey()).containsEntry(name, value);
            assertThat(Pkcs11Constants.names("CKR_", value)).contains(e.getKey());
            checked.add(e.getKey());
        }
        assertThat(checked).hasSizeGreaterThan(90).contains("CKR_OK", "CKR_PIN_INCORRECT");
    }

    @Test
    void everyConstantIsFoundInExactlyOneFamily() throws IllegalAccessException {
        for (Map.Entry<String, Long> e : constants().entrySet()) {
            List<String> families = new ArrayList<>();
            for (String prefix : Pkcs11Constants.prefixes()) {
                if (Pkcs11Constants.names(prefix, e.getValue()).contains(e.getKey())) {
                    families.add(prefix);
                }
            }
            assertThat(families).as("families of %s", e.getKey()).hasSize(1);
            assertThat(e.getKey()).startsWith(families.get(0));
            String canonical = Pkcs11Constants.name(families.get(0), e.getValue());
            assertThat(Pkcs11Constants.names(families.get(0), e.getValue()))
                    .first().isEqualTo(canonical);
        }
    }

    @Test
    void deprecatedSpellingsAreNamesButNotCanonical() {
        assertThat(CKA_ECDSA_PARAMS).isEqualTo(CKA_EC_PARAMS).isEqualTo(0x180L);
        assertThat(Pkcs11Constants.names("CKA_", CKA_EC_PARAMS))
                .containsExactly("CKA_EC_PARAMS", "CKA_ECDSA_PARAMS");
        assertThat(Pkcs11Constants.attributeName(CKA_ECDSA_PARAMS)).isEqualTo("CKA_EC_PARAMS");

        assertThat(CKM_ECDSA_KEY_PAIR_GEN).isEqualTo(CKM_EC_KEY_PAIR_GEN).isEqualTo(0x1040L);
        assertThat(Pkcs11Constants.mechanismName(CKM_ECDSA_KEY_PAIR_GEN))
                .isEqualTo("CKM_EC_KEY_PAIR_GEN");
        assertThat(Pkcs11Constants.names("CKM_", CKM_EC_KEY_PAIR_GEN))
                .containsExactly("CKM_EC_KEY_PAIR_GEN", "CKM_ECDSA_KEY_PAIR_GEN");

        assertThat(CKK_ECDSA).isEqualTo(CKK_EC);
        assertThat(Pkcs11Constants.keyTypeName(CKK_EC)).isEqualTo("CKK_EC");
        assertThat(Pkcs11Constants.keyTypeName(0x18)).isEqualTo("CKK_CAST128");
        // NSS: #define CKF_EC_NAMEDCURVE CKF_EC_OID /* renamed in v3.0 */
        assertThat(Pkcs11Constants.names("CKF_", 0x00800000L))
                .contains("CKF_EC_OID", "CKF_EC_NAMEDCURVE");
        assertThat(Pkcs11Constants.names("CKF_", 0x00800000L))
                .last().isEqualTo("CKF_EC_NAMEDCURVE");
    }

    @Test
    void flagsOfDifferentSetsShareValues() {
        assertThat(Pkcs11Constants.names("CKF_", CKF_OS_LOCKING_OK))
                .contains("CKF_OS_LOCKING_OK", "CKF_RW_SESSION", "CKF_REMOVABLE_DEVICE",
                        "CKF_WRITE_PROTECTED");
        assertThat(Pkcs11Constants.name("CKF_", CKF_OS_LOCKING_OK))
                .isEqualTo("CKF_REMOVABLE_DEVICE");
    }

    @Test
    void nestedPrefixesAreSeparateFamilies() {
        // CK_OTP_FORMAT (7) is in family CK_OTP_, not in the CK_ specials.
        assertThat(Pkcs11Constants.name("CK_", 7)).isNull();
        assertThat(Pkcs11Constants.names("CK_OTP_", 7))
                .contains("CK_OTP_FORMAT", "CK_OTP_OUTPUT_FORMAT");
        assertThat(Pkcs11Constants.names("CK_", 0))
                .containsExactlyInAnyOrder(
                        "CK_EFFECTIVELY_INFINITE", "CK_INVALID_HANDLE", "CK_FALSE");
        assertThat(Pkcs11Constants.name("CK_", -1L)).isEqualTo("CK_UNAVAILABLE_INFORMATION");
        // CKO_ and CK_OTP_ are distinct families although CK_OTP_PIN etc. are also 1.
        assertThat(Pkcs11Constants.names("CKO_", 1)).containsExactly("CKO_CERTIFICATE");
        assertThat(Pkcs11Constants.names("CK_OTP_", 1)).doesNotContain("CKO_CERTIFICATE")
                .contains("CK_OTP_PIN");
        assertThat(Pkcs11Constants.prefixes())
                .contains("CK_", "CK_OTP_", "CKO_", "CKA_", "CKM_", "CKR_");
    }

    @Test
    void unknownPrefix() {
        assertThat(Pkcs11Constants.name("CKX_", 0)).isNull();
        assertThat(Pkcs11Constants.names("CKR", 0)).isEmpty();
        assertThatNullPointerException().isThrownBy(() -> Pkcs11Constants.name(null, 0));
    }
}
