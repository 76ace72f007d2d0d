// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

/**
 * {@code r‖s} from the token to the DER {@code Ecdsa-Sig-Value} the JCA's {@code SHA256withECDSA}
 * returns, in one allocation.
 *
 * <p>This is the signing hot path: {@link io.p11j.provider.codec.EcdsaSignatures#rawToDer} goes
 * through two {@code BigInteger}s and Bouncy Castle's ASN.1 objects and streams, several hundred
 * bytes of garbage per signature, where the budget for a whole signature is 1 KB. The encoding of
 * two non-negative integers is simple enough to write here, and {@code EcdsaDerTest} checks it
 * against the codec's for every length and edge value. The other direction (parsing untrusted
 * signatures in {@code verify}) stays with the codec's strict parser.
 */
final class EcdsaDer {

    private EcdsaDer() {
    }

    /**
     * DER {@code SEQUENCE { INTEGER r, INTEGER s }} of {@code raw = r‖s}, each half an unsigned
     * big-endian integer.
     *
     * @throws IllegalArgumentException if {@code raw} is empty, of odd length, or longer than any
     *                                  curve's (2 × 127 bytes: short-form INTEGER lengths)
     */
    static byte[] encode(byte[] raw) {
        if (raw.length == 0 || raw.length % 2 != 0 || raw.length > 2 * 126) {
            throw new IllegalArgumentException("raw ECDSA signature of length " + raw.length);
        }
        int half = raw.length / 2;
        int rStart = firstNonZero(raw, 0, half);
        int sStart = firstNonZero(raw, half, raw.length);
        int rLen = contentLength(raw, rStart, half);
        int sLen = contentLength(raw, sStart, raw.length);
        int body = 2 + rLen + 2 + sLen;
        int header = body < 0x80 ? 2 : body <= 0xff ? 3 : 4;
        byte[] der = new byte[header + body];
        int p = 0;
        der[p++] = 0x30;
        if (body >= 0x100) {
            der[p++] = (byte) 0x82;
            der[p++] = (byte) (body >> 8);
        } else if (body >= 0x80) {
            der[p++] = (byte) 0x81;
        }
        der[p++] = (byte) body;
        p = integer(raw, rStart, half, rLen, der, p);
        integer(raw, sStart, raw.length, sLen, der, p);
        return der;
    }

    /** Index of the first non-zero byte in {@code [from, to)}, or {@code to}. */
    private static int firstNonZero(byte[] b, int from, int to) {
        int i = from;
        while (i < to && b[i] == 0) {
            i++;
        }
        return i;
    }

    /** INTEGER content length: the significant bytes, one zero byte more if the top bit is set, one zero byte for 0. */
    private static int contentLength(byte[] b, int start, int end) {
        if (start == end) {
            return 1;
        }
        return end - start + ((b[start] & 0x80) != 0 ? 1 : 0);
    }

    private static int integer(byte[] raw, int start, int end, int contentLength, byte[] der, int p) {
        der[p++] = 0x02;
        der[p++] = (byte) contentLength;
        int significant = end - start;
        p += contentLength - significant; // leading zero byte(s), already 0 in a new array
        System.arraycopy(raw, start, der, p, significant);
        return p + significant;
    }
}
