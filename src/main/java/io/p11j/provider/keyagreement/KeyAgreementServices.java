// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keyagreement;

import io.p11j.provider.key.P11EcPrivateKey;
import io.p11j.provider.service.ServiceDescriptor;

import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.CKM_ECDH1_DERIVE;

/** {@code KeyAgreement} services: ECDH with token private keys. */
public final class KeyAgreementServices {

    private KeyAgreementServices() {
    }

    public static List<ServiceDescriptor> descriptors() {
        return List.of(new ServiceDescriptor("KeyAgreement", "ECDH", List.of(), new long[] {CKM_ECDH1_DERIVE}, true,
                P11EcdhKeyAgreement.class, context -> new P11EcdhKeyAgreement(),
                (context, key) -> key instanceof P11EcPrivateKey k && k.context().supports(CKM_ECDH1_DERIVE),
                Map.of("SupportedKeyClasses", "io.p11j.provider.key.P11EcPrivateKey")));
    }
}
