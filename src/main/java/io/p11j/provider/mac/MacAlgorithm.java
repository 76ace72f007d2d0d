// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.mac;

import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Constants;
import io.p11j.wrapper.MechanismInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * The MACs P11J computes on a token: each with its JCA name and aliases (the JDK's names and OIDs;
 * {@code AESCMAC} as Bouncy Castle names it, the JDK 17 having none), its PKCS#11 mechanism, the key
 * types the mechanism takes, its output length, and for HMACs the default key length of a new key
 * (SunJCE's: the digest's output length, for HMAC-SHA1 its block length).
 */
public enum MacAlgorithm {

    HMAC_SHA1("HmacSHA1", CKM_SHA_1_HMAC, CKK_SHA_1_HMAC, 20, 64, "1.2.840.113549.2.7"),
    HMAC_SHA224("HmacSHA224", CKM_SHA224_HMAC, CKK_SHA224_HMAC, 28, 28, "1.2.840.113549.2.8"),
    HMAC_SHA256("HmacSHA256", CKM_SHA256_HMAC, CKK_SHA256_HMAC, 32, 32, "1.2.840.113549.2.9"),
    HMAC_SHA384("HmacSHA384", CKM_SHA384_HMAC, CKK_SHA384_HMAC, 48, 48, "1.2.840.113549.2.10"),
    HMAC_SHA512("HmacSHA512", CKM_SHA512_HMAC, CKK_SHA512_HMAC, 64, 64, "1.2.840.113549.2.11"),
    HMAC_SHA3_224("HmacSHA3-224", CKM_SHA3_224_HMAC, CKK_SHA3_224_HMAC, 28, 28, "2.16.840.1.101.3.4.2.13"),
    HMAC_SHA3_256("HmacSHA3-256", CKM_SHA3_256_HMAC, CKK_SHA3_256_HMAC, 32, 32, "2.16.840.1.101.3.4.2.14"),
    HMAC_SHA3_384("HmacSHA3-384", CKM_SHA3_384_HMAC, CKK_SHA3_384_HMAC, 48, 48, "2.16.840.1.101.3.4.2.15"),
    HMAC_SHA3_512("HmacSHA3-512", CKM_SHA3_512_HMAC, CKK_SHA3_512_HMAC, 64, 64, "2.16.840.1.101.3.4.2.16"),
    AES_CMAC("AESCMAC", CKM_AES_CMAC, CKK_AES, 16, 0, "AES-CMAC");

    private final String jcaName;
    private final long mechanism;
    private final long specificKeyType;
    private final int macLength;
    private final int defaultKeyLength;
    private final List<String> aliases;

    MacAlgorithm(String jcaName, long mechanism, long specificKeyType, int macLength, int defaultKeyLength, String... aliases) {
        this.jcaName = jcaName;
        this.mechanism = mechanism;
        this.specificKeyType = specificKeyType;
        this.macLength = macLength;
        this.defaultKeyLength = defaultKeyLength;
        List<String> a = new ArrayList<>();
        for (String n : aliases) {
            a.add(n);
            if (Character.isDigit(n.charAt(0))) {
                a.add("OID." + n); // the JDK's two spellings of an OID
            }
        }
        this.aliases = List.copyOf(a);
    }

    /** The standard JCA name, e.g. {@code HmacSHA256}. */
    public String jcaName() {
        return jcaName;
    }

    /** OIDs (both spellings) and other names. */
    public List<String> aliases() {
        return aliases;
    }

    /** The {@code CKM_*} mechanism. */
    public long mechanism() {
        return mechanism;
    }

    /** Bytes of output. */
    public int macLength() {
        return macLength;
    }

    /** Whether this is an HMAC (a generic-secret key) rather than a block-cipher MAC. */
    public boolean isHmac() {
        return this != AES_CMAC;
    }

    /** The default length in bytes of a new HMAC key, as SunJCE's {@code KeyGenerator} makes it. */
    public int defaultKeyLength() {
        return defaultKeyLength;
    }

    /** Whether the mechanism takes keys of {@code CKK_*} type {@code keyType}. */
    public boolean takesKeyType(long keyType) {
        return keyType == specificKeyType || isHmac() && keyType == CKK_GENERIC_SECRET;
    }

    /** What keys the mechanism takes, for messages. */
    public String keyTypesText() {
        return isHmac() ? "a generic secret (or " + Pkcs11Constants.keyTypeName(specificKeyType) + ") key" : "an AES key";
    }

    /** Whether the token of {@code context} has the mechanism. */
    public boolean availableOn(TokenContext context) {
        return context.supports(mechanism);
    }

    /** Whether {@code key} is a token key this MAC can use on its own token. */
    public boolean takes(P11SecretKey key) {
        return takesKeyType(key.keyType()) && availableOn(key.context());
    }

    /**
     * The key lengths in bytes the token's mechanism takes, {@code [min, max]}, max 0 = no limit; empty
     * when the token gives no range. HMAC and CMAC ranges are in bytes (PKCS#11 sizes generic secrets and
     * AES keys so); a token that gives the AES range in bits (min of 128 or more) is read so.
     */
    public Optional<int[]> keyLengths(TokenContext context) {
        return context.mechanism(mechanism).flatMap(MacAlgorithm::byteRange);
    }

    /**
     * A secret-key mechanism's key length range in bytes, {@code [min, max]} (max 0 = no limit), or
     * empty when the token gives none. PKCS#11 tokens give generic-secret and AES ranges in bytes;
     * one that gives an AES range in bits (a minimum of 128 or more) is read so.
     */
    public static Optional<int[]> byteRange(MechanismInfo info) {
        long min = info.minKeySize();
        long max = info.maxKeySize();
        if (min == 0 && max == 0) {
            return Optional.empty();
        }
        boolean aesInBits = (info.type() == CKM_AES_CMAC || info.type() == CKM_AES_KEY_GEN || info.type() == CKM_AES_ECB
                || info.type() == CKM_AES_CBC) && min >= 128;
        if (aesInBits) {
            min /= 8;
            max /= 8;
        }
        return Optional.of(new int[] {(int) Math.min(min, Integer.MAX_VALUE), (int) Math.min(max, Integer.MAX_VALUE)});
    }

    /** The algorithm of this JCA name or alias (case-insensitive), if any. */
    public static Optional<MacAlgorithm> byName(String name) {
        for (MacAlgorithm a : values()) {
            if (a.jcaName.equalsIgnoreCase(name) || a.aliases.stream().anyMatch(n -> n.equalsIgnoreCase(name))) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** The HMAC of this JCA name or alias. */
    public static Optional<MacAlgorithm> hmac(String name) {
        return byName(name).filter(MacAlgorithm::isHmac);
    }
}
