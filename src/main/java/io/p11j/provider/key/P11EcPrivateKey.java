// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.ObjectRef;

import java.security.interfaces.ECKey;
import java.security.spec.ECParameterSpec;

/** An EC private key on the token: an {@link ECKey} (its curve) but not an {@code ECPrivateKey}. */
public final class P11EcPrivateKey extends P11PrivateKey implements ECKey {

    private static final long serialVersionUID = 1L;

    private final transient ECParameterSpec params;

    P11EcPrivateKey(TokenContext context, ObjectRef ref, KeyAttributes attributes, ECParameterSpec params) {
        super(context, ref, attributes, "EC");
        this.params = params;
    }

    @Override
    public ECParameterSpec getParams() {
        return params;
    }
}
