// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.random;

import io.p11j.provider.service.ServiceDescriptor;

import java.util.List;
import java.util.Map;

/**
 * The {@code SecureRandom} service {@code PKCS11} (SunPKCS11's name) on the token's
 * {@code C_GenerateRandom}. It needs no mechanism, but a token with an RNG ({@code CKF_RNG}): the
 * service table offers {@code SecureRandom} services only on such tokens. Not offered by the
 * unconfigured provider, which has no token of its own.
 */
public final class RandomServices {

    private RandomServices() {
    }

    /** The family's services, for {@code ServiceTable.all()}. */
    public static List<ServiceDescriptor> descriptors() {
        return List.of(new ServiceDescriptor("SecureRandom", "PKCS11", List.of(), new long[0], false,
                P11SecureRandom.class, P11SecureRandom::new, null,
                // Any number of threads may share one instance: each call borrows its own pooled session.
                Map.of("ThreadSafe", "true")));
    }
}
