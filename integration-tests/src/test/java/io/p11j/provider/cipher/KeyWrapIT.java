// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.P11jKey;
import io.p11j.provider.P11jKeyGenParameterSpec;
import io.p11j.provider.P11jKeyUnwrapSpec;
import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.Template;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Random;

import static io.p11j.provider.cipher.CipherFixtures.bytes;
import static io.p11j.sys.Pkcs11Constants.CKK_AES;
import static io.p11j.sys.Pkcs11Constants.CKO_SECRET_KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code WRAP_MODE}/{@code UNWRAP_MODE} on the token ({@code C_WrapKey}/{@code C_UnwrapKey}): wrapped
 * bytes are SunJCE's for the same keys, unwrapped keys work, stay sensitive and carry the attributes
 * asked for; what may not be wrapped is refused, and a damaged blob leaves nothing on the token.
 */
@ExtendWith(SoftHsmExtension.class)
class KeyWrapIT {

    @TempDir
    static Path dir;
    static Provider provider;
    static TokenContext context;

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        context = CipherFixtures.context(provider);
    }

    @Test
    void aesKeyWrapAndPadMatchSunJceAndUnwrapToAWorkingSensitiveKey() throws Exception {
        Random r = new Random(23);
        for (String alg : new String[] {"AESWrap", "AESWrapPad", "AES/KW/NoPadding"}) {
            byte[] kek = bytes(r, 32);
            byte[] value = bytes(r, alg.equals("AESWrapPad") ? 24 : 16);
            P11SecretKey wrapping = CipherFixtures.aes(context, kek);
            P11SecretKey toWrap = CipherFixtures.key(context, CKK_AES, "AES", value, true, null);

            Cipher w = Cipher.getInstance(alg, provider);
            w.init(Cipher.WRAP_MODE, wrapping);
            byte[] wrapped = w.wrap(toWrap);
            Cipher jdk = Cipher.getInstance(alg, "SunJCE");
            jdk.init(Cipher.WRAP_MODE, new SecretKeySpec(kek, "AES"));
            assertThat(wrapped).as(alg).isEqualTo(jdk.wrap(new SecretKeySpec(value, "AES")));

            String label = "unwrapped " + alg;
            Cipher u = Cipher.getInstance(alg, provider);
            u.init(Cipher.UNWRAP_MODE, wrapping, P11jKeyUnwrapSpec.builder(null).label(label).tokenObject(true).build());
            Key unwrapped = u.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
            assertThat(unwrapped).isInstanceOf(P11SecretKey.class).isInstanceOf(SecretKey.class);
            P11jKey p = (P11jKey) unwrapped;
            assertThat(p.isSensitive()).isTrue();
            assertThat(p.isExtractable()).isFalse();
            assertThat(p.isTokenObject()).isTrue();
            assertThat(p.label()).isEqualTo(label);
            assertThat(unwrapped.getEncoded()).isNull();
            sameAsSoftware((P11SecretKey) unwrapped, value);

            // Not extractable unless asked: it cannot be wrapped again.
            Cipher again = Cipher.getInstance(alg, provider);
            again.init(Cipher.WRAP_MODE, wrapping);
            assertThatThrownBy(() -> again.wrap(unwrapped)).isInstanceOf(InvalidKeyException.class)
                    .hasMessageContaining("not extractable");
        }
    }

    /** The token key encrypts as SunJCE does with {@code value}. */
    private static void sameAsSoftware(P11SecretKey key, byte[] value) throws Exception {
        IvParameterSpec iv = new IvParameterSpec(new byte[16]);
        Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding", provider);
        c.init(Cipher.ENCRYPT_MODE, key, iv);
        Cipher jdk = Cipher.getInstance("AES/CBC/PKCS5Padding", "SunJCE");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(value, "AES"), iv);
        assertThat(c.doFinal(new byte[] {1, 2, 3})).isEqualTo(jdk.doFinal(new byte[] {1, 2, 3}));
    }

    @Test
    void anExtractableUnwrapStaysSensitiveAndWrapsAgain() throws Exception {
        Random r = new Random(29);
        byte[] value = bytes(r, 32);
        P11SecretKey kek = CipherFixtures.aes(context, bytes(r, 16));
        Cipher w = Cipher.getInstance("AESWrap", provider);
        w.init(Cipher.WRAP_MODE, kek);
        byte[] wrapped = w.wrap(CipherFixtures.key(context, CKK_AES, "AES", value, true, null));
        Cipher u = Cipher.getInstance("AESWrap", provider);
        u.init(Cipher.UNWRAP_MODE, kek, P11jKeyUnwrapSpec.builder(null).extractable(true).build());
        P11SecretKey k = (P11SecretKey) u.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
        assertThat(k.isSensitive()).isTrue();
        assertThat(k.isExtractable()).isTrue();
        assertThat(k.isTokenObject()).as("the configured default: session objects").isFalse();
        w.init(Cipher.WRAP_MODE, kek);
        assertThat(w.wrap(k)).isEqualTo(wrapped);
    }

    @Test
    void refusals() throws Exception {
        Random r = new Random(31);
        byte[] kekValue = bytes(r, 16);
        P11SecretKey kek = CipherFixtures.aes(context, kekValue);
        P11SecretKey fixed = CipherFixtures.aes(context, bytes(r, 16)); // sensitive, not extractable
        Cipher w = Cipher.getInstance("AESWrap", provider);
        w.init(Cipher.WRAP_MODE, kek);
        assertThatThrownBy(() -> w.wrap(fixed)).isInstanceOf(InvalidKeyException.class).hasMessageContaining("extractable");
        assertThatThrownBy(() -> w.wrap(new SecretKeySpec(new byte[16], "AES"))).isInstanceOf(InvalidKeyException.class);
        // Key wrap mechanisms do not encrypt data on SoftHSM2 (no CKF_ENCRYPT): said at init.
        assertThatThrownBy(() -> w.init(Cipher.ENCRYPT_MODE, kek)).isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("CKF_ENCRYPT");
        // The token wraps with CKM_AES_CBC but neither unwraps with it nor wraps with GCM.
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", provider);
        assertThatThrownBy(() -> gcm.init(Cipher.WRAP_MODE, kek)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("CKF_WRAP");
        Cipher cbc = Cipher.getInstance("AES/CBC/NoPadding", provider);
        assertThatThrownBy(() -> cbc.init(Cipher.UNWRAP_MODE, kek, new IvParameterSpec(new byte[16])))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("CKF_UNWRAP");
        // A P11jKeyUnwrapSpec is for unwrapping.
        assertThatThrownBy(() -> cbc.init(Cipher.ENCRYPT_MODE, kek, P11jKeyUnwrapSpec.builder(null).build()))
                .isInstanceOf(java.security.InvalidAlgorithmParameterException.class);
    }

    @Test
    void cbcWrapsWhatSunJceEncrypts() throws Exception {
        Random r = new Random(37);
        byte[] kekValue = bytes(r, 16);
        byte[] value = bytes(r, 32);
        P11SecretKey kek = CipherFixtures.aes(context, kekValue);
        IvParameterSpec iv = new IvParameterSpec(bytes(r, 16));
        Cipher cbc = Cipher.getInstance("AES/CBC/NoPadding", provider);
        cbc.init(Cipher.WRAP_MODE, kek, iv);
        byte[] wrapped = cbc.wrap(CipherFixtures.key(context, CKK_AES, "AES", value, true, null));
        Cipher jdk = Cipher.getInstance("AES/CBC/NoPadding", "SunJCE");
        jdk.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kekValue, "AES"), iv);
        assertThat(jdk.doFinal(wrapped)).isEqualTo(value);
    }

    @Test
    void aTamperedBlobFailsAndLeavesNoObject() throws Exception {
        Random r = new Random(41);
        P11SecretKey kek = CipherFixtures.aes(context, bytes(r, 32));
        Cipher w = Cipher.getInstance("AESWrapPad", provider);
        w.init(Cipher.WRAP_MODE, kek);
        P11SecretKey toWrap = CipherFixtures.key(context, CKK_AES, "AES", bytes(r, 16), true, null);
        byte[] wrapped = w.wrap(toWrap);
        int before = secretKeyCount();
        for (int i : new int[] {0, 7, wrapped.length - 1}) {
            byte[] bad = wrapped.clone();
            bad[i] ^= 0x40;
            Cipher u = Cipher.getInstance("AESWrapPad", provider);
            u.init(Cipher.UNWRAP_MODE, kek, P11jKeyUnwrapSpec.builder(null).label("never").tokenObject(true).build());
            assertThatThrownBy(() -> u.unwrap(bad, "AES", Cipher.SECRET_KEY)).isInstanceOf(InvalidKeyException.class)
                    .hasCauseInstanceOf(io.p11j.sys.Pkcs11Exception.class);
        }
        Cipher u = Cipher.getInstance("AESWrapPad", provider);
        u.init(Cipher.UNWRAP_MODE, kek);
        assertThatThrownBy(() -> u.unwrap(new byte[] {1, 2, 3}, "AES", Cipher.SECRET_KEY)).isInstanceOf(InvalidKeyException.class);
        assertThat(secretKeyCount()).isEqualTo(before);
        java.util.List<Long> never = context.execute(s -> s.findAll(Template.builder().label("never").build()));
        assertThat(never).isEmpty();
        java.lang.ref.Reference.reachabilityFence(toWrap); // a session key: destroyed once unreachable
        java.lang.ref.Reference.reachabilityFence(kek);
    }

    private static int secretKeyCount() throws Exception {
        return context.execute(s -> s.findAll(Template.builder().objectClass(CKO_SECRET_KEY).build()).size());
    }

    @Test
    void anExtractablePrivateKeyWrapsWithKeyWrapPadAndSignsAfterUnwrap() throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", provider);
        kpg.initialize(P11jKeyGenParameterSpec.builder(new ECGenParameterSpec("secp256r1")).extractable(true).build());
        KeyPair pair = kpg.generateKeyPair();
        P11SecretKey kek = CipherFixtures.aes(context, bytes(new Random(43), 32));
        Cipher w = Cipher.getInstance("AESWrapPad", provider);
        w.init(Cipher.WRAP_MODE, kek);
        byte[] wrapped = w.wrap(pair.getPrivate());
        assertThat(wrapped.length).isGreaterThan(64);

        Cipher u = Cipher.getInstance("AESWrapPad", provider);
        u.init(Cipher.UNWRAP_MODE, kek, P11jKeyUnwrapSpec.builder(null).label("unwrapped ec").build());
        PrivateKey back = (PrivateKey) u.unwrap(wrapped, "EC", Cipher.PRIVATE_KEY);
        assertThat(((P11jKey) back).isSensitive()).isTrue();
        assertThat(((P11jKey) back).label()).isEqualTo("unwrapped ec");
        Signature s = Signature.getInstance("SHA256withECDSA", provider);
        s.initSign(back);
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
        v.initVerify(pair.getPublic());
        v.update(new byte[] {1, 2, 3});
        assertThat(v.verify(sig)).isTrue();
    }

    @Test
    void aGcmSpecInsideTheUnwrapSpecReachesTheCipher() throws Exception {
        // SoftHSM2 cannot unwrap with GCM, so the spec is checked on CBC's IV rule: a wrong IV inside is refused.
        P11SecretKey kek = CipherFixtures.aes(context, bytes(new Random(47), 16));
        Cipher cbc = Cipher.getInstance("AES/CBC/NoPadding", provider);
        assertThatThrownBy(() -> cbc.init(Cipher.WRAP_MODE, kek, P11jKeyUnwrapSpec.builder(new IvParameterSpec(new byte[16])).build()))
                .isInstanceOf(java.security.InvalidAlgorithmParameterException.class);
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", provider);
        assertThatThrownBy(() -> gcm.init(Cipher.UNWRAP_MODE, kek,
                P11jKeyUnwrapSpec.builder(new GCMParameterSpec(128, new byte[12])).build()))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
