// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.ObjectRef;

import javax.crypto.SecretKey;

/** A secret key on the token ({@code CKO_SECRET_KEY}); its value never leaves a sensitive key. */
public final class P11SecretKey extends P11Key implements SecretKey {

    private static final long serialVersionUID = 1L;

    private final String algorithm;

    P11SecretKey(TokenContext context, ObjectRef ref, KeyAttributes attributes, String algorithm) {
        super(context, ref, attributes);
        this.algorithm = algorithm;
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }
}
