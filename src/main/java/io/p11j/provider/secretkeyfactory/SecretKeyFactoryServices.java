// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.secretkeyfactory;

import io.p11j.provider.mac.MacAlgorithm;
import io.p11j.provider.service.ServiceDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * The {@code SecretKeyFactory} services, which import known key values onto the token: {@code AES}
 * where the token has an AES mechanism, {@code DESede} ({@code TripleDES}) where it has a DES3 one,
 * and one per HMAC the token computes ({@code HmacSHA256} where it has {@code CKM_SHA256_HMAC}, …).
 * Configured providers only: an import needs a token.
 */
public final class SecretKeyFactoryServices {

    private static final long[] AES_MECHANISMS = {CKM_AES_KEY_GEN, CKM_AES_ECB, CKM_AES_CBC, CKM_AES_CBC_PAD, CKM_AES_CTR,
            CKM_AES_GCM, CKM_AES_CMAC, CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_PAD};
    private static final long[] DES3_MECHANISMS = {CKM_DES3_KEY_GEN, CKM_DES3_ECB, CKM_DES3_CBC, CKM_DES3_CBC_PAD,
            CKM_DES3_CMAC};

    private SecretKeyFactoryServices() {
    }

    public static List<ServiceDescriptor> descriptors() {
        List<ServiceDescriptor> all = new ArrayList<>();
        all.add(new ServiceDescriptor("SecretKeyFactory", "AES", List.of(), AES_MECHANISMS, false, P11SecretKeyFactory.class,
                context -> new P11SecretKeyFactory(context, P11SecretKeyFactory.Kind.AES, null), null, Map.of()));
        all.add(new ServiceDescriptor("SecretKeyFactory", "DESede", List.of("TripleDES"), DES3_MECHANISMS, false,
                P11SecretKeyFactory.class, context -> new P11SecretKeyFactory(context, P11SecretKeyFactory.Kind.DESEDE, null),
                null, Map.of()));
        for (MacAlgorithm a : MacAlgorithm.values()) {
            if (a.isHmac()) {
                all.add(new ServiceDescriptor("SecretKeyFactory", a.jcaName(), a.aliases(), new long[] {a.mechanism()}, false,
                        P11SecretKeyFactory.class, context -> new P11SecretKeyFactory(context, P11SecretKeyFactory.Kind.HMAC, a),
                        null, Map.of()));
            }
        }
        return all;
    }
}
