// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.token.TokenContext;

import java.util.List;

/**
 * One signature service: its names, the kind of key it takes, its digest, and the two ways a token
 * can do it — the combined mechanism that hashes and signs ({@code CKM_SHA256_RSA_PKCS}), or the raw
 * one that signs what the provider hashed ({@code CKM_RSA_PKCS}). Either one makes the service
 * available; the combined one is preferred.
 *
 * @param name      standard name
 * @param aliases   other names and OIDs
 * @param family    the key and signature scheme
 * @param hash      the fixed digest; null for {@code NONEwith…}, EdDSA, and {@code RSASSA-PSS} (whose
 *                  digest comes with its parameters)
 * @param combined  the hash-and-sign mechanism, or 0 if there is none
 * @param raw       the mechanism that signs a digest (or, for EdDSA, the message)
 * @param p1363     ECDSA signatures as {@code r‖s} rather than DER
 * @param edCurve   {@code Ed25519} or {@code Ed448} for the curve-specific EdDSA services, else null
 * @param fixedPss  a {@code SHA256withRSA/PSS}-style name: PSS with MGF1 over the same digest and a
 *                  salt as long as the digest
 */
record SignatureAlgorithm(String name, List<String> aliases, Family family, HashAlg hash, long combined, long raw,
                          boolean p1363, String edCurve, boolean fixedPss) {

    /** The signature schemes, each with its key type. */
    enum Family {
        RSA_PKCS1, RSA_PSS, ECDSA, EDDSA
    }

    SignatureAlgorithm {
        aliases = List.copyOf(aliases);
    }

    /** The generic {@code RSASSA-PSS}: its digest (and so its combined mechanism) comes with its parameters. */
    boolean pssWithParameters() {
        return family == Family.RSA_PSS && !fixedPss;
    }

    /** Every mechanism that makes the service available on a token. */
    long[] mechanisms() {
        if (pssWithParameters()) {
            HashAlg[] all = HashAlg.values();
            long[] m = new long[all.length + 1];
            for (int i = 0; i < all.length; i++) {
                m[i] = all[i].rsaPss;
            }
            m[all.length] = raw;
            return m;
        }
        return combined == 0 ? new long[] {raw} : new long[] {combined, raw};
    }

    /** Whether {@code context}'s token can do this signature one way or the other. */
    boolean availableOn(TokenContext context) {
        for (long m : mechanisms()) {
            if (context.supports(m)) {
                return true;
            }
        }
        return false;
    }
}
