// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.sec.SECNamedCurves;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EcCurvesTest {

    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest
    @CsvSource({
        "secp256r1, 1.2.840.10045.3.1.7, 06082a8648ce3d030107, 32",
        "secp384r1, 1.3.132.0.34,        06052b81040022,       48",
        "secp521r1, 1.3.132.0.35,        06052b81040023,       66",
    })
    void theParametersOfJdkKeysEncodeToTheNamedCurveOidAndBack(String name, String oid, String der, int fieldBytes)
            throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec(name));
        ECParameterSpec keyParams = ((ECPublicKey) kpg.generateKeyPair().getPublic()).getParams();

        assertThat(EcCurves.name(keyParams)).isEqualTo(name);
        assertThat(EcCurves.oid(keyParams)).isEqualTo(oid);
        assertThat(EcCurves.fieldBytes(keyParams)).isEqualTo(fieldBytes);
        assertThat(HEX.formatHex(EcCurves.encodeParams(keyParams))).isEqualTo(der);

        ECParameterSpec decoded = EcCurves.decodeParams(HEX.parseHex(der));
        assertSameCurve(decoded, keyParams);
        assertThat(decoded).isSameAs(EcCurves.byName(name));
    }

    @Test
    void aCopyOfTheParametersIsRecognizedByValue() throws Exception {
        ECParameterSpec p256 = EcCurves.byName("secp256r1");
        ECParameterSpec copy = new ECParameterSpec(p256.getCurve(), p256.getGenerator(), p256.getOrder(), p256.getCofactor());

        assertThat(EcCurves.name(copy)).isEqualTo("secp256r1");
        assertThat(HEX.formatHex(EcCurves.encodeParams(copy))).isEqualTo("06082a8648ce3d030107");
    }

    @ParameterizedTest
    @CsvSource({
        "secp256r1, secp256r1", "P-256, secp256r1", "prime256v1, secp256r1", "NIST P-256, secp256r1",
        "p-256, secp256r1", "SECP256R1, secp256r1", "1.2.840.10045.3.1.7, secp256r1",
        "P-384, secp384r1", "NIST P-384, secp384r1", "1.3.132.0.34, secp384r1",
        "P-521, secp521r1", "secp521r1, secp521r1", "1.3.132.0.35, secp521r1",
    })
    void byNameAcceptsAliases(String alias, String name) throws Exception {
        assertThat(EcCurves.name(EcCurves.byName(alias))).isEqualTo(name);
        assertThat(EcCurves.byName(alias)).isSameAs(EcCurves.byName(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"secp256k1", "P-224", "brainpoolP256r1", "Ed25519", "", "1.3.132.0.10"})
    void byNameRejectsOtherCurves(String name) {
        assertThatThrownBy(() -> EcCurves.byName(name)).isInstanceOf(InvalidAlgorithmParameterException.class);
    }

    @Test
    void unknownParametersAreRejected() throws Exception {
        ECParameterSpec p256 = EcCurves.byName("P-256");
        ECParameterSpec wrongOrder = new ECParameterSpec(p256.getCurve(), p256.getGenerator(),
                p256.getOrder().subtract(BigInteger.TWO), 1);

        assertThatThrownBy(() -> EcCurves.encodeParams(wrongOrder)).isInstanceOf(InvalidAlgorithmParameterException.class)
                .hasMessageContaining("not those of secp256r1, secp384r1 or secp521r1");
        assertThatThrownBy(() -> EcCurves.name(wrongOrder)).isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> EcCurves.oid(null)).isInstanceOf(InvalidAlgorithmParameterException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"secp256r1", "secp384r1", "secp521r1"})
    void explicitParametersOfASupportedCurveDecodeToIt(String name) throws Exception {
        byte[] explicit = SECNamedCurves.getByName(name).toASN1Primitive().getEncoded(ASN1Encoding.DER);

        assertThat(explicit[0]).isEqualTo((byte) 0x30);
        assertThat(EcCurves.decodeParams(explicit)).isSameAs(EcCurves.byName(name));
    }

    @Test
    void explicitParametersOfAnotherCurveAreRejected() throws Exception {
        byte[] secp256k1 = SECNamedCurves.getByName("secp256k1").toASN1Primitive().getEncoded(ASN1Encoding.DER);

        assertThatThrownBy(() -> EcCurves.decodeParams(secp256k1)).isInstanceOf(InvalidAlgorithmParameterException.class)
                .hasMessageContaining("explicit EC parameters of no supported named curve");
    }

    @ParameterizedTest
    @CsvSource({
        "06052b8104000a, unsupported curve, 1.3.132.0.10",
        "06032b6570, Edwards curve, 1.3.101.112",
        "0500, implicitlyCA, implicitlyCA",
        "130c656477617264733235353139, edwards25519, Weierstrass",
        "06082a8648ce3d03010700, not DER, DER",
        "06082a8648ce3d0301, not DER, DER",
        "0401ff, not an X9.62, ECParameters",
        "'', not DER, DER",
    })
    void decodeParamsRejectsWhatItCannotUse(String hex, String message, String detail) {
        assertThatThrownBy(() -> EcCurves.decodeParams(HEX.parseHex(hex)))
                .isInstanceOf(InvalidAlgorithmParameterException.class)
                .hasMessageContaining(message)
                .hasMessageContaining(detail);
    }

    @Test
    void edwardsParamsAreTheRfc8410Oids() throws Exception {
        assertThat(HEX.formatHex(EcCurves.edwardsParams("Ed25519"))).isEqualTo("06032b6570");
        assertThat(HEX.formatHex(EcCurves.edwardsParams("ed25519"))).isEqualTo("06032b6570");
        assertThat(HEX.formatHex(EcCurves.edwardsParams("edwards25519"))).isEqualTo("06032b6570");
        assertThat(HEX.formatHex(EcCurves.edwardsParams("1.3.101.112"))).isEqualTo("06032b6570");
        assertThat(HEX.formatHex(EcCurves.edwardsParams("Ed448"))).isEqualTo("06032b6571");
        assertThat(HEX.formatHex(EcCurves.edwardsParams("edwards448"))).isEqualTo("06032b6571");
        assertThatThrownBy(() -> EcCurves.edwardsParams("X25519")).isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> EcCurves.edwardsParams(null)).isInstanceOf(InvalidAlgorithmParameterException.class);
    }

    @Test
    void edwardsCurveReadsOidsAndPrintableStrings() throws Exception {
        assertThat(EcCurves.edwardsCurve(EcCurves.edwardsParams("Ed25519"))).contains("Ed25519");
        assertThat(EcCurves.edwardsCurve(EcCurves.edwardsParams("Ed448"))).contains("Ed448");
        assertThat(EcCurves.edwardsCurve(printable("edwards25519"))).contains("Ed25519");
        assertThat(EcCurves.edwardsCurve(printable("edwards448"))).contains("Ed448");
        // GnuPG's Ed25519 OID 1.3.6.1.4.1.11591.15.1
        assertThat(EcCurves.edwardsCurve(HEX.parseHex("06092b06010401da470f01"))).contains("Ed25519");
    }

    @ParameterizedTest
    @ValueSource(strings = {"06082a8648ce3d030107", "06032b656e", "06032b656f", "0500", "06032b657000", "06", "", "ff"})
    void edwardsCurveIsEmptyForAnythingElse(String hex) throws Exception {
        assertThat(EcCurves.edwardsCurve(HEX.parseHex(hex))).isEmpty();
        assertThat(EcCurves.edwardsCurve(printable("curve25519"))).isEmpty();
        assertThat(EcCurves.edwardsCurve(null)).isEmpty();
    }

    private static byte[] printable(String s) throws Exception {
        byte[] der = new DERPrintableString(s).getEncoded(ASN1Encoding.DER);
        assertThat(new String(der, 2, der.length - 2, StandardCharsets.US_ASCII)).isEqualTo(s);
        return der;
    }

    private static void assertSameCurve(ECParameterSpec a, ECParameterSpec b) {
        assertThat(a.getCurve()).isEqualTo(b.getCurve());
        assertThat(a.getGenerator()).isEqualTo(b.getGenerator());
        assertThat(a.getOrder()).isEqualTo(b.getOrder());
        assertThat(a.getCofactor()).isEqualTo(b.getCofactor());
    }
}
