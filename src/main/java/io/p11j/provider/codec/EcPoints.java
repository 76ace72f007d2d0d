// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import java.io.IOException;
import java.math.BigInteger;
import java.security.spec.ECField;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.EllipticCurve;
import java.security.spec.InvalidKeySpecException;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DEROctetString;

/**
 * Public points between the JCA and PKCS#11's {@code CKA_EC_POINT}.
 *
 * <p>PKCS#11 says {@code CKA_EC_POINT} is the DER of an X9.62 {@code ECPoint}, an
 * {@code OCTET STRING} wrapping the encoded point; that is what {@link #encodeCkaEcPoint} writes,
 * with the point uncompressed ({@code 04‖X‖Y}). Some tokens return the bare encoded point
 * instead, so {@link #decodeCkaEcPoint} reads both. For Edwards keys (PKCS#11 3.0) the attribute
 * is an {@code OCTET STRING} wrapping the RFC 8032 encoded point; {@link #encodeOctetString} and
 * {@link #decodeOctetString} handle that.
 *
 * <p>Every problem is an {@link InvalidKeySpecException}: the values are key specifications read
 * from or written to a token, and the JCA callers ({@code KeyFactory}, key import and translation)
 * either throw it as it is or wrap it. Messages give lengths and never the point's bytes.
 *
 * <p>Only prime-field curves are supported, and a decoded or encoded point must lie on the curve:
 * a point off the curve is the classic invalid-curve attack input and no honest key has one.
 */
public final class EcPoints {

    private static final int UNCOMPRESSED = 0x04;
    private static final int ED25519_POINT_BYTES = 32;
    private static final int ED448_POINT_BYTES = 57;

    private EcPoints() {
    }

    /**
     * The value of {@code CKA_EC_POINT} for a public point: DER {@code OCTET STRING} of
     * {@code 04‖X‖Y}, each coordinate {@link EcCurves#fieldBytes} long.
     *
     * @throws InvalidKeySpecException if the point is at infinity, has a coordinate outside the
     *     field, is not on the curve, or the curve is not over a prime field
     */
    public static byte[] encodeCkaEcPoint(ECPoint w, ECParameterSpec params) throws InvalidKeySpecException {
        return octetString(uncompressed(w, params));
    }

    /**
     * The bare uncompressed point {@code 04‖X‖Y} (what {@code CKM_ECDH1_DERIVE} takes as the peer's
     * public data), after the same checks as {@link #encodeCkaEcPoint}.
     */
    public static byte[] uncompressed(ECPoint w, ECParameterSpec params) throws InvalidKeySpecException {
        checkOnCurve(w, params);
        int n = EcCurves.fieldBytes(params);
        byte[] point = new byte[1 + 2 * n];
        point[0] = UNCOMPRESSED;
        putUnsigned(w.getAffineX(), point, 1, n);
        putUnsigned(w.getAffineY(), point, 1 + n, n);
        return point;
    }

    /**
     * The public point in a {@code CKA_EC_POINT} value, which may be DER-wrapped (as PKCS#11
     * specifies) or the bare uncompressed point (as some tokens return it).
     *
     * <p>A value exactly {@code 1 + 2 * fieldBytes} long starting with {@code 04} is taken as the
     * bare point; the DER wrapping of such a point is always longer, so the two cannot be confused.
     *
     * @throws InvalidKeySpecException if the value is neither form, the point is compressed or
     *     hybrid, of the wrong length, or not on the curve
     */
    public static ECPoint decodeCkaEcPoint(byte[] value, ECParameterSpec params) throws InvalidKeySpecException {
        if (value == null || value.length == 0) {
            throw new InvalidKeySpecException("CKA_EC_POINT is empty");
        }
        int n = EcCurves.fieldBytes(params);
        byte[] point = value.length == 1 + 2 * n && value[0] == UNCOMPRESSED ? value : unwrap(value, "CKA_EC_POINT");
        if (point.length == 0) {
            throw new InvalidKeySpecException("CKA_EC_POINT holds an empty point");
        }
        int form = point[0] & 0xff;
        if (form == 0x02 || form == 0x03) {
            throw new InvalidKeySpecException("CKA_EC_POINT holds a compressed point, which is not supported");
        }
        if (form != UNCOMPRESSED) {
            throw new InvalidKeySpecException(String.format("CKA_EC_POINT holds a point of form 0x%02x, not uncompressed (0x04)", form));
        }
        if (point.length != 1 + 2 * n) {
            throw new InvalidKeySpecException(
                    "CKA_EC_POINT holds an uncompressed point of " + point.length + " bytes, expected " + (1 + 2 * n));
        }
        ECPoint w = new ECPoint(new BigInteger(1, point, 1, n), new BigInteger(1, point, 1 + n, n));
        checkOnCurve(w, params);
        return w;
    }

    /**
     * The value of {@code CKA_EC_POINT} for an Edwards public key: DER {@code OCTET STRING} of
     * the 32-byte (Ed25519) or 57-byte (Ed448) encoded point.
     *
     * @throws InvalidKeySpecException if the point is not 32 or 57 bytes long
     */
    public static byte[] encodeOctetString(byte[] edwardsPoint) throws InvalidKeySpecException {
        checkEdwardsLength(edwardsPoint == null ? 0 : edwardsPoint.length);
        return octetString(edwardsPoint);
    }

    /**
     * The Edwards point in a {@code CKA_EC_POINT} value: SoftHSM2 and PKCS#11 3.0 wrap it in a
     * DER {@code OCTET STRING}; a bare 32-byte (Ed25519) or 57-byte (Ed448) point is accepted too.
     * Which curve it is on comes from {@code CKA_EC_PARAMS}, not from here.
     *
     * @return the encoded point, 32 or 57 bytes
     * @throws InvalidKeySpecException if the value is neither form or the point has another length
     */
    public static byte[] decodeOctetString(byte[] value) throws InvalidKeySpecException {
        if (value == null || value.length == 0) {
            throw new InvalidKeySpecException("CKA_EC_POINT is empty");
        }
        if (value.length == ED25519_POINT_BYTES || value.length == ED448_POINT_BYTES) {
            return value.clone(); // bare point; the DER-wrapped ones are 34 and 59 bytes
        }
        byte[] point = unwrap(value, "CKA_EC_POINT");
        checkEdwardsLength(point.length);
        return point;
    }

    private static byte[] unwrap(byte[] value, String what) throws InvalidKeySpecException {
        ASN1Primitive parsed;
        try {
            parsed = ASN1Primitive.fromByteArray(value);
        } catch (IOException | RuntimeException e) {
            throw new InvalidKeySpecException(what + " is neither a DER OCTET STRING nor a bare point", e);
        }
        if (!(parsed instanceof ASN1OctetString)) {
            throw new InvalidKeySpecException(what + " is neither a DER OCTET STRING nor a bare point");
        }
        return ((ASN1OctetString) parsed).getOctets();
    }

    private static void checkEdwardsLength(int length) throws InvalidKeySpecException {
        if (length != ED25519_POINT_BYTES && length != ED448_POINT_BYTES) {
            throw new InvalidKeySpecException(
                    "Edwards point has " + length + " bytes, expected 32 (Ed25519) or 57 (Ed448)");
        }
    }

    private static void checkOnCurve(ECPoint w, ECParameterSpec params) throws InvalidKeySpecException {
        if (w == null || params == null) {
            throw new InvalidKeySpecException("EC point and parameters are required");
        }
        if (w.equals(ECPoint.POINT_INFINITY)) {
            throw new InvalidKeySpecException("EC point is the point at infinity");
        }
        EllipticCurve curve = params.getCurve();
        ECField field = curve.getField();
        if (!(field instanceof ECFieldFp)) {
            throw new InvalidKeySpecException("only curves over a prime field are supported");
        }
        BigInteger p = ((ECFieldFp) field).getP();
        BigInteger x = w.getAffineX();
        BigInteger y = w.getAffineY();
        if (x.signum() < 0 || x.compareTo(p) >= 0 || y.signum() < 0 || y.compareTo(p) >= 0) {
            throw new InvalidKeySpecException("EC point has a coordinate outside the field");
        }
        BigInteger lhs = y.multiply(y).mod(p);
        BigInteger rhs = x.multiply(x).add(curve.getA()).multiply(x).add(curve.getB()).mod(p);
        if (!lhs.equals(rhs)) {
            throw new InvalidKeySpecException("EC point is not on the curve");
        }
    }

    private static void putUnsigned(BigInteger v, byte[] out, int offset, int length) {
        byte[] b = v.toByteArray();
        int skip = b.length > length ? b.length - length : 0; // the sign byte; v < p fits
        System.arraycopy(b, skip, out, offset + length - (b.length - skip), b.length - skip);
    }

    private static byte[] octetString(byte[] content) {
        try {
            return new DEROctetString(content).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("cannot DER-encode an OCTET STRING", e);
        }
    }
}
