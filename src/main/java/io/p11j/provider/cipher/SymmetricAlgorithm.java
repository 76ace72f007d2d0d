// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * One symmetric {@code Cipher} service: its JCA name, key type, mode and the mechanism behind it.
 *
 * @param name         the JCA transformation ({@code AES/GCM/NoPadding})
 * @param aliases      other names
 * @param keyAlgorithm the JCA key algorithm ({@code AES}, {@code DESede}, {@code ChaCha20})
 * @param keyType      the {@code CKK_*} the key must have
 * @param mode         the mode of operation
 * @param mechanism    the {@code CKM_*} that does it
 * @param softPad      PKCS#5 padding added and checked here (the token's mechanism has none, e.g. ECB)
 * @param blockSize    the cipher's block size in bytes
 */
record SymmetricAlgorithm(String name, List<String> aliases, String keyAlgorithm, long keyType, Mode mode, long mechanism,
                          boolean softPad, int blockSize) {

    /** Modes of operation, as the engine treats them. */
    enum Mode {
        ECB, CBC, CBC_PAD, CTR, GCM, CHACHA20_POLY1305, KW, KWP;

        boolean aead() {
            return this == GCM || this == CHACHA20_POLY1305;
        }

        /** Whether every message must be whole blocks once padding (if any) is accounted for. */
        boolean blockAligned() {
            return this == ECB || this == CBC || this == CBC_PAD;
        }

        boolean keyWrap() {
            return this == KW || this == KWP;
        }
    }

    SymmetricAlgorithm {
        aliases = List.copyOf(aliases);
    }

    /** Whether the message is padded (by the token or here). */
    boolean padded() {
        return softPad || mode == Mode.CBC_PAD;
    }

    /** The IV length the mode needs, 0 for none; GCM's is the default of a generated IV (any length is taken). */
    int ivLength() {
        return switch (mode) {
            case ECB, KW, KWP -> 0;
            case CBC, CBC_PAD, CTR -> blockSize;
            case GCM, CHACHA20_POLY1305 -> 12;
        };
    }

    static List<SymmetricAlgorithm> all() {
        return List.of(
                aes("AES/ECB/NoPadding", Mode.ECB, CKM_AES_ECB, false),
                aes("AES/ECB/PKCS5Padding", Mode.ECB, CKM_AES_ECB, true),
                aes("AES/CBC/NoPadding", Mode.CBC, CKM_AES_CBC, false),
                aes("AES/CBC/PKCS5Padding", Mode.CBC_PAD, CKM_AES_CBC_PAD, false),
                aes("AES/CTR/NoPadding", Mode.CTR, CKM_AES_CTR, false),
                aes("AES/GCM/NoPadding", Mode.GCM, CKM_AES_GCM, false),
                new SymmetricAlgorithm("AESWrap", List.of("AES/KW/NoPadding"), "AES", CKK_AES, Mode.KW, CKM_AES_KEY_WRAP,
                        false, 16),
                new SymmetricAlgorithm("AESWrapPad", List.of("AES/KWP/NoPadding"), "AES", CKK_AES, Mode.KWP,
                        CKM_AES_KEY_WRAP_PAD, false, 16),
                new SymmetricAlgorithm("ChaCha20-Poly1305", List.of("1.2.840.113549.1.9.16.3.18",
                        "OID.1.2.840.113549.1.9.16.3.18"), "ChaCha20", CKK_CHACHA20, Mode.CHACHA20_POLY1305,
                        CKM_CHACHA20_POLY1305, false, 0),
                des3("DESede/ECB/NoPadding", Mode.ECB, CKM_DES3_ECB, false),
                des3("DESede/ECB/PKCS5Padding", Mode.ECB, CKM_DES3_ECB, true),
                des3("DESede/CBC/NoPadding", Mode.CBC, CKM_DES3_CBC, false),
                des3("DESede/CBC/PKCS5Padding", Mode.CBC_PAD, CKM_DES3_CBC_PAD, false));
    }

    private static SymmetricAlgorithm aes(String name, Mode mode, long mechanism, boolean softPad) {
        return new SymmetricAlgorithm(name, List.of(), "AES", CKK_AES, mode, mechanism, softPad, 16);
    }

    private static SymmetricAlgorithm des3(String name, Mode mode, long mechanism, boolean softPad) {
        return new SymmetricAlgorithm(name, List.of(name.replace("DESede", "TripleDES")), "DESede", CKK_DES3, mode,
                mechanism, softPad, 8);
    }
}
