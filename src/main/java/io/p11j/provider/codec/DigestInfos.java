// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.DigestInfo;

/**
 * DER {@code DigestInfo} for RSASSA-PKCS1-v1_5 over {@code CKM_RSA_PKCS}.
 *
 * <p>{@code CKM_RSA_PKCS} pads and signs whatever it is given; PKCS#1 v1.5 signing (RFC 8017
 * section 9.2) needs that to be {@code DigestInfo ::= SEQUENCE { digestAlgorithm
 * AlgorithmIdentifier, digest OCTET STRING }}. The provider builds it when it hashes in Java, or
 * when the token has no combined {@code CKM_SHA256_RSA_PKCS} and friends.
 *
 * <p>The {@code AlgorithmIdentifier} parameters are an explicit {@code NULL} for every digest, as
 * RFC 8017 appendix B.1 prescribes and as the JDK's {@code SunRsaSign} writes; verifiers that
 * compare encodings (most do) reject a signature without it.
 */
public final class DigestInfos {

    private DigestInfos() {
    }

    /**
     * The DER {@code DigestInfo} of a digest value.
     *
     * @param jcaDigestName SHA-1, SHA-224, SHA-256, SHA-384, SHA-512, SHA-512/224, SHA-512/256,
     *     SHA3-224, SHA3-256, SHA3-384 or SHA3-512, written as the JCA accepts it ({@code SHA256},
     *     {@code sha-256}, the dotted OID, ...)
     * @param digest the digest value
     * @throws NoSuchAlgorithmException if the digest is none of those
     * @throws IllegalArgumentException if {@code digest} is not as long as the digest's output:
     *     the caller computed it, so that is a bug, not bad input
     */
    public static byte[] encode(String jcaDigestName, byte[] digest) throws NoSuchAlgorithmException {
        Digest d = Digest.byName(jcaDigestName)
                .orElseThrow(() -> new NoSuchAlgorithmException("no DigestInfo for digest " + jcaDigestName));
        int length = digest == null ? 0 : digest.length;
        if (length != d.length) {
            throw new IllegalArgumentException(
                    d.jcaName + " digest must be " + d.length + " bytes, got " + length);
        }
        try {
            return new DigestInfo(new AlgorithmIdentifier(d.oid, DERNull.INSTANCE), digest)
                    .getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("cannot DER-encode a DigestInfo", e);
        }
    }
}
