// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.ObjectRef;

import java.security.interfaces.ECPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;

/** An EC public key of the token, usable by any provider. */
public final class P11EcPublicKey extends P11PublicKey implements ECPublicKey {

    private static final long serialVersionUID = 1L;

    private final transient ECParameterSpec params;
    private final transient ECPoint w;

    P11EcPublicKey(TokenContext context, ObjectRef ref, KeyAttributes attributes, ECParameterSpec params, ECPoint w) {
        super(context, ref, attributes);
        this.params = params;
        this.w = w;
    }

    @Override
    public String getAlgorithm() {
        return "EC";
    }

    @Override
    public ECPoint getW() {
        return w;
    }

    @Override
    public ECParameterSpec getParams() {
        return params;
    }

    @Override
    byte[] encode() {
        return KeyEncodings.ec(params, w);
    }
}
