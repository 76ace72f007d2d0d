// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.digest;

import io.p11j.provider.service.ServiceDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * {@code MessageDigest} services on the token's digest mechanisms, with SunPKCS11's names and
 * aliases. Offered only with {@code message-digests = on} ({@code ProviderConfig.allows} says why
 * they are off by default) and only for the mechanisms the token lists.
 */
public final class DigestServices {

    /** One digest: JCA name, mechanism, output length, aliases (other spellings, OID). */
    record Algorithm(String name, long mechanism, int length, List<String> aliases) {
    }

    static final List<Algorithm> ALGORITHMS = List.of(
            new Algorithm("SHA-1", CKM_SHA_1, 20, List.of("SHA", "SHA1", "1.3.14.3.2.26", "OID.1.3.14.3.2.26")),
            new Algorithm("SHA-224", CKM_SHA224, 28, List.of("SHA224", "2.16.840.1.101.3.4.2.4", "OID.2.16.840.1.101.3.4.2.4")),
            new Algorithm("SHA-256", CKM_SHA256, 32, List.of("SHA256", "2.16.840.1.101.3.4.2.1", "OID.2.16.840.1.101.3.4.2.1")),
            new Algorithm("SHA-384", CKM_SHA384, 48, List.of("SHA384", "2.16.840.1.101.3.4.2.2", "OID.2.16.840.1.101.3.4.2.2")),
            new Algorithm("SHA-512", CKM_SHA512, 64, List.of("SHA512", "2.16.840.1.101.3.4.2.3", "OID.2.16.840.1.101.3.4.2.3")),
            new Algorithm("SHA-512/224", CKM_SHA512_224, 28, List.of("SHA512/224", "2.16.840.1.101.3.4.2.5",
                    "OID.2.16.840.1.101.3.4.2.5")),
            new Algorithm("SHA-512/256", CKM_SHA512_256, 32, List.of("SHA512/256", "2.16.840.1.101.3.4.2.6",
                    "OID.2.16.840.1.101.3.4.2.6")),
            new Algorithm("SHA3-224", CKM_SHA3_224, 28, List.of("2.16.840.1.101.3.4.2.7", "OID.2.16.840.1.101.3.4.2.7")),
            new Algorithm("SHA3-256", CKM_SHA3_256, 32, List.of("2.16.840.1.101.3.4.2.8", "OID.2.16.840.1.101.3.4.2.8")),
            new Algorithm("SHA3-384", CKM_SHA3_384, 48, List.of("2.16.840.1.101.3.4.2.9", "OID.2.16.840.1.101.3.4.2.9")),
            new Algorithm("SHA3-512", CKM_SHA3_512, 64, List.of("2.16.840.1.101.3.4.2.10", "OID.2.16.840.1.101.3.4.2.10")));

    private DigestServices() {
    }

    /** The family's services, for {@code ServiceTable.all()}. */
    public static List<ServiceDescriptor> descriptors() {
        List<ServiceDescriptor> out = new ArrayList<>();
        for (Algorithm a : ALGORITHMS) {
            // Not offered by the unconfigured provider: a digest takes no key, so nothing would lead to its token.
            out.add(new ServiceDescriptor("MessageDigest", a.name(), a.aliases(), new long[] {a.mechanism()}, false,
                    P11MessageDigest.class, context -> new P11MessageDigest(context, a), null, Map.of()));
        }
        return out;
    }
}
