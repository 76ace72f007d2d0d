// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.P11jKey;
import io.p11j.provider.P11jKeyUnwrapSpec;
import io.p11j.provider.P11jProvider;
import io.p11j.provider.key.P11RsaPrivateKey;
import io.p11j.provider.key.P11RsaPublicKey;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.SecretKey;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which keys the RSA ciphers take and what they refuse, key wrapping on the token, and bad input.
 * An RSA key pair made in software is imported onto the token (so SunJCE can check both ends); AES
 * keys of known value are made with the wrapper, extractable where they are to be wrapped.
 */
@ExtendWith(SoftHsmExtension.class)
class RsaCipherKeysIT {

    private static final String LABEL = "rsa-keys";
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    static Path dir;
    static Provider provider;
    static RsaTokenKeys keys;
    static KeyPair soft;
    static P11RsaPrivateKey tokenPrivate;
    static P11RsaPublicKey tokenPublic;

    @BeforeAll
    static void configure(TestToken t) throws Exception {
        keys = RsaTokenKeys.open(t);
        provider = ProviderFixture.provider(t, dir);
        soft = RsaTokenKeys.softwarePair(2048);
        keys.importPair(soft, LABEL);
        tokenPrivate = RsaTokenKeys.privateKey(provider, LABEL);
        tokenPublic = RsaTokenKeys.publicKey(tokenPrivate, LABEL);
    }

    @AfterAll
    static void close() throws Exception {
        keys.close();
    }

    private static Cipher p11j(String transformation) throws Exception {
        return Cipher.getInstance(transformation, provider);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    // ================================================================ keys

    @Test
    void wrongKeysAreInvalidKeys() throws Exception {
        Cipher c = p11j("RSA/ECB/PKCS1Padding");
        assertThatThrownBy(() -> c.init(Cipher.DECRYPT_MODE, tokenPublic)).isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("not with a public key");
        assertThatThrownBy(() -> c.init(Cipher.DECRYPT_MODE, soft.getPublic())).isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> c.init(Cipher.DECRYPT_MODE, soft.getPrivate())).isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("software keys belong to the JDK's providers");
        assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, tokenPrivate)).isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("this is a private key");
        assertThatThrownBy(() -> c.init(Cipher.UNWRAP_MODE, soft.getPublic())).isInstanceOf(InvalidKeyException.class);
        KeyPair ec = KeyPairGenerator.getInstance("EC", provider).generateKeyPair();
        assertThatThrownBy(() -> c.init(Cipher.DECRYPT_MODE, ec.getPrivate())).isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("needs an RSA key");
        assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, ec.getPublic())).isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(new byte[16], "AES")))
                .isInstanceOf(InvalidKeyException.class);
    }

    @Test
    void aWrongPrivateKeyDecryptsToABadPadding() throws Exception {
        KeyPair other = KeyPairGenerator.getInstance("RSA", provider).generateKeyPair();
        Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding", "SunJCE");
        enc.init(Cipher.ENCRYPT_MODE, soft.getPublic());
        byte[] ct = enc.doFinal("secret".getBytes());
        Cipher dec = p11j("RSA/ECB/PKCS1Padding");
        dec.init(Cipher.DECRYPT_MODE, other.getPrivate());
        assertThatThrownBy(() -> dec.doFinal(ct)).isInstanceOf(BadPaddingException.class).hasMessage("RSA decryption failed")
                .hasCauseInstanceOf(Pkcs11Exception.class);
        // The same engine decrypts the next message with the right key.
        dec.init(Cipher.DECRYPT_MODE, tokenPrivate);
        assertThat(dec.doFinal(ct)).isEqualTo("secret".getBytes());
    }

    @Test
    void aKeyThatAlwaysAuthenticatesDecryptsWithItsPin(TestToken token) throws Exception {
        KeyPair pair = RsaTokenKeys.softwarePair(2048);
        keys.importPrivate((java.security.interfaces.RSAPrivateCrtKey) pair.getPrivate(), "always", true);
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS11-URI", provider);
        ks.load(null, null);
        P11RsaPrivateKey key = (P11RsaPrivateKey) ks.getKey("always", token.userPinChars());
        assertThat(key.alwaysAuthenticate()).isTrue();
        // SoftHSM2 enforces the attribute: without the context-specific login each C_Decrypt would fail.
        for (String t : new String[] {"RSA/ECB/PKCS1Padding", "RSA/ECB/OAEPWithSHA-256AndMGF1Padding"}) {
            Cipher e = Cipher.getInstance(t, "SunJCE");
            e.init(Cipher.ENCRYPT_MODE, pair.getPublic());
            byte[] ct = e.doFinal("twice".getBytes());
            Cipher d = p11j(t);
            d.init(Cipher.DECRYPT_MODE, key);
            assertThat(d.doFinal(ct)).as(t).isEqualTo("twice".getBytes());
            assertThat(d.doFinal(ct)).as(t + ", a login for each").isEqualTo("twice".getBytes());
        }
        key.contextPin(null);
        assertThatThrownBy(() -> p11j("RSA/ECB/PKCS1Padding").init(Cipher.DECRYPT_MODE, key))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("CKA_ALWAYS_AUTHENTICATE");
    }

    @Test
    void supportsParameterFollowsTheSignatureServicesRule() throws Exception {
        Provider.Service s = provider.getService("Cipher", "RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
        assertThat(s.supportsParameter(tokenPrivate)).isTrue();
        assertThat(s.supportsParameter(tokenPublic)).isTrue();
        assertThat(s.supportsParameter(soft.getPublic())).as("a software public key, on a configured provider").isTrue();
        assertThat(s.supportsParameter(soft.getPrivate())).as("a software private key").isFalse();
        assertThat(s.supportsParameter(KeyPairGenerator.getInstance("EC", provider).generateKeyPair().getPrivate())).isFalse();
        Provider unconfigured = new P11jProvider();
        Provider.Service u = unconfigured.getService("Cipher", "RSA/ECB/PKCS1Padding");
        assertThat(u.supportsParameter(tokenPrivate)).isTrue();
        assertThat(u.supportsParameter(soft.getPublic())).as("no token to import into: step aside").isFalse();
        // Asked by name, the unconfigured provider still encrypts with a software key (in software) ...
        Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding", unconfigured);
        enc.init(Cipher.ENCRYPT_MODE, soft.getPublic());
        byte[] ct = enc.doFinal("hello".getBytes());
        // ... and decrypts with a token key on that key's own token.
        Cipher dec = Cipher.getInstance("RSA/ECB/PKCS1Padding", unconfigured);
        dec.init(Cipher.DECRYPT_MODE, tokenPrivate);
        assertThat(dec.doFinal(ct)).isEqualTo("hello".getBytes());
    }

    @Test
    void delayedSelectionFindsP11jForATokenKeyAndLeavesSoftwareKeysToSunJce() throws Exception {
        Security.addProvider(provider);
        try {
            Cipher dec = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
            dec.init(Cipher.DECRYPT_MODE, tokenPrivate);
            assertThat(dec.getProvider()).isSameAs(provider);
            Cipher enc = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
            enc.init(Cipher.ENCRYPT_MODE, soft.getPublic());
            assertThat(enc.getProvider().getName()).isEqualTo("SunJCE");
            assertThat(dec.doFinal(enc.doFinal("x".getBytes()))).isEqualTo("x".getBytes());
        } finally {
            Security.removeProvider(provider.getName());
        }
    }

    // ================================================================ parameters and data

    @Test
    void parametersTheProviderCannotUseAreRefused() throws Exception {
        Cipher pkcs1 = p11j("RSA/ECB/PKCS1Padding");
        assertThatThrownBy(() -> pkcs1.init(Cipher.DECRYPT_MODE, tokenPrivate, OAEPParameterSpec.DEFAULT))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("takes no parameters");
        Cipher oaep = p11j("RSA/ECB/OAEPPadding");
        assertThatThrownBy(() -> oaep.init(Cipher.DECRYPT_MODE, tokenPrivate, new OAEPParameterSpec("SHA3-256", "MGF1",
                MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT))).isInstanceOf(InvalidAlgorithmParameterException.class)
                .hasMessageContaining("SHA3-256");
        assertThatThrownBy(() -> oaep.init(Cipher.DECRYPT_MODE, tokenPrivate, new OAEPParameterSpec("SHA-256", "MGF2",
                MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT))).isInstanceOf(InvalidAlgorithmParameterException.class)
                .hasMessageContaining("MGF2");
        assertThatThrownBy(() -> oaep.init(Cipher.DECRYPT_MODE, tokenPrivate, new javax.crypto.spec.IvParameterSpec(new byte[16])))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("OAEPParameterSpec");
        assertThatThrownBy(() -> oaep.init(Cipher.DECRYPT_MODE, tokenPrivate, P11jKeyUnwrapSpec.builder(null).build()))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("UNWRAP_MODE only");
        assertThatThrownBy(() -> Cipher.getInstance("RSA/CBC/PKCS1Padding", provider))
                .isInstanceOf(java.security.NoSuchAlgorithmException.class);
        assertThatThrownBy(() -> Cipher.getInstance("RSA/ECB/ISO10126Padding", provider))
                .isInstanceOf(javax.crypto.NoSuchPaddingException.class);
    }

    @Test
    void inputTheKeyCannotTakeIsRefused() throws Exception {
        Cipher enc = p11j("RSA/ECB/PKCS1Padding");
        enc.init(Cipher.ENCRYPT_MODE, tokenPublic);
        enc.update(random(200));
        assertThatThrownBy(() -> enc.doFinal(random(46))).isInstanceOf(IllegalBlockSizeException.class)
                .hasMessageContaining("at most 245 bytes");
        assertThat(enc.doFinal(random(245))).as("usable again after the failure").hasSize(256);
        enc.update(random(1000)); // more than a block: buffered no further
        assertThatThrownBy(() -> enc.doFinal()).isInstanceOf(IllegalBlockSizeException.class);

        Cipher raw = p11j("RSA/ECB/NoPadding");
        raw.init(Cipher.ENCRYPT_MODE, soft.getPublic());
        byte[] aboveModulus = new byte[256];
        Arrays.fill(aboveModulus, (byte) 0xff);
        assertThatThrownBy(() -> raw.doFinal(aboveModulus)).isInstanceOf(BadPaddingException.class)
                .hasMessageContaining("not smaller than the modulus");

        Cipher dec = p11j("RSA/ECB/PKCS1Padding");
        dec.init(Cipher.DECRYPT_MODE, tokenPrivate);
        assertThatThrownBy(() -> dec.doFinal(random(257))).isInstanceOf(IllegalBlockSizeException.class);
        assertThatThrownBy(() -> dec.doFinal(random(255))).isInstanceOf(BadPaddingException.class)
                .hasMessage("RSA decryption failed");
        assertThatThrownBy(() -> dec.doFinal(new byte[0])).isInstanceOf(BadPaddingException.class)
                .hasMessage("RSA decryption failed");
        byte[] garbage = random(256);
        garbage[0] = 0x00;
        assertThatThrownBy(() -> dec.doFinal(garbage)).isInstanceOf(BadPaddingException.class)
                .hasMessage("RSA decryption failed").hasCauseInstanceOf(Pkcs11Exception.class);

        Cipher oaepDec = p11j("RSA/ECB/OAEPWithSHA-512AndMGF1Padding");
        oaepDec.init(Cipher.DECRYPT_MODE, tokenPrivate);
        assertThatThrownBy(() -> oaepDec.doFinal(garbage)).isInstanceOf(BadPaddingException.class)
                .hasMessage("RSA decryption failed");

        Cipher wrapper = p11j("RSA/ECB/PKCS1Padding");
        wrapper.init(Cipher.WRAP_MODE, tokenPublic);
        assertThatThrownBy(() -> wrapper.doFinal(new byte[1])).isInstanceOf(IllegalStateException.class);
    }

    // ================================================================ wrap and unwrap

    @Test
    void wrapsAnExtractableTokenKeyForSunJceToDecrypt() throws Exception {
        byte[] value = random(32);
        keys.aes(value, "wrap-me", true);
        Key aes = RsaTokenKeys.key(provider, "wrap-me");
        for (Key wrappingKey : new Key[] {tokenPublic, soft.getPublic()}) {
            Cipher w = p11j("RSA/ECB/PKCS1Padding");
            w.init(Cipher.WRAP_MODE, wrappingKey);
            Cipher d = Cipher.getInstance("RSA/ECB/PKCS1Padding", "SunJCE");
            d.init(Cipher.DECRYPT_MODE, soft.getPrivate());
            assertThat(d.doFinal(w.wrap(aes))).as("PKCS#1 under " + wrappingKey.getClass().getSimpleName()).isEqualTo(value);

            Cipher wo = p11j("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
            wo.init(Cipher.WRAP_MODE, wrappingKey);
            Cipher dO = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding", "SunJCE");
            dO.init(Cipher.DECRYPT_MODE, soft.getPrivate());
            assertThat(dO.doFinal(wo.wrap(aes))).as("OAEP under " + wrappingKey.getClass().getSimpleName()).isEqualTo(value);
        }
        Cipher sha256 = p11j("RSA/ECB/OAEPPadding");
        assertThatThrownBy(() -> sha256.init(Cipher.WRAP_MODE, tokenPublic, new OAEPParameterSpec("SHA-256", "MGF1",
                MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT))).isInstanceOf(InvalidAlgorithmParameterException.class)
                .hasMessageContaining("oaep-sha1-only");

        Cipher w = p11j("RSA/ECB/PKCS1Padding");
        w.init(Cipher.WRAP_MODE, tokenPublic);
        keys.aes(random(32), "keep-me", false);
        Key notExtractable = RsaTokenKeys.key(provider, "keep-me");
        assertThatThrownBy(() -> w.wrap(notExtractable)).isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("not extractable");
        assertThatThrownBy(() -> w.wrap(new SecretKeySpec(value, "AES"))).isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("C_WrapKey");
    }

    @Test
    void unwrapsOntoTheTokenAsASensitiveKey() throws Exception {
        byte[] block = random(16);
        int n = 0;
        for (String t : new String[] {"RSA/ECB/PKCS1Padding", "RSA/ECB/OAEPPadding", "RSA/ECB/OAEPWithSHA-1AndMGF1Padding"}) {
            byte[] value = random(32);
            Cipher enc = Cipher.getInstance(t, "SunJCE");
            enc.init(Cipher.ENCRYPT_MODE, soft.getPublic());
            byte[] wrapped = enc.doFinal(value);
            String label = "unwrapped-" + n++;
            Cipher u = p11j(t);
            u.init(Cipher.UNWRAP_MODE, tokenPrivate, P11jKeyUnwrapSpec.builder(t.contains("OAEP") ? OAEPParameterSpec.DEFAULT : null)
                    .label(label).tokenObject(true).build());
            Key key = u.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
            assertThat(key).isInstanceOf(SecretKey.class);
            assertThat(key.getAlgorithm()).isEqualTo("AES");
            assertThat(key.getEncoded()).as("the value stays on the token").isNull();
            P11jKey p = (P11jKey) key;
            assertThat(p.isSensitive()).isTrue();
            assertThat(p.isExtractable()).isFalse();
            assertThat(p.isTokenObject()).isTrue();
            assertThat(p.label()).isEqualTo(label);
            Cipher aes = Cipher.getInstance("AES/ECB/NoPadding", "SunJCE");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(value, "AES"));
            assertThat(keys.aesBlock(label, block)).as(t).isEqualTo(aes.doFinal(block));

            wrapped[wrapped.length - 1] ^= 1;
            assertThatThrownBy(() -> u.unwrap(wrapped, "AES", Cipher.SECRET_KEY)).as(t).isInstanceOf(InvalidKeyException.class)
                    .hasMessageContaining("does not unwrap");
        }
        Cipher session = p11j("RSA/ECB/PKCS1Padding");
        session.init(Cipher.UNWRAP_MODE, tokenPrivate);
        Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding", "SunJCE");
        enc.init(Cipher.ENCRYPT_MODE, soft.getPublic());
        P11jKey sessionKey = (P11jKey) session.unwrap(enc.doFinal(random(16)), "AES", Cipher.SECRET_KEY);
        assertThat(sessionKey.isTokenObject()).as("the configured default: a session object").isFalse();
        assertThat(sessionKey.isSensitive()).isTrue();

        Cipher sha256 = p11j("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
        assertThatThrownBy(() -> sha256.init(Cipher.UNWRAP_MODE, tokenPrivate)).isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("would put the key in the JVM")
                .hasCauseInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> sha256.init(Cipher.UNWRAP_MODE, tokenPrivate, P11jKeyUnwrapSpec.builder(new OAEPParameterSpec(
                "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT)).build()))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("would put the key in the JVM");
    }

    @Test
    void aPairFromTheKeyPairGeneratorWrapsAndUnwraps() throws Exception {
        // The generator gives RSA pairs CKA_WRAP/CKA_UNWRAP, so its keys can carry keys as well as sign.
        java.security.KeyPairGenerator kpg = java.security.KeyPairGenerator.getInstance("RSA", provider);
        kpg.initialize(2048);
        KeyPair pair = kpg.generateKeyPair();
        byte[] value = random(32);
        keys.aes(value, "carried", true);
        Key aes = RsaTokenKeys.key(provider, "carried");
        Cipher w = p11j("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
        w.init(Cipher.WRAP_MODE, pair.getPublic());
        byte[] wrapped = w.wrap(aes);
        Cipher u = p11j("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
        u.init(Cipher.UNWRAP_MODE, pair.getPrivate(), P11jKeyUnwrapSpec.builder(OAEPParameterSpec.DEFAULT)
                .label("carried-back").tokenObject(true).build());
        P11jKey back = (P11jKey) u.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
        assertThat(back.isSensitive()).isTrue();
        byte[] block = random(16);
        Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding", "SunJCE");
        ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(value, "AES"));
        assertThat(keys.aesBlock("carried-back", block)).isEqualTo(ecb.doFinal(block));
    }
}
