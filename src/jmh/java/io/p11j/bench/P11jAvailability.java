// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;

import java.security.Provider;

/**
 * Which services P11J offers on a SoftHSM2 token, so that {@code scripts/bench.sh} runs the P11J
 * variants of the benchmarks that can run and leaves out, with a note, those P11J cannot yet:
 *
 * <pre>java io.p11j.bench.P11jAvailability KeyStore.PKCS11-URI Signature.SHA256withRSA ...</pre>
 *
 * prints one line per argument, {@code P11J <Type.Algorithm> yes} or {@code ... no}, for a P11J
 * configured as the benchmarks configure it (a fresh fixture token, its URI with a {@code pin-source}
 * file, {@code message-digests = on}). {@code Type.*} asks whether P11J has any service of that type
 * (its {@code SecureRandom} may have another name than SunPKCS11's {@code PKCS11}). Needs
 * {@code SOFTHSM2_CONF} in a private directory, as the benchmarks do.
 */
public final class P11jAvailability {

    private P11jAvailability() {
    }

    public static void main(String[] args) throws Exception {
        TestToken token = SoftHsmExtension.createToken("bench-probe");
        Provider p11j = BenchProviders.p11jWithDigests(token, io.p11j.testing.SoftHsm.get().modulePath());
        for (String a : args) {
            int dot = a.indexOf('.');
            if (dot <= 0) {
                throw new IllegalArgumentException("not Type.Algorithm: " + a);
            }
            String type = a.substring(0, dot);
            String algorithm = a.substring(dot + 1);
            boolean yes = algorithm.equals("*") ? p11j.getServices().stream().anyMatch(s -> s.getType().equals(type))
                    : p11j.getService(type, algorithm) != null;
            System.out.println("P11J " + a + " " + (yes ? "yes" : "no"));
        }
        System.out.flush();
        // The fixture's module stays initialized; exit without waiting for anything it may have started.
        System.exit(0);
    }
}
