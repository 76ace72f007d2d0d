// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keyfactory;

import io.p11j.provider.service.ServiceDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * {@code KeyFactory} services for the key types the token has mechanisms for: {@code RSA},
 * {@code EC}, {@code EdDSA}, {@code Ed25519}, {@code Ed448}. Not offered by the unconfigured
 * provider: private key specifications are imported onto a token, and it has none of its own.
 */
public final class KeyFactoryServices {

    private KeyFactoryServices() {
    }

    /** The family's services, for {@code ServiceTable.all()}. */
    public static List<ServiceDescriptor> descriptors() {
        List<ServiceDescriptor> out = new ArrayList<>();
        for (P11KeyFactory.Family f : P11KeyFactory.Family.values()) {
            out.add(new ServiceDescriptor("KeyFactory", f.jcaName, f.aliases, mechanisms(f), false, P11KeyFactory.class,
                    context -> new P11KeyFactory(context, f), null, Map.of(), f == P11KeyFactory.Family.ED448 ? 448 : 0));
        }
        return out;
    }

    private static long[] mechanisms(P11KeyFactory.Family f) {
        return switch (f) {
            case RSA -> new long[] {CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_RSA_PKCS, CKM_RSA_X_509};
            case EC -> new long[] {CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, CKM_ECDH1_DERIVE};
            case EDDSA, ED25519, ED448 -> new long[] {CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA};
        };
    }
}
