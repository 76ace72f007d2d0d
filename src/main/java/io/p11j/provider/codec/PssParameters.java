// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import java.security.InvalidAlgorithmParameterException;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

/**
 * RSASSA-PSS parameters between the JCA's {@link PSSParameterSpec} and the three numbers of
 * PKCS#11's {@code CK_RSA_PKCS_PSS_PARAMS}.
 *
 * <p>The JCA names digests and the mask generation function by string; PKCS#11 by constant: the
 * hash by its {@code CKM_} digest mechanism, MGF1 by a {@code CKG_MGF1_} value per digest. PKCS#11
 * has no trailer-field parameter (it is always 1, {@code 0xbc}) and no MGF other than MGF1, so
 * specs asking for anything else are refused rather than silently signed differently.
 *
 * <p>Digest names are read the way the JCA accepts them: {@code SHA-256}, {@code SHA256},
 * {@code sha-256}, {@code SHA} for SHA-1, or the dotted OID.
 */
public final class PssParameters {

    private static final String MGF1_OID = "1.2.840.113549.1.1.8";

    /**
     * The fields of {@code CK_RSA_PKCS_PSS_PARAMS}.
     *
     * @param hashAlg the message digest, a {@code CKM_} digest mechanism such as {@code CKM_SHA256}
     * @param mgf the mask generation function, a {@code CKG_MGF1_} value such as {@code CKG_MGF1_SHA256}
     * @param saltLength {@code sLen}, in bytes
     */
    public record Ck(long hashAlg, long mgf, long saltLength) {
    }

    private PssParameters() {
    }

    /**
     * The PKCS#11 form of a PSS spec.
     *
     * @throws InvalidAlgorithmParameterException if the trailer field is not 1, the MGF is not MGF1
     *     with an {@link MGF1ParameterSpec}, or either digest has no PKCS#11 equivalent
     */
    public static Ck toPkcs11(PSSParameterSpec spec) throws InvalidAlgorithmParameterException {
        if (spec == null) {
            throw new InvalidAlgorithmParameterException("PSS parameters are required");
        }
        if (spec.getTrailerField() != PSSParameterSpec.TRAILER_FIELD_BC) {
            throw new InvalidAlgorithmParameterException(
                    "PSS trailer field " + spec.getTrailerField() + " is not supported, only 1");
        }
        String mgfName = spec.getMGFAlgorithm();
        if (mgfName == null || !(mgfName.equalsIgnoreCase("MGF1") || mgfName.equals(MGF1_OID))) {
            throw new InvalidAlgorithmParameterException("PSS mask generation function " + mgfName + " is not supported, only MGF1");
        }
        AlgorithmParameterSpec mgfParams = spec.getMGFParameters();
        if (!(mgfParams instanceof MGF1ParameterSpec)) {
            throw new InvalidAlgorithmParameterException("PSS MGF1 parameters must be an MGF1ParameterSpec");
        }
        long hash = ckmOfDigest(spec.getDigestAlgorithm());
        long mgf = mgfOfDigest(((MGF1ParameterSpec) mgfParams).getDigestAlgorithm());
        return new Ck(hash, mgf, spec.getSaltLength());
    }

    /**
     * The JCA form of {@code CK_RSA_PKCS_PSS_PARAMS}, with the trailer field 1.
     *
     * @throws InvalidAlgorithmParameterException if a constant is unknown or the salt length is
     *     negative or beyond {@code int}
     */
    public static PSSParameterSpec fromPkcs11(Ck ck) throws InvalidAlgorithmParameterException {
        if (ck.saltLength() < 0 || ck.saltLength() > Integer.MAX_VALUE) {
            throw new InvalidAlgorithmParameterException("PSS salt length " + ck.saltLength() + " is out of range");
        }
        return new PSSParameterSpec(digestName(ck.hashAlg()), "MGF1", new MGF1ParameterSpec(mgfDigestName(ck.mgf())),
                (int) ck.saltLength(), PSSParameterSpec.TRAILER_FIELD_BC);
    }

    /**
     * The JCA name ({@code SHA-256}, ...) of a {@code CKM_} digest mechanism.
     *
     * @throws InvalidAlgorithmParameterException if it is not one of the supported digests
     */
    public static String digestName(long ckmHash) throws InvalidAlgorithmParameterException {
        return Digest.byCkm(ckmHash).orElseThrow(() -> new InvalidAlgorithmParameterException(
                String.format("unsupported PSS hash mechanism 0x%08x", ckmHash))).jcaName;
    }

    /**
     * The JCA name of the digest under a {@code CKG_MGF1_} value.
     *
     * @throws InvalidAlgorithmParameterException if it is not a known {@code CKG_MGF1_} value
     */
    public static String mgfDigestName(long ckgMgf) throws InvalidAlgorithmParameterException {
        return Digest.byMgf1(ckgMgf).orElseThrow(() -> new InvalidAlgorithmParameterException(
                String.format("unsupported PSS mask generation function 0x%08x", ckgMgf))).jcaName;
    }

    /**
     * The {@code CKM_} digest mechanism of a JCA digest: SHA-1 → {@code CKM_SHA_1}, SHA-224 →
     * {@code CKM_SHA224}, ..., SHA-512/256 → {@code CKM_SHA512_256}, SHA3-256 → {@code CKM_SHA3_256}.
     *
     * @throws InvalidAlgorithmParameterException if it is not one of the supported digests
     */
    public static long ckmOfDigest(String jcaDigestName) throws InvalidAlgorithmParameterException {
        return Digest.byName(jcaDigestName).orElseThrow(() -> new InvalidAlgorithmParameterException(
                "unsupported PSS digest " + jcaDigestName)).ckm;
    }

    /**
     * The {@code CKG_MGF1_} value of MGF1 over a JCA digest: SHA-1 → {@code CKG_MGF1_SHA1}, ...,
     * SHA3-512 → {@code CKG_MGF1_SHA3_512}.
     *
     * @throws InvalidAlgorithmParameterException if the digest is unsupported or PKCS#11 defines
     *     no MGF1 over it (SHA-512/224, SHA-512/256)
     */
    public static long mgfOfDigest(String jcaDigestName) throws InvalidAlgorithmParameterException {
        Digest d = Digest.byName(jcaDigestName).orElseThrow(() -> new InvalidAlgorithmParameterException(
                "unsupported MGF1 digest " + jcaDigestName));
        if (d.mgf1 == Digest.NO_MGF1) {
            throw new InvalidAlgorithmParameterException("PKCS#11 defines no MGF1 over " + d.jcaName);
        }
        return d.mgf1;
    }
}
