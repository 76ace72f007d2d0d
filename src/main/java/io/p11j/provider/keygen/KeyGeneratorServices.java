// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keygen;

import io.p11j.provider.mac.MacAlgorithm;
import io.p11j.provider.service.ServiceDescriptor;

import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * The {@code KeyGenerator} services: {@code AES} where the token has {@code CKM_AES_KEY_GEN},
 * {@code DESede} ({@code TripleDES}) where it has {@code CKM_DES3_KEY_GEN}, and an HMAC key generator
 * for each HMAC the token computes ({@code HmacSHA256} where it has {@code CKM_SHA256_HMAC}, …; the
 * key is made with {@code CKM_GENERIC_SECRET_KEY_GEN}). Names and OIDs are SunJCE's. Configured
 * providers only: a key generator needs a token.
 */
public final class KeyGeneratorServices {

    private KeyGeneratorServices() {
    }

    public static List<ServiceDescriptor> descriptors() {
        List<ServiceDescriptor> all = new ArrayList<>();
        all.add(new ServiceDescriptor("KeyGenerator", "AES", List.of("2.16.840.1.101.3.4.1", "OID.2.16.840.1.101.3.4.1"),
                new long[] {CKM_AES_KEY_GEN}, false, P11KeyGenerator.class,
                context -> new P11KeyGenerator(context, P11KeyGenerator.Kind.AES, null), null, Map.of()));
        all.add(new ServiceDescriptor("KeyGenerator", "DESede", List.of("TripleDES"), new long[] {CKM_DES3_KEY_GEN}, false,
                P11KeyGenerator.class, context -> new P11KeyGenerator(context, P11KeyGenerator.Kind.DESEDE, null), null,
                Map.of()));
        for (MacAlgorithm a : MacAlgorithm.values()) {
            if (!a.isHmac()) {
                continue;
            }
            // Registered where the token computes the HMAC (a key for an HMAC it lacks is of no use to it).
            all.add(new ServiceDescriptor("KeyGenerator", a.jcaName(), a.aliases(), new long[] {a.mechanism()}, false,
                    P11KeyGenerator.class, context -> {
                        if (!context.supports(CKM_GENERIC_SECRET_KEY_GEN)) {
                            throw new NoSuchAlgorithmException("the token " + context.tokenUri() + " computes " + a.jcaName()
                                    + " but has no CKM_GENERIC_SECRET_KEY_GEN to make its keys");
                        }
                        return new P11KeyGenerator(context, P11KeyGenerator.Kind.HMAC, a);
                    }, null, Map.of()));
        }
        return all;
    }
}
