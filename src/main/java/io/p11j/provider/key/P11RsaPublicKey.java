// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.ObjectRef;

import java.math.BigInteger;
import java.security.interfaces.RSAPublicKey;

/** An RSA public key of the token, usable by any provider. */
public final class P11RsaPublicKey extends P11PublicKey implements RSAPublicKey {

    private static final long serialVersionUID = 1L;

    private final BigInteger modulus;
    private final BigInteger publicExponent;

    P11RsaPublicKey(TokenContext context, ObjectRef ref, KeyAttributes attributes, BigInteger modulus, BigInteger exponent) {
        super(context, ref, attributes);
        this.modulus = modulus;
        this.publicExponent = exponent;
    }

    @Override
    public String getAlgorithm() {
        return "RSA";
    }

    @Override
    public BigInteger getModulus() {
        return modulus;
    }

    @Override
    public BigInteger getPublicExponent() {
        return publicExponent;
    }

    @Override
    byte[] encode() {
        return KeyEncodings.rsa(modulus, publicExponent);
    }
}
