// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.service.ServiceDescriptor;

import java.util.List;
import java.util.Map;

/**
 * The {@code PKCS11-URI} KeyStore ({@link P11KeyStore}): offered by every provider, needing no
 * mechanism — the unconfigured provider's takes its token URI at {@code load}, a configured
 * provider's shows the configured token.
 */
public final class KeyStoreServices {

    /** The KeyStore type. */
    public static final String TYPE = "PKCS11-URI";

    private KeyStoreServices() {
    }

    public static List<ServiceDescriptor> descriptors() {
        return List.of(new ServiceDescriptor("KeyStore", TYPE, List.of(), new long[0], true, P11KeyStore.class,
                P11KeyStore::new, null, Map.of()));
    }
}
