// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA1;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA224;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA256;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA384;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA3_224;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA3_256;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA3_384;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA3_512;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA512;
import static io.p11j.sys.Pkcs11Constants.CKM_MD5;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA224;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA256;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA384;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA3_224;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA3_256;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA3_384;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA3_512;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA512;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA512_224;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA512_256;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p11j.provider.codec.PssParameters.Ck;
import java.security.InvalidAlgorithmParameterException;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PssParametersTest {

    static Stream<Arguments> digests() {
        return Stream.of(
                Arguments.of("SHA-1", CKM_SHA_1, CKG_MGF1_SHA1),
                Arguments.of("SHA-224", CKM_SHA224, CKG_MGF1_SHA224),
                Arguments.of("SHA-256", CKM_SHA256, CKG_MGF1_SHA256),
                Arguments.of("SHA-384", CKM_SHA384, CKG_MGF1_SHA384),
                Arguments.of("SHA-512", CKM_SHA512, CKG_MGF1_SHA512),
                Arguments.of("SHA3-224", CKM_SHA3_224, CKG_MGF1_SHA3_224),
                Arguments.of("SHA3-256", CKM_SHA3_256, CKG_MGF1_SHA3_256),
                Arguments.of("SHA3-384", CKM_SHA3_384, CKG_MGF1_SHA3_384),
                Arguments.of("SHA3-512", CKM_SHA3_512, CKG_MGF1_SHA3_512));
    }

    @ParameterizedTest
    @MethodSource("digests")
    void everyDigestMapsBothWays(String name, long ckm, long mgf) throws Exception {
        assertThat(PssParameters.ckmOfDigest(name)).isEqualTo(ckm);
        assertThat(PssParameters.mgfOfDigest(name)).isEqualTo(mgf);
        assertThat(PssParameters.digestName(ckm)).isEqualTo(name);
        assertThat(PssParameters.mgfDigestName(mgf)).isEqualTo(name);

        PSSParameterSpec spec = new PSSParameterSpec(name, "MGF1", new MGF1ParameterSpec(name), 17, 1);
        Ck ck = PssParameters.toPkcs11(spec);
        assertThat(ck).isEqualTo(new Ck(ckm, mgf, 17));
        PSSParameterSpec back = PssParameters.fromPkcs11(ck);
        assertThat(back.getDigestAlgorithm()).isEqualTo(name);
        assertThat(back.getMGFAlgorithm()).isEqualTo("MGF1");
        assertThat(((MGF1ParameterSpec) back.getMGFParameters()).getDigestAlgorithm()).isEqualTo(name);
        assertThat(back.getSaltLength()).isEqualTo(17);
        assertThat(back.getTrailerField()).isEqualTo(PSSParameterSpec.TRAILER_FIELD_BC);
    }

    @Test
    void theDigestAndTheMgfDigestMayDiffer() throws Exception {
        PSSParameterSpec spec = new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA256, 48, 1);

        assertThat(PssParameters.toPkcs11(spec)).isEqualTo(new Ck(CKM_SHA384, CKG_MGF1_SHA256, 48));
    }

    @Test
    void truncatedSha512HasAMechanismButNoMgf1() throws Exception {
        assertThat(PssParameters.ckmOfDigest("SHA-512/224")).isEqualTo(CKM_SHA512_224);
        assertThat(PssParameters.ckmOfDigest("SHA512/256")).isEqualTo(CKM_SHA512_256);
        assertThat(PssParameters.digestName(CKM_SHA512_256)).isEqualTo("SHA-512/256");
        assertThatThrownBy(() -> PssParameters.mgfOfDigest("SHA-512/256"))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("no MGF1");
        PSSParameterSpec spec = new PSSParameterSpec("SHA-512/256", "MGF1", MGF1ParameterSpec.SHA512_256, 32, 1);
        assertThatThrownBy(() -> PssParameters.toPkcs11(spec)).isInstanceOf(InvalidAlgorithmParameterException.class);
        // With MGF1 over a digest PKCS#11 has, the truncated hash is fine.
        assertThat(PssParameters.toPkcs11(new PSSParameterSpec("SHA-512/256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1)))
                .isEqualTo(new Ck(CKM_SHA512_256, CKG_MGF1_SHA256, 32));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SHA256", "sha-256", "SHA-256", "Sha256", "2.16.840.1.101.3.4.2.1"})
    void digestNamesAreNormalized(String name) throws Exception {
        assertThat(PssParameters.ckmOfDigest(name)).isEqualTo(CKM_SHA256);
        assertThat(PssParameters.mgfOfDigest(name)).isEqualTo(CKG_MGF1_SHA256);
        assertThat(PssParameters.toPkcs11(new PSSParameterSpec(name, "mgf1", new MGF1ParameterSpec(name), 32, 1)))
                .isEqualTo(new Ck(CKM_SHA256, CKG_MGF1_SHA256, 32));
    }

    @Test
    void sha1Aliases() throws Exception {
        assertThat(PssParameters.ckmOfDigest("SHA")).isEqualTo(CKM_SHA_1);
        assertThat(PssParameters.ckmOfDigest("SHA1")).isEqualTo(CKM_SHA_1);
        assertThat(PssParameters.mgfOfDigest("sha-1")).isEqualTo(CKG_MGF1_SHA1);
    }

    @Test
    void theMgf1OidIsMgf1() throws Exception {
        PSSParameterSpec spec = new PSSParameterSpec("SHA-256", "1.2.840.113549.1.1.8", MGF1ParameterSpec.SHA256, 32, 1);

        assertThat(PssParameters.toPkcs11(spec)).isEqualTo(new Ck(CKM_SHA256, CKG_MGF1_SHA256, 32));
    }

    @Test
    void unsupportedSpecsAreRejected() {
        assertThatThrownBy(() -> PssParameters.toPkcs11(
                new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 2)))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("trailer field 2");
        assertThatThrownBy(() -> PssParameters.toPkcs11(
                new PSSParameterSpec("SHA-256", "MGF2", MGF1ParameterSpec.SHA256, 32, 1)))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("MGF2");
        assertThatThrownBy(() -> PssParameters.toPkcs11(
                new PSSParameterSpec("SHA-256", "MGF1", null, 32, 1)))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("MGF1ParameterSpec");
        assertThatThrownBy(() -> PssParameters.toPkcs11(
                new PSSParameterSpec("SHA-256", "MGF1", new ECGenParameterSpec("secp256r1"), 32, 1)))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> PssParameters.toPkcs11(
                new PSSParameterSpec("MD5", "MGF1", MGF1ParameterSpec.SHA256, 32, 1)))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("MD5");
        assertThatThrownBy(() -> PssParameters.toPkcs11(
                new PSSParameterSpec("SHA-256", "MGF1", new MGF1ParameterSpec("MD5"), 32, 1)))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("MD5");
        assertThatThrownBy(() -> PssParameters.toPkcs11(null)).isInstanceOf(InvalidAlgorithmParameterException.class);
    }

    @Test
    void unknownConstantsAreRejected() {
        assertThatThrownBy(() -> PssParameters.digestName(CKM_MD5))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("0x00000210");
        assertThatThrownBy(() -> PssParameters.mgfDigestName(0)).isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> PssParameters.mgfDigestName(42)).isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> PssParameters.fromPkcs11(new Ck(CKM_SHA256, CKG_MGF1_SHA256, -1)))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> PssParameters.fromPkcs11(new Ck(CKM_SHA256, CKG_MGF1_SHA256, 1L << 32)))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
    }
}
