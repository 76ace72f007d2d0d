// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.service.ServiceDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The symmetric {@code Cipher} services ({@link P11SymmetricCipher}): AES in ECB, CBC (with and
 * without PKCS#5 padding), CTR and GCM, AES key wrap ({@code AESWrap}, {@code AESWrapPad}),
 * ChaCha20-Poly1305 and DESede, each registered only where the token lists its mechanism.
 *
 * <p>They take P11J secret keys only: a software {@code SecretKeySpec} is declined by
 * {@code supportsParameter}, so that the JCA's delayed provider selection moves on to the JDK's
 * providers (with P11J first in the list, JSSE's record ciphers must not land on the token). The
 * unconfigured provider offers them too, for P11J keys.
 */
public final class SymmetricCipherServices {

    private SymmetricCipherServices() {
    }

    /** Every symmetric cipher service, whatever the token; {@code ServiceTable} keeps those the token can do. */
    public static List<ServiceDescriptor> descriptors() {
        List<ServiceDescriptor> all = new ArrayList<>();
        for (SymmetricAlgorithm a : SymmetricAlgorithm.all()) {
            all.add(new ServiceDescriptor("Cipher", a.name(), a.aliases(), new long[] {a.mechanism()}, true,
                    P11SymmetricCipher.class, context -> new P11SymmetricCipher(a), (context, key) -> supports(a, key),
                    Map.of("SupportedKeyClasses", "io.p11j.provider.P11jKey")));
        }
        return all;
    }

    /** A P11J secret key of the algorithm's key type, on a token that has the mechanism. */
    static boolean supports(SymmetricAlgorithm a, java.security.Key key) {
        return key instanceof P11SecretKey k && k.keyType() == a.keyType() && k.context().supports(a.mechanism());
    }
}
