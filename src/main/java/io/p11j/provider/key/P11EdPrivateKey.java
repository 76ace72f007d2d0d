// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.ObjectRef;

import java.security.interfaces.EdECKey;
import java.security.spec.NamedParameterSpec;

/** An Ed25519 or Ed448 private key on the token: an {@link EdECKey} (its curve), algorithm {@code EdDSA}. */
public final class P11EdPrivateKey extends P11PrivateKey implements EdECKey {

    private static final long serialVersionUID = 1L;

    private final transient NamedParameterSpec params;

    P11EdPrivateKey(TokenContext context, ObjectRef ref, KeyAttributes attributes, NamedParameterSpec params) {
        super(context, ref, attributes, "EdDSA");
        this.params = params;
    }

    @Override
    public NamedParameterSpec getParams() {
        return params;
    }
}
