// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.ObjectRef;

import java.security.PrivateKey;

/**
 * A private key on the token. Its algorithm-specific subclasses expose what the JDK needs to use it
 * (the RSA modulus, the EC curve) but never a private value.
 */
public class P11PrivateKey extends P11Key implements PrivateKey {

    private static final long serialVersionUID = 1L;

    private final String algorithm;

    P11PrivateKey(TokenContext context, ObjectRef ref, KeyAttributes attributes, String algorithm) {
        super(context, ref, attributes);
        this.algorithm = algorithm;
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    /** Private keys are not destroyable from Java: the token object outlives this reference (use the KeyStore). */
    @Override
    public boolean isDestroyed() {
        return false;
    }
}
