// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.service.ServiceDescriptor;

import java.util.List;

/** Signature services (in progress). */
public final class SignatureServices {

    private SignatureServices() {
    }

    public static List<ServiceDescriptor> descriptors() {
        return List.of();
    }
}
