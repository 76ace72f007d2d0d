// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keygen;

import io.p11j.provider.P11jKeyGenParameterSpec;
import io.p11j.provider.P11jProvider;
import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.mac.MacAlgorithm;
import io.p11j.provider.token.TokenContext;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.IvParameterSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.spec.ECGenParameterSpec;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * P11J's {@code KeyGenerator} on SoftHSM2: the services the token's mechanisms allow; AES, DESede and
 * HMAC keys of each size, default sizes (HMAC: SunJCE's), the objects' attributes as the token has
 * them ({@code CKA_TOKEN}, {@code CKA_SENSITIVE}, {@code CKA_EXTRACTABLE}, {@code CKA_LOCAL},
 * {@code CKA_VALUE_LEN}, key type), token or session objects by configuration and by
 * {@link P11jKeyGenParameterSpec}, keys usable with P11J's {@code Mac}, session keys destroyed once
 * unreachable, and bad sizes and parameters refused as the JCA documents.
 */
@ExtendWith(SoftHsmExtension.class)
class KeyGeneratorIT {

    @TempDir
    static Path dir;
    static Provider provider;
    static TokenContext context;
    /** Kept for the class's life: a provider collected as garbage closes its sessions with a warning. */
    static Provider tokenKeys;

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        context = ((P11SecretKey) KeyGenerator.getInstance("AES", provider).generateKey()).context();
    }

    /** The key's attributes as the token has them (not as the provider remembers them). */
    static AttributeValues onToken(SecretKey key) throws Exception {
        P11SecretKey k = (P11SecretKey) key;
        return k.context().execute(s -> s.getAttributes(k.handle(s), AttributeType.CLASS, AttributeType.KEY_TYPE,
                AttributeType.TOKEN, AttributeType.SENSITIVE, AttributeType.EXTRACTABLE, AttributeType.LOCAL,
                AttributeType.VALUE_LEN, AttributeType.SIGN, AttributeType.ENCRYPT, AttributeType.LABEL, AttributeType.ID,
                AttributeType.PRIVATE, AttributeType.NEVER_EXTRACTABLE, AttributeType.KEY_GEN_MECHANISM));
    }

    @Test
    void servicesFollowTheTokensMechanisms() throws Exception {
        assertThat(provider.getService("KeyGenerator", "AES") != null).isEqualTo(context.supports(CKM_AES_KEY_GEN));
        assertThat(provider.getService("KeyGenerator", "DESede") != null).isEqualTo(context.supports(CKM_DES3_KEY_GEN));
        assertThat(KeyGenerator.getInstance("TripleDES", provider).getAlgorithm()).isEqualTo("TripleDES");
        assertThat(KeyGenerator.getInstance("2.16.840.1.101.3.4.1", provider).getProvider()).isSameAs(provider);
        for (MacAlgorithm a : MacAlgorithm.values()) {
            if (a.isHmac()) {
                assertThat(provider.getService("KeyGenerator", a.jcaName()) != null).as(a.jcaName())
                        .isEqualTo(context.supports(a.mechanism()));
            }
        }
        assertThatThrownBy(() -> KeyGenerator.getInstance("AES", new P11jProvider())).as("unconfigured: no token to generate on")
                .isInstanceOf(NoSuchAlgorithmException.class);
    }

    @Test
    void aesKeysOfEverySize() throws Exception {
        KeyGenerator g = KeyGenerator.getInstance("AES", provider);
        SecretKey byDefault = g.generateKey();
        assertThat(((P11SecretKey) byDefault).valueLength()).as("default: AES-256").isEqualTo(32);
        for (int bits : new int[] {128, 192, 256}) {
            g.init(bits);
            SecretKey k = g.generateKey();
            assertThat(k).isInstanceOf(P11SecretKey.class);
            assertThat(k.getAlgorithm()).isEqualTo("AES");
            assertThat(k.getEncoded()).isNull();
            assertThat(k.getFormat()).isNull();
            AttributeValues v = onToken(k);
            assertThat(v.require(AttributeType.CLASS)).isEqualTo(CKO_SECRET_KEY);
            assertThat(v.require(AttributeType.KEY_TYPE)).isEqualTo(CKK_AES);
            assertThat(v.require(AttributeType.VALUE_LEN)).isEqualTo(bits / 8L);
            assertThat(((P11SecretKey) k).knownValueLength()).isEqualTo(bits / 8);
            assertSessionKey(v, false);
            assertThat(v.require(AttributeType.ENCRYPT)).isTrue();
            assertThat(v.require(AttributeType.SIGN)).as("for CMAC").isTrue();
            assertThat(v.require(AttributeType.KEY_GEN_MECHANISM)).isEqualTo(CKM_AES_KEY_GEN);
            // usable: an AES-CMAC on the token, the same twice and different for another key
            if (context.supports(CKM_AES_CMAC)) {
                Mac cmac = Mac.getInstance("AESCMAC", provider);
                cmac.init(k);
                byte[] tag = cmac.doFinal(new byte[100]);
                assertThat(cmac.doFinal(new byte[100])).isEqualTo(tag);
                cmac.init(g.generateKey());
                assertThat(cmac.doFinal(new byte[100])).isNotEqualTo(tag);
            }
        }
    }

    /** A fresh key as PKCS#11 says a generated one is: local, private, sensitive, never extractable unless asked. */
    private static void assertSessionKey(AttributeValues v, boolean extractable) {
        assertThat(v.require(AttributeType.TOKEN)).isFalse();
        assertThat(v.require(AttributeType.PRIVATE)).isTrue();
        assertThat(v.require(AttributeType.SENSITIVE)).isTrue();
        assertThat(v.require(AttributeType.EXTRACTABLE)).isEqualTo(extractable);
        assertThat(v.require(AttributeType.NEVER_EXTRACTABLE)).isEqualTo(!extractable);
        assertThat(v.require(AttributeType.LOCAL)).as("generated on the token").isTrue();
    }

    @Test
    void hmacKeysHaveSunJcesDefaultLengthsAndWork() throws Exception {
        for (MacAlgorithm a : MacAlgorithm.values()) {
            if (!a.isHmac() || !context.supports(a.mechanism())) {
                continue;
            }
            KeyGenerator g = KeyGenerator.getInstance(a.jcaName(), provider);
            SecretKey k = g.generateKey();
            int sunDefault = KeyGenerator.getInstance(a.jcaName(), "SunJCE").generateKey().getEncoded().length;
            AttributeValues v = onToken(k);
            assertThat(v.require(AttributeType.VALUE_LEN)).as(a.jcaName() + " default length, as SunJCE").isEqualTo((long) sunDefault);
            assertThat(v.require(AttributeType.KEY_TYPE)).isEqualTo(CKK_GENERIC_SECRET);
            assertThat(v.require(AttributeType.KEY_GEN_MECHANISM)).isEqualTo(CKM_GENERIC_SECRET_KEY_GEN);
            assertThat(k.getAlgorithm()).isEqualTo(a.jcaName());
            assertSessionKey(v, false);

            Mac mac = Mac.getInstance(a.jcaName(), provider);
            mac.init(k);
            byte[] tag = mac.doFinal(new byte[64]);
            assertThat(tag).hasSize(a.macLength());
            assertThat(mac.doFinal(new byte[64])).isEqualTo(tag);
            mac.init(g.generateKey());
            assertThat(mac.doFinal(new byte[64])).as("another key, another tag").isNotEqualTo(tag);

            int maxBytes = a.keyLengths(context).map(r -> r[1]).orElse(128);
            g.init(maxBytes * 8);
            assertThat(onToken(g.generateKey()).require(AttributeType.VALUE_LEN)).isEqualTo((long) maxBytes);
        }
    }

    @Test
    void desedeKeys() throws Exception {
        KeyGenerator g = KeyGenerator.getInstance("DESede", provider);
        SecretKey k = g.generateKey();
        AttributeValues v = onToken(k);
        assertThat(v.require(AttributeType.KEY_TYPE)).isEqualTo(CKK_DES3);
        assertThat(k.getAlgorithm()).isEqualTo("DESede");
        assertThat(((P11SecretKey) k).valueLength()).isEqualTo(24);
        assertSessionKey(v, false);
        g.init(168);
        assertThat(onToken(g.generateKey()).require(AttributeType.KEY_TYPE)).isEqualTo(CKK_DES3);
        if (context.supports(CKM_DES2_KEY_GEN)) {
            g.init(112);
            SecretKey two = g.generateKey();
            assertThat(onToken(two).require(AttributeType.KEY_TYPE)).as("two-key triple DES").isEqualTo(CKK_DES2);
            assertThat(two.getAlgorithm()).isEqualTo("DESede");
        }
    }

    @Test
    void tokenObjectsLabelsIdsAndExtractabilityOnRequest() throws Exception {
        KeyGenerator g = KeyGenerator.getInstance("HmacSHA256", provider);
        byte[] id = {1, 2, 3, 4};
        g.init(P11jKeyGenParameterSpec.builder(384).label("keygen-it hmac").id(id).tokenObject(true).extractable(true).build());
        P11SecretKey k = (P11SecretKey) g.generateKey();
        AttributeValues v = onToken(k);
        assertThat(v.require(AttributeType.TOKEN)).isTrue();
        assertThat(v.require(AttributeType.EXTRACTABLE)).isTrue();
        assertThat(v.require(AttributeType.SENSITIVE)).as("extractable for wrapping, never readable").isTrue();
        assertThat(v.require(AttributeType.LOCAL)).isTrue();
        assertThat(v.require(AttributeType.LABEL)).isEqualTo("keygen-it hmac");
        assertThat(v.require(AttributeType.ID)).isEqualTo(id);
        assertThat(v.require(AttributeType.VALUE_LEN)).isEqualTo(48L);
        assertThat(k.isTokenObject()).isTrue();
        assertThat(k.isExtractable()).isTrue();
        assertThat(k.label()).isEqualTo("keygen-it hmac");
        assertThat(k.uri().toString()).contains("object=keygen-it%20hmac").contains("type=secret-key");
        context.execute(s -> {
            s.destroyObject(k.handle(s));
            return null;
        });

        // Back to the defaults: init(int) forgets the spec.
        g.init(256);
        assertSessionKey(onToken(g.generateKey()), false);
    }

    @Test
    void generatedKeysTokenInTheConfiguration(TestToken token) throws Exception {
        Path conf = dir.resolve("token-keys.conf");
        Files.writeString(conf, "token = " + ProviderFixture.uri(token, dir) + "\ngenerated-keys = token\n");
        tokenKeys = new P11jProvider().configure(conf.toString());
        P11SecretKey k = (P11SecretKey) KeyGenerator.getInstance("AES", tokenKeys).generateKey();
        assertThat(onToken(k).require(AttributeType.TOKEN)).isTrue();
        assertThat(k.isTokenObject()).isTrue();
        KeyGenerator g = KeyGenerator.getInstance("AES", tokenKeys);
        g.init(P11jKeyGenParameterSpec.builder(128).tokenObject(false).build());
        assertThat(onToken(g.generateKey()).require(AttributeType.TOKEN)).as("the spec wins").isFalse();
        k.context().execute(s -> {
            s.destroyObject(k.handle(s));
            return null;
        });
    }

    @Test
    void throwAwaySessionKeysAreDestroyedWhenUnreachable() throws Exception {
        KeyGenerator g = KeyGenerator.getInstance("AES", provider);
        g.init(P11jKeyGenParameterSpec.builder(128).label("keygen-it throw-away").build());
        for (int i = 0; i < 50; i++) {
            g.generateKey();
        }
        Template mine = Template.builder().objectClass(CKO_SECRET_KEY).label("keygen-it throw-away").build();
        long deadline = System.nanoTime() + 10_000_000_000L;
        int left;
        do {
            System.gc();
            Thread.sleep(50);
            left = context.execute(s -> s.findAll(mine).size());
        } while (left > 5 && System.nanoTime() < deadline);
        assertThat(left).as("throw-away keys left after GC").isLessThanOrEqualTo(5);
    }

    @Test
    void badSizesAndParametersAreRefused() throws Exception {
        KeyGenerator aes = KeyGenerator.getInstance("AES", provider);
        assertThatThrownBy(() -> aes.init(100)).isInstanceOf(InvalidParameterException.class).hasMessageContaining("100");
        assertThatThrownBy(() -> aes.init(P11jKeyGenParameterSpec.builder(100).build()))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("100");
        assertThatThrownBy(() -> aes.init(new IvParameterSpec(new byte[16])))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("P11jKeyGenParameterSpec");
        assertThatThrownBy(() -> aes.init(P11jKeyGenParameterSpec.builder(new ECGenParameterSpec("secp256r1")).build()))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        KeyGenerator des = KeyGenerator.getInstance("DESede", provider);
        assertThatThrownBy(() -> des.init(128)).isInstanceOf(InvalidParameterException.class).hasMessageContaining("112 or 168");
        KeyGenerator hmac = KeyGenerator.getInstance("HmacSHA256", provider);
        assertThatThrownBy(() -> hmac.init(32)).isInstanceOf(InvalidParameterException.class).hasMessageContaining("40");
        int min = MacAlgorithm.HMAC_SHA256.keyLengths(context).map(r -> r[0]).orElse(0);
        if (min > 16) {
            assertThatThrownBy(() -> hmac.init(128)).as("shorter than the token's CKM_SHA256_HMAC takes")
                    .isInstanceOf(InvalidParameterException.class).hasMessageContaining("CKM_SHA256_HMAC");
        }
        // A refused init keeps what was set before.
        assertThat(((P11SecretKey) hmac.generateKey()).valueLength()).isEqualTo(32);
    }
}
