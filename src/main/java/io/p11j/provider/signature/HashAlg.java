// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.codec.PssParameters;

import java.security.InvalidAlgorithmParameterException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * The message digests the signature services hash with, and for each the token mechanisms that hash
 * and sign in one step ({@code CKM_SHA256_RSA_PKCS}, {@code CKM_SHA256_RSA_PKCS_PSS},
 * {@code CKM_ECDSA_SHA256}, …).
 *
 * <p>When the token lacks the combined mechanism, the provider hashes in Java with the JDK's
 * {@code SUN} provider, named explicitly: an unqualified {@code MessageDigest.getInstance} could
 * land on P11J itself (installed first, and offering digests later), which would hash on the token
 * through a second session, or recurse.
 */
enum HashAlg {
    SHA1("SHA-1", 20, CKM_SHA_1, CKG_MGF1_SHA1, CKM_SHA1_RSA_PKCS, CKM_SHA1_RSA_PKCS_PSS, CKM_ECDSA_SHA1),
    SHA224("SHA-224", 28, CKM_SHA224, CKG_MGF1_SHA224, CKM_SHA224_RSA_PKCS, CKM_SHA224_RSA_PKCS_PSS, CKM_ECDSA_SHA224),
    SHA256("SHA-256", 32, CKM_SHA256, CKG_MGF1_SHA256, CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS, CKM_ECDSA_SHA256),
    SHA384("SHA-384", 48, CKM_SHA384, CKG_MGF1_SHA384, CKM_SHA384_RSA_PKCS, CKM_SHA384_RSA_PKCS_PSS, CKM_ECDSA_SHA384),
    SHA512("SHA-512", 64, CKM_SHA512, CKG_MGF1_SHA512, CKM_SHA512_RSA_PKCS, CKM_SHA512_RSA_PKCS_PSS, CKM_ECDSA_SHA512),
    SHA3_224("SHA3-224", 28, CKM_SHA3_224, CKG_MGF1_SHA3_224, CKM_SHA3_224_RSA_PKCS, CKM_SHA3_224_RSA_PKCS_PSS,
            CKM_ECDSA_SHA3_224),
    SHA3_256("SHA3-256", 32, CKM_SHA3_256, CKG_MGF1_SHA3_256, CKM_SHA3_256_RSA_PKCS, CKM_SHA3_256_RSA_PKCS_PSS,
            CKM_ECDSA_SHA3_256),
    SHA3_384("SHA3-384", 48, CKM_SHA3_384, CKG_MGF1_SHA3_384, CKM_SHA3_384_RSA_PKCS, CKM_SHA3_384_RSA_PKCS_PSS,
            CKM_ECDSA_SHA3_384),
    SHA3_512("SHA3-512", 64, CKM_SHA3_512, CKG_MGF1_SHA3_512, CKM_SHA3_512_RSA_PKCS, CKM_SHA3_512_RSA_PKCS_PSS,
            CKM_ECDSA_SHA3_512);

    /** The JDK's standard name. */
    final String jcaName;
    /** Output length in bytes (also the salt length of the fixed {@code …withRSA/PSS} services). */
    final int length;
    /** {@code CKM_} digest mechanism, as {@code CK_RSA_PKCS_PSS_PARAMS.hashAlg} names it. */
    final long ckm;
    /** {@code CKG_MGF1_} over this digest. */
    final long mgf1;
    final long rsaPkcs;
    final long rsaPss;
    final long ecdsa;

    HashAlg(String jcaName, int length, long ckm, long mgf1, long rsaPkcs, long rsaPss, long ecdsa) {
        this.jcaName = jcaName;
        this.length = length;
        this.ckm = ckm;
        this.mgf1 = mgf1;
        this.rsaPkcs = rsaPkcs;
        this.rsaPss = rsaPss;
        this.ecdsa = ecdsa;
    }

    /** The prefix of signature algorithm names: {@code SHA256}, {@code SHA3-256}. */
    String prefix() {
        return jcaName.startsWith("SHA3") ? jcaName : jcaName.replace("-", "");
    }

    /**
     * The digest a JCA name means, read as loosely as the JDK does ({@code SHA-256}, {@code SHA256},
     * the OID).
     *
     * @throws InvalidAlgorithmParameterException a digest P11J does not sign with
     */
    static HashAlg byName(String name) throws InvalidAlgorithmParameterException {
        long ckm = PssParameters.ckmOfDigest(name); // the codec's one table of digest names
        for (HashAlg h : values()) {
            if (h.ckm == ckm) {
                return h;
            }
        }
        throw new InvalidAlgorithmParameterException("unsupported digest " + name);
    }

    /**
     * A new digest from the JDK's {@code SUN} provider.
     *
     * @throws NoSuchAlgorithmException {@code SUN} was removed from the provider list, or lacks it
     */
    MessageDigest newSunDigest() throws NoSuchAlgorithmException {
        Provider sun = Security.getProvider("SUN");
        if (sun == null) {
            throw new NoSuchAlgorithmException("P11J hashes " + jcaName + " in software with the JDK's SUN provider, "
                    + "which is not installed");
        }
        return MessageDigest.getInstance(jcaName, sun);
    }
}
