// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.service;

import io.p11j.provider.config.ProviderConfig;
import io.p11j.provider.token.TokenContext;

import java.security.Provider;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Every service family of the provider, and the one rule that decides what is registered: a
 * service is offered when the configuration allows it and the token has a mechanism for it (the
 * unconfigured provider offers the services that work with any P11J key).
 */
public final class ServiceTable {

    private ServiceTable() {
    }

    /** All descriptors, family by family. */
    public static List<ServiceDescriptor> all() {
        List<ServiceDescriptor> all = new ArrayList<>();
        all.addAll(io.p11j.provider.keystore.KeyStoreServices.descriptors());
        all.addAll(io.p11j.provider.keypairgen.KeyPairGeneratorServices.descriptors());
        all.addAll(io.p11j.provider.signature.SignatureServices.descriptors());
        all.addAll(io.p11j.provider.keyagreement.KeyAgreementServices.descriptors());
        all.addAll(io.p11j.provider.cipher.SymmetricCipherServices.descriptors());
        all.addAll(io.p11j.provider.cipher.RsaCipherServices.descriptors());
        all.addAll(io.p11j.provider.mac.MacServices.descriptors());
        all.addAll(io.p11j.provider.keygen.KeyGeneratorServices.descriptors());
        all.addAll(io.p11j.provider.secretkeyfactory.SecretKeyFactoryServices.descriptors());
        all.addAll(io.p11j.provider.keyfactory.KeyFactoryServices.descriptors());
        all.addAll(io.p11j.provider.random.RandomServices.descriptors());
        all.addAll(io.p11j.provider.digest.DigestServices.descriptors());
        return all;
    }

    /**
     * The services {@code provider} offers: for a configured provider ({@code context} not null) those its
     * configuration allows and its token can do; for the unconfigured one those marked so.
     */
    public static void register(Provider provider, ProviderConfig config, TokenContext context, Consumer<Provider.Service> put) {
        for (ServiceDescriptor d : all()) {
            if (context == null ? d.unconfigured() : config.allows(d.type(), d.algorithm()) && d.availableOn(context)) {
                put.accept(new P11Service(provider, d, context));
            }
        }
    }
}
