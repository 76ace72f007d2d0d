// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.codec.EcCurves;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;

import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;

/** X.509 {@code SubjectPublicKeyInfo} encodings of public keys read from the token (Bouncy Castle writes the DER). */
final class KeyEncodings {

    /** RFC 8410 (Bouncy Castle keeps its constants for these in an internal package). */
    private static final ASN1ObjectIdentifier ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
    private static final ASN1ObjectIdentifier ED448 = new ASN1ObjectIdentifier("1.3.101.113");

    private KeyEncodings() {
    }

    static byte[] rsa(BigInteger n, BigInteger e) {
        return spki(new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                new org.bouncycastle.asn1.pkcs.RSAPublicKey(n, e));
    }

    static byte[] ec(ECParameterSpec params, ECPoint w) {
        int size = EcCurves.fieldBytes(params);
        byte[] point = new byte[1 + 2 * size];
        point[0] = 4; // uncompressed
        copy(w.getAffineX(), point, 1, size);
        copy(w.getAffineY(), point, 1 + size, size);
        String oid;
        try {
            oid = EcCurves.oid(params);
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e); // keys are made only on curves the provider knows
        }
        return spki(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, new ASN1ObjectIdentifier(oid)), point);
    }

    static byte[] edwards(String curve, byte[] raw) {
        return spki(new AlgorithmIdentifier(curve.equalsIgnoreCase("Ed448") ? ED448 : ED25519), raw);
    }

    private static byte[] spki(AlgorithmIdentifier algorithm, org.bouncycastle.asn1.ASN1Encodable key) {
        try {
            return new SubjectPublicKeyInfo(algorithm, key).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] spki(AlgorithmIdentifier algorithm, byte[] keyBits) {
        try {
            return new SubjectPublicKeyInfo(algorithm, keyBits).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code v} as exactly {@code size} big-endian bytes at {@code out[off]}. */
    private static void copy(BigInteger v, byte[] out, int off, int size) {
        byte[] b = v.toByteArray();
        int start = b.length > size ? b.length - size : 0;
        int len = b.length - start;
        System.arraycopy(b, start, out, off + size - len, len);
    }
}
