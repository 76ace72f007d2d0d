// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import java.io.IOException;
import java.math.BigInteger;
import java.security.SignatureException;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;

/**
 * ECDSA signatures between the JCA's DER form and PKCS#11's raw form.
 *
 * <p>{@code SHA256withECDSA} and its siblings speak DER, {@code SEQUENCE { INTEGER r, INTEGER s }}
 * (RFC 3279 {@code Ecdsa-Sig-Value}); {@code CKM_ECDSA} speaks {@code r‖s}, each integer
 * big-endian and left-padded to the same fixed length (PKCS#11 3.0 section 2.3.1), which is also
 * the IEEE P1363 form of the JCA's {@code SHA256withECDSAinP1363Format}.
 *
 * <p>Parsing is strict because the signature to verify comes from outside: only the one canonical
 * DER encoding of a signature is accepted. A BER length (long form, leading zeros, indefinite), an
 * integer with superfluous leading bytes, a negative or zero integer, an integer too long for the
 * curve, extra elements or trailing bytes are all {@link SignatureException}s. Accepting any of
 * them would make signatures malleable (several encodings verifying for the same {@code r, s}),
 * which is what Wycheproof's {@code BerEncodedSignature} and {@code InvalidEncoding} cases test.
 *
 * <p>Exception messages name the problem and never quote the signature bytes.
 */
public final class EcdsaSignatures {

    private EcdsaSignatures() {
    }

    /**
     * Converts a DER {@code Ecdsa-Sig-Value} to {@code r‖s}.
     *
     * @param der the DER signature, as the JCA carries it
     * @param fieldBytes the length of each of {@code r} and {@code s} in the raw form: the byte
     *     length of the curve's order, which for the supported curves is
     *     {@link EcCurves#fieldBytes(java.security.spec.ECParameterSpec)}
     * @return {@code r‖s}, {@code 2 * fieldBytes} bytes
     * @throws SignatureException if {@code der} is not exactly one canonical DER
     *     {@code SEQUENCE} of two positive {@code INTEGER}s that each fit in {@code fieldBytes} bytes
     * @throws IllegalArgumentException if {@code fieldBytes} is not positive
     */
    public static byte[] derToRaw(byte[] der, int fieldBytes) throws SignatureException {
        requirePositive(fieldBytes);
        if (der == null || der.length == 0) {
            throw new SignatureException("ECDSA signature is empty");
        }
        ASN1Primitive parsed;
        try {
            // fromByteArray rejects bytes after the first object.
            parsed = ASN1Primitive.fromByteArray(der);
        } catch (IOException | RuntimeException e) {
            // BC reports malformed input as IOException or as one of several runtime exceptions
            // (ASN1ParsingException, IllegalArgumentException for a malformed INTEGER, ...).
            throw new SignatureException(
                    "ECDSA signature is not a single well-formed DER object (" + e.getClass().getSimpleName() + ")", e);
        }
        if (!(parsed instanceof ASN1Sequence)) {
            throw new SignatureException("ECDSA signature is not a DER SEQUENCE");
        }
        ASN1Sequence seq = (ASN1Sequence) parsed;
        if (seq.size() != 2) {
            throw new SignatureException("ECDSA signature SEQUENCE has " + seq.size() + " elements, not 2");
        }
        if (!(seq.getObjectAt(0) instanceof ASN1Integer) || !(seq.getObjectAt(1) instanceof ASN1Integer)) {
            throw new SignatureException("ECDSA signature SEQUENCE elements are not both INTEGERs");
        }
        byte[] canonical;
        try {
            canonical = seq.getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new SignatureException("ECDSA signature cannot be re-encoded as DER", e);
        }
        if (!Arrays.equals(canonical, der)) {
            throw new SignatureException("ECDSA signature is not canonical DER (BER length or padding)");
        }
        BigInteger r = ((ASN1Integer) seq.getObjectAt(0)).getValue();
        BigInteger s = ((ASN1Integer) seq.getObjectAt(1)).getValue();
        byte[] raw = new byte[2 * fieldBytes];
        put(r, "r", raw, 0, fieldBytes);
        put(s, "s", raw, fieldBytes, fieldBytes);
        return raw;
    }

    /**
     * Converts {@code r‖s} to a DER {@code Ecdsa-Sig-Value}, as a token's {@code C_Sign} output
     * becomes the JCA's signature.
     *
     * @param raw {@code r‖s}, two unsigned big-endian integers of equal length
     * @return the canonical DER encoding
     * @throws SignatureException if {@code raw} is empty or of odd length
     */
    public static byte[] rawToDer(byte[] raw) throws SignatureException {
        if (raw == null || raw.length == 0) {
            throw new SignatureException("raw ECDSA signature is empty");
        }
        if (raw.length % 2 != 0) {
            throw new SignatureException("raw ECDSA signature has odd length " + raw.length);
        }
        int half = raw.length / 2;
        BigInteger r = new BigInteger(1, raw, 0, half);
        BigInteger s = new BigInteger(1, raw, half, half);
        try {
            return new DERSequence(new ASN1Integer[] {new ASN1Integer(r), new ASN1Integer(s)})
                    .getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new SignatureException("cannot DER-encode ECDSA signature", e);
        }
    }

    /**
     * Checks the length of an IEEE P1363 ({@code r‖s}) signature before it is handed to the
     * token, so that a wrong length is the JCA's {@link SignatureException} rather than whatever
     * the token makes of it ({@code CKR_SIGNATURE_LEN_RANGE}, or worse, a silent failure).
     *
     * @param raw the signature to verify
     * @param fieldBytes the length of each of {@code r} and {@code s}
     * @return {@code raw} itself, not a copy
     * @throws SignatureException if {@code raw.length != 2 * fieldBytes}
     * @throws IllegalArgumentException if {@code fieldBytes} is not positive
     */
    public static byte[] p1363Check(byte[] raw, int fieldBytes) throws SignatureException {
        requirePositive(fieldBytes);
        int length = raw == null ? 0 : raw.length;
        if (length != 2 * fieldBytes) {
            throw new SignatureException(
                    "P1363 ECDSA signature has length " + length + ", expected " + 2 * fieldBytes);
        }
        return raw;
    }

    private static void put(BigInteger v, String name, byte[] out, int offset, int fieldBytes)
            throws SignatureException {
        if (v.signum() <= 0) {
            throw new SignatureException("ECDSA signature " + name + " is not positive");
        }
        if (v.bitLength() > 8 * fieldBytes) {
            throw new SignatureException("ECDSA signature " + name + " is longer than " + fieldBytes + " bytes");
        }
        byte[] b = v.toByteArray(); // may carry one leading zero byte (sign bit)
        int skip = b.length > fieldBytes ? b.length - fieldBytes : 0;
        System.arraycopy(b, skip, out, offset + fieldBytes - (b.length - skip), b.length - skip);
    }

    private static void requirePositive(int fieldBytes) {
        if (fieldBytes <= 0) {
            throw new IllegalArgumentException("fieldBytes must be positive: " + fieldBytes);
        }
    }
}
