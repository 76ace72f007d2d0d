// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.ObjectRef;

import java.math.BigInteger;
import java.security.interfaces.RSAKey;
import java.security.spec.AlgorithmParameterSpec;

/**
 * An RSA private key on the token. It is an {@link RSAKey} (the modulus is public) but not an
 * {@code RSAPrivateKey}: the private exponent stays on the token.
 */
public final class P11RsaPrivateKey extends P11PrivateKey implements RSAKey {

    private static final long serialVersionUID = 1L;

    private final BigInteger modulus;

    P11RsaPrivateKey(TokenContext context, ObjectRef ref, KeyAttributes attributes, BigInteger modulus) {
        super(context, ref, attributes, "RSA");
        this.modulus = modulus;
    }

    @Override
    public BigInteger getModulus() {
        return modulus;
    }

    /**
     * None: a plain RSA key. Declared because from Java 22 on {@code PrivateKey} inherits a default
     * {@code getParams()} from {@code AsymmetricKey} that conflicts with {@code RSAKey}'s: without this
     * override, calling it (as JDK 25's jarsigner does) throws {@code IncompatibleClassChangeError}.
     */
    @Override
    public AlgorithmParameterSpec getParams() {
        return null;
    }
}
