// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.attribute.AttributeType;

import javax.crypto.SecretKey;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * A secret key on the token ({@code CKO_SECRET_KEY}); its value never leaves a sensitive key. Knows
 * its length in bytes ({@code CKA_VALUE_LEN}) when it was made by P11J, and reads it once, when first
 * asked, for keys found on the token.
 */
public final class P11SecretKey extends P11Key implements SecretKey {

    private static final long serialVersionUID = 1L;

    /** Not known yet ({@link #valueLength()} reads it). */
    static final int UNKNOWN = -1;

    private final String algorithm;
    private transient volatile int valueLength;

    P11SecretKey(TokenContext context, ObjectRef ref, KeyAttributes attributes, String algorithm) {
        this(context, ref, attributes, algorithm, UNKNOWN);
    }

    P11SecretKey(TokenContext context, ObjectRef ref, KeyAttributes attributes, String algorithm, int valueLength) {
        super(context, ref, attributes);
        this.algorithm = algorithm;
        this.valueLength = valueLength >= 0 ? valueLength : fixedLength(attributes.keyType());
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    /**
     * The key's length in bytes: known for keys P11J made and for fixed-length types (DES2, DES3),
     * else {@code CKA_VALUE_LEN} read once from the token and kept.
     *
     * @return the length, or -1 when the token does not say
     */
    public int valueLength() throws Pkcs11Exception {
        int n = valueLength;
        if (n == UNKNOWN) {
            n = context().execute(s -> s.getAttribute(handle(s), AttributeType.VALUE_LEN)).map(Long::intValue).orElse(-2);
            valueLength = n;
        }
        return Math.max(n, -1);
    }

    /** The length if known without a token call, else -1. */
    public int knownValueLength() {
        return Math.max(valueLength, -1);
    }

    private static int fixedLength(long keyType) {
        if (keyType == CKK_DES3) {
            return 24;
        } else if (keyType == CKK_DES2) {
            return 16;
        }
        return UNKNOWN;
    }
}
