// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p11j.testing.Wycheproof;
import io.p11j.testing.Wycheproof.Group;
import io.p11j.testing.Wycheproof.TestCase;
import io.p11j.testing.Wycheproof.TestFile;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link EcdsaSignatures} against Wycheproof's DER ECDSA vectors: every valid signature converts
 * and converts back to itself; every signature flagged as a BER or otherwise invalid encoding is
 * rejected; and for every signature that does convert, the raw form verifies exactly when the DER
 * form should, so that the conversion can neither make a bad signature good nor a good one bad.
 */
class EcdsaSignaturesWycheproofTest {

    @ParameterizedTest
    @CsvSource({
        "ecdsa_secp256r1_sha256_test.json, SHA256withPLAIN-ECDSA",
        "ecdsa_secp384r1_sha384_test.json, SHA384withPLAIN-ECDSA",
    })
    void conversionAgreesWithEveryResult(String name, String p1363Algorithm) throws Exception {
        TestFile file = Wycheproof.load(name);
        BouncyCastleProvider bc = new BouncyCastleProvider();
        int converted = 0;
        int rejected = 0;
        for (Group g : file.groups()) {
            PublicKey key = g.publicKey();
            int fieldBytes = EcCurves.fieldBytes(((ECPublicKey) key).getParams());
            for (TestCase t : g.tests()) {
                byte[] raw;
                try {
                    raw = EcdsaSignatures.derToRaw(t.sig(), fieldBytes);
                } catch (SignatureException e) {
                    assertThat(t.valid()).as("tcId %d %s: %s", t.tcId(), t.comment(), e.getMessage()).isFalse();
                    rejected++;
                    continue;
                }
                converted++;
                assertThat(t.flags()).as("tcId %d %s", t.tcId(), t.comment())
                        .doesNotContain("BerEncodedSignature", "InvalidTypesInSignature", "MissingZero");
                assertThat(EcdsaSignatures.rawToDer(raw)).as("tcId %d", t.tcId()).isEqualTo(t.sig());
                Signature verifier = Signature.getInstance(p1363Algorithm, bc);
                verifier.initVerify(key);
                verifier.update(t.msg());
                boolean verified;
                try {
                    verified = verifier.verify(raw);
                } catch (SignatureException e) {
                    verified = false;
                }
                assertThat(verified).as("tcId %d %s %s", t.tcId(), t.flags(), t.comment()).isEqualTo(t.valid());
            }
        }
        assertThat(converted + rejected).isEqualTo(file.numberOfTests());
        assertThat(file.tests().filter(TestCase::valid).count()).isLessThanOrEqualTo(converted);
        // The encoding cases are the ones the codec itself must catch.
        assertThat(rejected).isGreaterThanOrEqualTo(
                (int) file.tests().filter(t -> t.hasFlag("BerEncodedSignature") || t.hasFlag("MissingZero")).count());
    }

    @ParameterizedTest
    @CsvSource({"ecdsa_secp256r1_sha256_test.json", "ecdsa_secp384r1_sha384_test.json"})
    void everyBerAndTypeConfusedEncodingIsRejected(String name) {
        TestFile file = Wycheproof.load(name);
        file.tests()
                .filter(t -> t.hasFlag("BerEncodedSignature") || t.hasFlag("InvalidTypesInSignature")
                        || t.hasFlag("MissingZero"))
                .forEach(t -> assertThatThrownBy(() -> EcdsaSignatures.derToRaw(t.sig(), 66))
                        .as("tcId %d %s", t.tcId(), t.comment())
                        .isInstanceOf(SignatureException.class));
        file.tests().filter(TestCase::valid)
                .forEach(t -> assertThatCode(() -> EcdsaSignatures.derToRaw(t.sig(), 66)).doesNotThrowAnyException());
    }
}
