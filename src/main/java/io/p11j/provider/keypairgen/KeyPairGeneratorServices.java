// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keypairgen;

import io.p11j.provider.service.ServiceDescriptor;

import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;

/** The {@code KeyPairGenerator} services: offered when the token has the key-pair-generation mechanism. */
public final class KeyPairGeneratorServices {

    private KeyPairGeneratorServices() {
    }

    public static List<ServiceDescriptor> descriptors() {
        return List.of(
                kpg("RSA", List.of("1.2.840.113549.1.1.1", "OID.1.2.840.113549.1.1.1"), CKM_RSA_PKCS_KEY_PAIR_GEN, 1024),
                kpg("EC", List.of("EllipticCurve", "1.2.840.10045.2.1", "OID.1.2.840.10045.2.1"), CKM_EC_KEY_PAIR_GEN, 256),
                kpg("EdDSA", List.of(), CKM_EC_EDWARDS_KEY_PAIR_GEN, 255),
                kpg("Ed25519", List.of("1.3.101.112", "OID.1.3.101.112"), CKM_EC_EDWARDS_KEY_PAIR_GEN, 255),
                kpg("Ed448", List.of("1.3.101.113", "OID.1.3.101.113"), CKM_EC_EDWARDS_KEY_PAIR_GEN, 448));
    }

    /** Offered when the token's generation mechanism reaches {@code minBits} (SoftHSM2: EdDSA 256–456, so Ed448 too). */
    private static ServiceDescriptor kpg(String algorithm, List<String> aliases, long mechanism, int minBits) {
        return new ServiceDescriptor("KeyPairGenerator", algorithm, aliases, new long[] {mechanism}, false,
                P11KeyPairGenerator.class, context -> new P11KeyPairGenerator(context, algorithm), null, Map.of(), minBits);
    }
}
