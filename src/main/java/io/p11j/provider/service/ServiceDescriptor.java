// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.service;

import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.TokenFlag;

import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;

/**
 * One service the provider may offer, declared by its family ({@code SignatureServices}, …): JCA
 * type and name, aliases, the mechanisms that make it available (any one suffices), how to create
 * its SPI, and which keys it takes.
 *
 * @param type          JCA engine type, e.g. {@code Signature}
 * @param algorithm     standard algorithm name
 * @param aliases       other names (spellings, OIDs)
 * @param mechanisms    any one of these {@code CKM_*} on the token makes the service available; empty = always
 * @param unconfigured  whether the unconfigured provider offers it too (it then works with P11J keys only)
 * @param spiClass      the SPI class (what {@code Provider.Service.getClassName()} reports)
 * @param factory       creates the SPI
 * @param keys          which keys {@code supportsParameter} accepts; null = not key-based
 * @param attributes    service attributes ({@code SupportedKeyClasses}, …)
 * @param minKeyBits    the key size (bits) the token's mechanism range must reach, e.g. 448 for Ed448; 0 = any
 */
public record ServiceDescriptor(String type, String algorithm, List<String> aliases, long[] mechanisms, boolean unconfigured,
                                Class<?> spiClass, SpiFactory factory, KeySupport keys, Map<String, String> attributes,
                                int minKeyBits) {

    /** Creates a service's SPI for the provider's token (null for the unconfigured provider). */
    @FunctionalInterface
    public interface SpiFactory {
        Object create(TokenContext providerContext) throws NoSuchAlgorithmException;
    }

    /** Whether the service can take {@code key}; {@code providerContext} is null for the unconfigured provider. */
    @FunctionalInterface
    public interface KeySupport {
        boolean supports(TokenContext providerContext, Key key);
    }

    /** A descriptor without a key-size requirement. */
    public ServiceDescriptor(String type, String algorithm, List<String> aliases, long[] mechanisms, boolean unconfigured,
                             Class<?> spiClass, SpiFactory factory, KeySupport keys, Map<String, String> attributes) {
        this(type, algorithm, aliases, mechanisms, unconfigured, spiClass, factory, keys, attributes, 0);
    }

    public ServiceDescriptor {
        aliases = List.copyOf(aliases);
        mechanisms = mechanisms.clone();
        attributes = Map.copyOf(attributes);
    }

    /** Whether {@code context}'s token has one of the mechanisms ({@code SecureRandom}: whether it has an RNG). */
    public boolean availableOn(TokenContext context) {
        if (type.equals("SecureRandom") && !context.info().has(TokenFlag.RNG)) {
            return false; // a random service needs the token's generator (CKF_RNG), not a mechanism
        }
        if (mechanisms.length == 0) {
            return true;
        }
        for (long m : mechanisms) {
            var info = context.mechanism(m);
            if (info.isPresent() && (minKeyBits == 0 || info.get().maxKeySize() == 0 || info.get().maxKeySize() >= minKeyBits)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public long[] mechanisms() {
        return mechanisms.clone();
    }
}
