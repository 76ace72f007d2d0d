// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.service.ServiceDescriptor;

import java.util.List;

/** The {@code PKCS11-URI} KeyStore (in progress). */
public final class KeyStoreServices {

    private KeyStoreServices() {
    }

    public static List<ServiceDescriptor> descriptors() {
        return List.of();
    }
}
