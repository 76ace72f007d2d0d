// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.token;

import io.p11j.wrapper.TokenInfo;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A known way a token departs from PKCS#11 (or from what callers assume), kept here by name so that
 * workarounds are chosen in one place by the token's identity, and can be switched on or off in the
 * configuration ({@code enabled-quirks}, {@code disabled-quirks}) for a token this table does not
 * know or knows wrongly. Code asks {@link TokenContext#has(Quirk)}; it never tests a token's name.
 */
public enum Quirk {

    /**
     * RSA encryption and decryption are single-part only ({@code C_EncryptUpdate} is refused): the
     * provider buffers and makes one call. (SoftHSM2 2.6)
     */
    RSA_CIPHER_SINGLE_PART("rsa-cipher-single-part", Quirk::isSoftHsm2),

    /**
     * A decryption that fails its integrity check (bad GCM tag, bad padding) returns
     * {@code CKR_GENERAL_ERROR} instead of {@code CKR_ENCRYPTED_DATA_INVALID}: the provider still
     * reports {@code AEADBadTagException} / {@code BadPaddingException}. (SoftHSM2 2.6)
     */
    DECRYPT_FAILURE_AS_GENERAL_ERROR("decrypt-failure-as-general-error", Quirk::isSoftHsm2),

    /**
     * {@code CKM_RSA_PKCS_OAEP} only with SHA-1, MGF1-SHA-1 and no label: other parameters are decrypted
     * raw ({@code CKM_RSA_X_509}) and decoded in the provider, or refused. (SoftHSM2 2.6)
     */
    OAEP_SHA1_ONLY("oaep-sha1-only", Quirk::isSoftHsm2),

    /**
     * No {@code C_GetOperationState}: an operation cannot be cloned or resumed on another session.
     * (SoftHSM2 2.6)
     */
    NO_OPERATION_STATE("no-operation-state", Quirk::isSoftHsm2),

    /**
     * RSA-PSS only with the MGF1 digest equal to the message digest ({@code CKR_ARGUMENTS_BAD}
     * otherwise). (SoftHSM2 2.6)
     */
    PSS_MGF1_EQUALS_HASH("pss-mgf1-equals-hash", Quirk::isSoftHsm2),

    /**
     * AES-GCM with an IV longer than 128 bytes gives a wrong ciphertext and tag, without an error
     * (SoftHSM2 2.6.1 over OpenSSL 3, measured against SunJCE): such IVs are refused before the token
     * sees them.
     */
    GCM_IV_MAX_128_BYTES("gcm-iv-max-128-bytes", Quirk::isSoftHsm2);

    private final String configName;
    private final Predicate<TokenInfo> appliesTo;

    Quirk(String configName, Predicate<TokenInfo> appliesTo) {
        this.configName = configName;
        this.appliesTo = appliesTo;
    }

    /** The name used in the configuration file, e.g. {@code rsa-cipher-single-part}. */
    public String configName() {
        return configName;
    }

    /** Whether the table says a token of this identity has the quirk. */
    public boolean appliesTo(TokenInfo token) {
        return appliesTo.test(token);
    }

    /** The quirk called {@code name} in a configuration file (case-insensitive). */
    public static Optional<Quirk> byConfigName(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(q -> q.configName.equals(n)).findFirst();
    }

    private static boolean isSoftHsm2(TokenInfo token) {
        return token.manufacturerId().strip().equals("SoftHSM project") && token.model().strip().startsWith("SoftHSM v2");
    }
}
