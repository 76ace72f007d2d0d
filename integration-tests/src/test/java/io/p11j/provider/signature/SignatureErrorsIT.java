// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.P11jProvider;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.signature.SignatureFixtures.Kind;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyPair;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

import static io.p11j.provider.signature.SignatureFixtures.PSS_SHA256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JCA's contract when things are wrong: keys of the wrong kind, bad parameters, wrong state, bad signatures, lost keys. */
@ExtendWith(SoftHsmExtension.class)
class SignatureErrorsIT {

    @TempDir
    static Path dir;
    static Provider provider;
    static final Map<Kind, KeyPair> TOKEN = new EnumMap<>(Kind.class);
    static final Map<Kind, KeyPair> SOFTWARE = new EnumMap<>(Kind.class);

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        for (Kind k : new Kind[] {Kind.RSA, Kind.P256, Kind.ED25519, Kind.ED448}) {
            TOKEN.put(k, k.generate(provider));
            SOFTWARE.put(k, k.generate(null));
        }
    }

    @Test
    void keysOfTheWrongKindAreInvalidKeyExceptions() throws Exception {
        assertThatThrownBy(() -> Signature.getInstance("SHA256withECDSA", provider).initSign(TOKEN.get(Kind.RSA).getPrivate()))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("needs an EC key, not RSA");
        assertThatThrownBy(() -> Signature.getInstance("SHA256withRSA", provider).initSign(TOKEN.get(Kind.P256).getPrivate()))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("needs an RSA key");
        assertThatThrownBy(() -> Signature.getInstance("Ed25519", provider).initSign(TOKEN.get(Kind.ED448).getPrivate()))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("needs an Ed25519 key");
        assertThatThrownBy(() -> Signature.getInstance("SHA256withECDSA", provider).initVerify(SOFTWARE.get(Kind.RSA).getPublic()))
                .isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> Signature.getInstance("RSASSA-PSS", provider).initVerify(TOKEN.get(Kind.P256).getPublic()))
                .isInstanceOf(InvalidKeyException.class);
        // EdDSA takes either curve.
        Signature eddsa = Signature.getInstance("EdDSA", provider);
        eddsa.initSign(TOKEN.get(Kind.ED448).getPrivate());
        eddsa.initSign(TOKEN.get(Kind.ED25519).getPrivate());
    }

    @Test
    void softwarePrivateKeysAreTheJdksBusiness() throws Exception {
        assertThatThrownBy(() -> Signature.getInstance("SHA256withECDSA", provider).initSign(SOFTWARE.get(Kind.P256).getPrivate()))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("P11J signs only with private keys on a PKCS#11 token");
    }

    @Test
    void supportsParameterAnswersAsInitWould() throws Exception {
        Provider unconfigured = new P11jProvider();
        Provider.Service ec = provider.getService("Signature", "SHA256withECDSA");
        Provider.Service ecUnconfigured = unconfigured.getService("Signature", "SHA256withECDSA");
        Provider.Service ed25519 = provider.getService("Signature", "Ed25519");
        Key tokenPrivate = TOKEN.get(Kind.P256).getPrivate();
        Key tokenPublic = TOKEN.get(Kind.P256).getPublic();
        Key softPrivate = SOFTWARE.get(Kind.P256).getPrivate();
        Key softPublic = SOFTWARE.get(Kind.P256).getPublic();

        assertThat(ec.supportsParameter(tokenPrivate)).isTrue();
        assertThat(ec.supportsParameter(tokenPublic)).isTrue();
        assertThat(ec.supportsParameter(softPublic)).as("imported on the configured provider's token").isTrue();
        assertThat(ec.supportsParameter(softPrivate)).isFalse();
        assertThat(ec.supportsParameter(TOKEN.get(Kind.RSA).getPrivate())).isFalse();
        assertThat(ecUnconfigured.supportsParameter(tokenPrivate)).isTrue();
        assertThat(ecUnconfigured.supportsParameter(tokenPublic)).isTrue();
        assertThat(ecUnconfigured.supportsParameter(softPublic)).as("no token to import into").isFalse();
        assertThat(ecUnconfigured.supportsParameter(softPrivate)).isFalse();
        assertThat(ed25519.supportsParameter(TOKEN.get(Kind.ED25519).getPrivate())).isTrue();
        assertThat(ed25519.supportsParameter(TOKEN.get(Kind.ED448).getPrivate())).isFalse();
        assertThat(ed25519.supportsParameter(SOFTWARE.get(Kind.ED25519).getPublic())).isTrue();
        assertThat(ed25519.supportsParameter(SOFTWARE.get(Kind.ED448).getPublic())).isFalse();

        // A curve P11J cannot name to a token: declined, so the JCA goes on to another provider.
        java.security.KeyPairGenerator kpg = java.security.KeyPairGenerator.getInstance("EC",
                new org.bouncycastle.jce.provider.BouncyCastleProvider()); // JDK 17's SunEC has no secp256k1
        kpg.initialize(new ECGenParameterSpec("secp256k1"));
        Key k1 = kpg.generateKeyPair().getPublic();
        assertThat(ec.supportsParameter(k1)).isFalse();
        assertThatThrownBy(() -> Signature.getInstance("SHA256withECDSA", provider).initVerify((java.security.PublicKey) k1))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("cannot verify");
    }

    @Test
    void theUnconfiguredProviderSignsWithP11jKeysAndRefusesSoftwarePublicKeys() throws Exception {
        Provider unconfigured = new P11jProvider();
        KeyPair kp = TOKEN.get(Kind.P256);
        Signature s = Signature.getInstance("SHA256withECDSA", unconfigured);
        s.initSign(kp.getPrivate());
        s.update(new byte[3]);
        byte[] sig = s.sign();
        s.initVerify(kp.getPublic());
        s.update(new byte[3]);
        assertThat(s.verify(sig)).isTrue();
        assertThatThrownBy(() -> Signature.getInstance("SHA256withECDSA", unconfigured).initVerify(SOFTWARE.get(Kind.P256).getPublic()))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("unconfigured");
    }

    @Test
    void pssParametersThatCannotBe() throws Exception {
        Signature pss = Signature.getInstance("RSASSA-PSS", provider);
        assertThatThrownBy(() -> pss.setParameter(new PSSParameterSpec("MD5", "MGF1", MGF1ParameterSpec.SHA256, 16, 1)))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("MD5");
        assertThatThrownBy(() -> pss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", new MGF1ParameterSpec("MD5"), 32, 1)))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("MD5");
        assertThatThrownBy(() -> pss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 2)))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("trailer");
        assertThatThrownBy(() -> pss.setParameter(new ECGenParameterSpec("secp256r1")))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> pss.setParameter(null)).isInstanceOf(InvalidAlgorithmParameterException.class);

        // Salt too long for the key: at init when the parameters came first, at setParameter when the key did.
        PSSParameterSpec hugeSalt = new PSSParameterSpec("SHA-512", "MGF1", MGF1ParameterSpec.SHA512, 200, 1);
        pss.setParameter(hugeSalt);
        assertThatThrownBy(() -> pss.initSign(TOKEN.get(Kind.RSA).getPrivate()))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("too short");
        Signature later = Signature.getInstance("RSASSA-PSS", provider);
        later.initSign(TOKEN.get(Kind.RSA).getPrivate());
        assertThatThrownBy(() -> later.setParameter(hugeSalt))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("too short");
        later.setParameter(PSS_SHA256); // the engine is still usable with good parameters
        later.update(new byte[1]);
        assertThat(later.sign()).hasSize(256);

        // Not in the middle of a message (the JDK's RSASSA-PSS says the same).
        later.update(new byte[1]);
        assertThatThrownBy(() -> later.setParameter(PSS_SHA256)).isInstanceOf(ProviderException.class);

        // Fixed-parameter names take only their own parameters; the others none at all.
        assertThatThrownBy(() -> Signature.getInstance("SHA256withRSA/PSS", provider).setParameter(
                new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 20, 1)))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("fixed");
        assertThatThrownBy(() -> Signature.getInstance("SHA256withECDSA", provider).setParameter(PSS_SHA256))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> Signature.getInstance("Ed25519", provider)
                .setParameter(new java.security.spec.EdDSAParameterSpec(true)))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("prehash");
        Signature.getInstance("Ed25519", provider).setParameter(new java.security.spec.EdDSAParameterSpec(false));
    }

    @Test
    void pssWithAnotherMgf1DigestIsRefusedUpFrontOnSoftHsm2() throws Exception {
        // SoftHSM2 2.6.1 takes PSS only with MGF1 over the message digest, combined or raw mechanism alike
        // (CKR_ARGUMENTS_BAD at C_SignInit). The quirk table knows, so P11J refuses at init, naming the quirk,
        // for signing and verifying alike, instead of failing later at sign/verify.
        PSSParameterSpec mixed = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA1, 32, 1);
        Signature s = Signature.getInstance("RSASSA-PSS", provider);
        s.setParameter(mixed);
        assertThatThrownBy(() -> s.initSign(TOKEN.get(Kind.RSA).getPrivate())).isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("pss-mgf1-equals-hash").cause().isInstanceOf(InvalidAlgorithmParameterException.class);

        Signature v = Signature.getInstance("RSASSA-PSS", provider);
        v.initVerify(SOFTWARE.get(Kind.RSA).getPublic());
        assertThatThrownBy(() -> v.setParameter(mixed)).isInstanceOf(InvalidAlgorithmParameterException.class)
                .hasMessageContaining("SHA-1");
        // the same parameters with MGF1 over SHA-256 still work on the same instance
        v.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
    }

    @Test
    void wrongStateIsSignatureException() throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSA", provider);
        assertThatThrownBy(() -> s.update(new byte[1])).isInstanceOf(SignatureException.class);
        assertThatThrownBy(s::sign).isInstanceOf(SignatureException.class);
        assertThatThrownBy(() -> s.verify(new byte[8])).isInstanceOf(SignatureException.class);
        s.initVerify(TOKEN.get(Kind.P256).getPublic());
        assertThatThrownBy(s::sign).isInstanceOf(SignatureException.class);
        s.initSign(TOKEN.get(Kind.P256).getPrivate());
        assertThatThrownBy(() -> s.verify(new byte[8])).isInstanceOf(SignatureException.class);
        Signature pss = Signature.getInstance("RSASSA-PSS", provider);
        pss.initSign(TOKEN.get(Kind.RSA).getPrivate());
        assertThatThrownBy(pss::sign).isInstanceOf(SignatureException.class).hasMessageContaining("Parameters required");
    }

    @Test
    void rawInputTooLongIsRefusedAndTheEngineRecovers() throws Exception {
        Signature rsa = Signature.getInstance("NONEwithRSA", provider);
        rsa.initSign(TOKEN.get(Kind.RSA).getPrivate());
        rsa.update(new byte[245]); // 2048-bit key: k - 11 bytes at most
        assertThatThrownBy(() -> rsa.update(new byte[1])).isInstanceOf(SignatureException.class).hasMessageContaining("245");
        assertThatThrownBy(rsa::sign).as("the message lost a part: not signed").isInstanceOf(SignatureException.class);
        rsa.update(new byte[245]);
        assertThat(rsa.sign()).as("the next message is fine").hasSize(256);

        Signature ecdsa = Signature.getInstance("NONEwithECDSA", provider);
        ecdsa.initSign(TOKEN.get(Kind.P256).getPrivate());
        assertThatThrownBy(() -> ecdsa.update(new byte[65])).isInstanceOf(SignatureException.class);
        assertThatThrownBy(ecdsa::sign).isInstanceOf(SignatureException.class);
        ecdsa.update(new byte[64]);
        assertThat(ecdsa.sign()).isNotEmpty();
    }

    @Test
    void malformedSignaturesAreFalseNotExceptions() throws Exception {
        byte[][] garbage = {new byte[0], new byte[1], {0x30, 0x00}, {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00},
            new byte[64], new byte[300]};
        for (String algorithm : new String[] {"SHA256withECDSA", "SHA256withECDSAinP1363Format", "SHA256withRSA",
            "RSASSA-PSS", "Ed25519"}) {
            KeyPair kp = TOKEN.get(SignatureFixtures.kindFor(algorithm));
            Signature v = SignatureFixtures.p11j(algorithm, provider);
            v.initVerify(kp.getPublic());
            for (byte[] g : garbage) {
                v.update(new byte[10]);
                boolean verified;
                try {
                    verified = v.verify(g);
                } catch (SignatureException e) {
                    verified = false; // allowed by the JCA; P11J answers false where it can
                }
                assertThat(verified).as("%s with %d garbage bytes", algorithm, g.length).isFalse();
            }
            // And an honest signature still verifies on the same engine.
            Signature s = SignatureFixtures.p11j(algorithm, provider);
            s.initSign(kp.getPrivate());
            s.update(new byte[10]);
            byte[] sig = s.sign();
            v.update(new byte[10]);
            assertThat(v.verify(sig)).isTrue();
        }
    }

    @Test
    void aKeyThatVanishedIsASignatureExceptionWithTheTokensReason() throws Exception {
        KeyPair kp = Kind.P256.generate(provider);
        P11Key key = (P11Key) kp.getPrivate();
        key.context().execute(s -> {
            s.destroyObject(key.handle(s));
            return null;
        });
        Signature s = Signature.getInstance("SHA256withECDSA", provider);
        s.initSign(kp.getPrivate());
        s.update(new byte[10]);
        assertThatThrownBy(s::sign).isInstanceOf(SignatureException.class)
                .hasMessageContaining("SHA256withECDSA").hasMessageContaining("CKR_")
                .cause().isInstanceOf(Pkcs11Exception.class);
    }

    @Test
    void aFlippedBitIsFalseForEveryKind() throws Exception {
        for (Kind k : TOKEN.keySet()) {
            String algorithm = k == Kind.RSA ? "SHA256withRSA" : k == Kind.P256 ? "SHA256withECDSA" : k.algorithm;
            Signature s = Signature.getInstance(algorithm, provider);
            s.initSign(TOKEN.get(k).getPrivate());
            s.update(new byte[33]);
            byte[] sig = s.sign();
            for (int bit = 0; bit < sig.length * 8; bit += 61) {
                byte[] bad = Arrays.copyOf(sig, sig.length);
                bad[bit / 8] ^= (byte) (1 << (bit % 8));
                Signature v = Signature.getInstance(algorithm, provider);
                v.initVerify(TOKEN.get(k).getPublic());
                v.update(new byte[33]);
                assertThat(v.verify(bad)).as("%s, bit %d flipped", algorithm, bit).isFalse();
            }
        }
    }
}
