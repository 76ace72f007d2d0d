// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.sec.SECNamedCurves;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EcPointsTest {

    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest
    @CsvSource({
        // curve, DER prefix of the OCTET STRING (tag, length), point length
        "secp256r1, 0441,   65",
        "secp384r1, 0461,   97",
        "secp521r1, 048185, 133",
    })
    void jdkPublicPointsRoundTripWrappedAndRaw(String curve, String prefix, int pointLength) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec(curve));
        ECPublicKey key = (ECPublicKey) kpg.generateKeyPair().getPublic();
        ECParameterSpec params = key.getParams();

        byte[] wrapped = EcPoints.encodeCkaEcPoint(key.getW(), params);

        assertThat(HEX.formatHex(wrapped)).startsWith(prefix + "04");
        assertThat(wrapped).hasSize(prefix.length() / 2 + pointLength);
        byte[] raw = Arrays.copyOfRange(wrapped, prefix.length() / 2, wrapped.length);
        // The uncompressed point is the tail of the JDK's own X.509 encoding.
        byte[] spki = key.getEncoded();
        assertThat(Arrays.copyOfRange(spki, spki.length - pointLength, spki.length)).isEqualTo(raw);

        assertThat(EcPoints.decodeCkaEcPoint(wrapped, params)).isEqualTo(key.getW());
        assertThat(EcPoints.decodeCkaEcPoint(raw, params)).isEqualTo(key.getW());
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void shortCoordinatesAreLeftPadded(boolean shortX) throws Exception {
        // Find a multiple of G whose x (or y) has a zero top byte, about one in 256.
        ECParameterSpec p256 = EcCurves.byName("P-256");
        X9ECParameters x9 = SECNamedCurves.getByName("secp256r1");
        org.bouncycastle.math.ec.ECPoint q;
        BigInteger k = BigInteger.ONE;
        do {
            k = k.add(BigInteger.ONE);
            q = x9.getG().multiply(k).normalize();
        } while ((shortX ? q.getAffineXCoord() : q.getAffineYCoord()).toBigInteger().bitLength() > 248);
        ECPoint w = new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());

        byte[] wrapped = EcPoints.encodeCkaEcPoint(w, p256);

        assertThat(wrapped).isEqualTo(new DEROctetString(q.getEncoded(false)).getEncoded(ASN1Encoding.DER));
        assertThat(wrapped[shortX ? 3 : 35]).isZero();
        assertThat(EcPoints.decodeCkaEcPoint(wrapped, p256)).isEqualTo(w);
    }

    @Test
    void compressedPointsAreRejectedInEitherForm() throws Exception {
        ECParameterSpec p256 = EcCurves.byName("P-256");
        byte[] x = Arrays.copyOfRange(EcPoints.encodeCkaEcPoint(p256.getGenerator(), p256), 3, 35);
        byte[] compressed = new byte[33];
        compressed[0] = 0x03;
        System.arraycopy(x, 0, compressed, 1, 32);
        byte[] wrapped = new byte[35];
        wrapped[0] = 0x04;
        wrapped[1] = 33;
        System.arraycopy(compressed, 0, wrapped, 2, 33);

        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(compressed, p256))
                .isInstanceOf(InvalidKeySpecException.class);
        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(wrapped, p256))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("compressed");
    }

    @Test
    void wrongLengthsAndFormsAreRejected() throws Exception {
        ECParameterSpec p256 = EcCurves.byName("P-256");
        byte[] wrapped = EcPoints.encodeCkaEcPoint(p256.getGenerator(), p256);
        byte[] raw = Arrays.copyOfRange(wrapped, 2, wrapped.length);

        // A P-384 point is not a P-256 point.
        ECParameterSpec p384 = EcCurves.byName("P-384");
        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(wrapped, p384))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("expected 97");
        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(raw, p384)).isInstanceOf(InvalidKeySpecException.class);
        // Truncated, trailing byte, hybrid form, empty, another DER type.
        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(Arrays.copyOf(wrapped, 66), p256))
                .isInstanceOf(InvalidKeySpecException.class);
        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(Arrays.copyOf(wrapped, 68), p256))
                .isInstanceOf(InvalidKeySpecException.class);
        byte[] hybrid = wrapped.clone();
        hybrid[2] = 0x06;
        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(hybrid, p256))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("0x06");
        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(new byte[0], p256)).isInstanceOf(InvalidKeySpecException.class);
        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(HEX.parseHex("0400"), p256))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("empty point");
        byte[] bitString = wrapped.clone();
        bitString[0] = 0x03;
        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(bitString, p256)).isInstanceOf(InvalidKeySpecException.class);
    }

    @Test
    void pointsOffTheCurveAreRejected() throws Exception {
        ECParameterSpec p256 = EcCurves.byName("P-256");
        ECPoint g = p256.getGenerator();
        ECPoint off = new ECPoint(g.getAffineX(), g.getAffineY().add(BigInteger.ONE));
        BigInteger p = ((ECFieldFp) p256.getCurve().getField()).getP();

        assertThatThrownBy(() -> EcPoints.encodeCkaEcPoint(off, p256))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("not on the curve");
        byte[] wrapped = EcPoints.encodeCkaEcPoint(g, p256);
        wrapped[wrapped.length - 1] ^= 1;
        assertThatThrownBy(() -> EcPoints.decodeCkaEcPoint(wrapped, p256))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("not on the curve");
        assertThatThrownBy(() -> EcPoints.encodeCkaEcPoint(ECPoint.POINT_INFINITY, p256))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("infinity");
        assertThatThrownBy(() -> EcPoints.encodeCkaEcPoint(new ECPoint(g.getAffineX().add(p), g.getAffineY()), p256))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("outside the field");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Ed25519", "Ed448"})
    void edwardsPointsRoundTripWrappedAndRaw(String curve) throws Exception {
        byte[] spki = KeyPairGenerator.getInstance(curve).generateKeyPair().getPublic().getEncoded();
        int length = curve.equals("Ed25519") ? 32 : 57;
        byte[] point = Arrays.copyOfRange(spki, spki.length - length, spki.length);

        byte[] wrapped = EcPoints.encodeOctetString(point);

        assertThat(wrapped).hasSize(length + 2);
        assertThat(wrapped[0]).isEqualTo((byte) 0x04);
        assertThat(wrapped[1]).isEqualTo((byte) length);
        assertThat(EcPoints.decodeOctetString(wrapped)).isEqualTo(point);
        assertThat(EcPoints.decodeOctetString(point)).isEqualTo(point);
    }

    @Test
    void edwardsPointsOfOtherLengthsAreRejected() {
        assertThatThrownBy(() -> EcPoints.encodeOctetString(new byte[33])).isInstanceOf(InvalidKeySpecException.class);
        assertThatThrownBy(() -> EcPoints.encodeOctetString(null)).isInstanceOf(InvalidKeySpecException.class);
        assertThatThrownBy(() -> EcPoints.decodeOctetString(new byte[33])).isInstanceOf(InvalidKeySpecException.class);
        assertThatThrownBy(() -> EcPoints.decodeOctetString(new byte[0])).isInstanceOf(InvalidKeySpecException.class);
        byte[] wrapped31 = new byte[33];
        wrapped31[0] = 0x04;
        wrapped31[1] = 31;
        assertThatThrownBy(() -> EcPoints.decodeOctetString(wrapped31))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("31 bytes");
        byte[] trailing = new byte[35];
        trailing[0] = 0x04;
        trailing[1] = 32;
        assertThatThrownBy(() -> EcPoints.decodeOctetString(trailing)).isInstanceOf(InvalidKeySpecException.class);
    }
}
