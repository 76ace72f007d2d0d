// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.service;

import io.p11j.provider.token.TokenContext;

import java.security.InvalidParameterException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;

/**
 * A registered service: creates its SPI through the descriptor's factory (no reflection, so no
 * class-name strings to get wrong) and answers {@code supportsParameter} from the descriptor, which
 * is how the JCA's delayed provider selection finds the provider that can use a given key.
 */
final class P11Service extends Provider.Service {

    private final ServiceDescriptor descriptor;
    private final TokenContext context;

    P11Service(Provider provider, ServiceDescriptor d, TokenContext context) {
        super(provider, d.type(), d.algorithm(), d.spiClass().getName(), d.aliases(), d.attributes());
        this.descriptor = d;
        this.context = context;
    }

    @Override
    public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException {
        if (constructorParameter != null && !"KeyStore".equals(getType())) {
            throw new InvalidParameterException("constructorParameter not used with " + getType() + " engines");
        }
        return descriptor.factory().create(context);
    }

    @Override
    public boolean supportsParameter(Object parameter) {
        if (descriptor.keys() == null) {
            return super.supportsParameter(parameter);
        }
        if (parameter == null) {
            return false;
        }
        if (!(parameter instanceof Key key)) {
            throw new InvalidParameterException("parameter must be a Key, not " + parameter.getClass().getName());
        }
        return descriptor.keys().supports(context, key);
    }
}
