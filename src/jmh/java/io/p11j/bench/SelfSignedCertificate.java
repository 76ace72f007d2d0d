// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;

/**
 * A minimal self-signed X.509 v3 certificate in DER, built by hand: SunPKCS11's {@code KeyStore}
 * shows a private key only when a certificate object with the same {@code CKA_ID} sits beside it,
 * and the project has no ASN.1 library (the JDK's {@code sun.security.x509} would need
 * {@code --add-exports}). The signature is made by the token key itself, through a {@link Signer},
 * so the certificate verifies with the key pair's public key.
 *
 * <p>Only what {@link SignBenchmark} needs: SHA-256 with RSA or ECDSA, a {@code CN=} name, no
 * extensions.
 */
final class SelfSignedCertificate {

    /** Signs the DER of a TBSCertificate; returns the signature as it goes into the certificate's BIT STRING. */
    @FunctionalInterface
    interface Signer {
        byte[] sign(byte[] tbs) throws Exception;
    }

    /** sha256WithRSAEncryption, with its NULL parameter. */
    static final byte[] SHA256_WITH_RSA = seq(oid("1.2.840.113549.1.1.11"), new byte[] {0x05, 0x00});
    /** ecdsa-with-SHA256, no parameter. */
    static final byte[] ECDSA_WITH_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

    private SelfSignedCertificate() {
    }

    /** The DER of {@code CN=commonName}. */
    static byte[] name(String commonName) {
        return seq(set(seq(oid("2.5.4.3"), tlv(0x0c, commonName.getBytes(StandardCharsets.UTF_8)))));
    }

    /**
     * A certificate for {@code subjectPublicKeyInfo} (DER), issued by and to {@code CN=commonName},
     * valid from yesterday for ten years, signed with {@code signatureAlgorithm} by {@code signer}.
     */
    static byte[] create(String commonName, BigInteger serial, byte[] subjectPublicKeyInfo, byte[] signatureAlgorithm,
                         Signer signer) throws Exception {
        byte[] name = name(commonName);
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        byte[] tbs = seq(
                tlv(0xa0, integer(BigInteger.TWO)), // [0] EXPLICIT version v3
                integer(serial),
                signatureAlgorithm,
                name,
                seq(utcTime(now.minusDays(1)), utcTime(now.plusYears(10))),
                name,
                subjectPublicKeyInfo);
        return seq(tbs, signatureAlgorithm, bitString(signer.sign(tbs)));
    }

    /** The DER {@code SubjectPublicKeyInfo} of a P-256 key from its uncompressed point {@code 04 || X || Y}. */
    static byte[] p256PublicKeyInfo(byte[] uncompressedPoint) {
        return seq(seq(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")), bitString(uncompressedPoint));
    }

    /** An ECDSA signature as DER {@code SEQUENCE { r, s }} from PKCS#11's raw {@code r || s}. */
    static byte[] ecdsaDer(byte[] rawRs) {
        int half = rawRs.length / 2;
        return seq(integer(new BigInteger(1, Arrays.copyOfRange(rawRs, 0, half))),
                integer(new BigInteger(1, Arrays.copyOfRange(rawRs, half, rawRs.length))));
    }

    /** The DER {@code INTEGER} of {@code value}. */
    static byte[] integer(BigInteger value) {
        return tlv(0x02, value.toByteArray());
    }

    // ---------------------------------------------------------------- DER

    static byte[] seq(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    static byte[] set(byte[]... parts) {
        return tlv(0x31, concat(parts));
    }

    static byte[] bitString(byte[] bytes) {
        byte[] content = new byte[bytes.length + 1]; // no unused bits
        System.arraycopy(bytes, 0, content, 1, bytes.length);
        return tlv(0x03, content);
    }

    static byte[] utcTime(ZonedDateTime t) {
        return tlv(0x17, DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").format(t).getBytes(StandardCharsets.US_ASCII));
    }

    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Integer.parseInt(arcs[0]) * 40 + Integer.parseInt(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            long arc = Long.parseLong(arcs[i]);
            int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(arc) + 6) / 7);
            for (int g = groups - 1; g >= 0; g--) {
                out.write((int) ((arc >>> (7 * g)) & 0x7f) | (g > 0 ? 0x80 : 0));
            }
        }
        return tlv(0x06, out.toByteArray());
    }

    static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
