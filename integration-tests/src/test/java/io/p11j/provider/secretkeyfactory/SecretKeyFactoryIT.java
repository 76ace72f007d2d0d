// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.secretkeyfactory;

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
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.DESedeKeySpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.spec.InvalidKeySpecException;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * P11J's {@code SecretKeyFactory} on SoftHSM2: a known value imported onto the token computes the
 * same MAC as SunJCE (Bouncy Castle for AES-CMAC) with that value, for every MAC the token has; the
 * object is a sensitive, non-extractable session object (a token object with
 * {@code generated-keys = token}) whose value P11J never gives back; {@code translateKey} imports a
 * software key and keeps a P11J one; wrong algorithms, lengths and specs are
 * {@code InvalidKeySpecException}s.
 */
@ExtendWith(SoftHsmExtension.class)
class SecretKeyFactoryIT {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Provider BC = new BouncyCastleProvider();

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

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    static AttributeValues onToken(SecretKey key) throws Exception {
        P11SecretKey k = (P11SecretKey) key;
        return k.context().execute(s -> s.getAttributes(k.handle(s), AttributeType.CLASS, AttributeType.KEY_TYPE,
                AttributeType.TOKEN, AttributeType.SENSITIVE, AttributeType.EXTRACTABLE, AttributeType.LOCAL,
                AttributeType.VALUE_LEN, AttributeType.PRIVATE, AttributeType.SIGN));
    }

    @Test
    void servicesFollowTheTokensMechanisms() throws Exception {
        assertThat(provider.getService("SecretKeyFactory", "AES")).isNotNull();
        assertThat(provider.getService("SecretKeyFactory", "DESede") != null).isEqualTo(context.supports(CKM_DES3_CBC));
        assertThat(SecretKeyFactory.getInstance("TripleDES", provider).getProvider()).isSameAs(provider);
        for (MacAlgorithm a : MacAlgorithm.values()) {
            if (a.isHmac()) {
                assertThat(provider.getService("SecretKeyFactory", a.jcaName()) != null).as(a.jcaName())
                        .isEqualTo(context.supports(a.mechanism()));
            }
        }
        assertThatThrownBy(() -> SecretKeyFactory.getInstance("AES", new P11jProvider()))
                .isInstanceOf(NoSuchAlgorithmException.class);
    }

    @Test
    void importedKeysComputeWhatSoftwareComputes() throws Exception {
        int checked = 0;
        for (MacAlgorithm a : MacAlgorithm.values()) {
            if (!context.supports(a.mechanism())) {
                continue;
            }
            String keyAlg = a.isHmac() ? a.jcaName() : "AES";
            int[] lengths = a.isHmac() ? new int[] {a.keyLengths(context).map(r -> r[0]).orElse(16), 100, 200}
                    : new int[] {16, 24, 32};
            for (int n : lengths) {
                byte[] value = random(n);
                SecretKey imported = SecretKeyFactory.getInstance(keyAlg, provider).generateSecret(new SecretKeySpec(value, keyAlg));
                assertThat(imported).isInstanceOf(P11SecretKey.class);
                assertThat(imported.getAlgorithm()).isEqualTo(keyAlg);
                assertThat(imported.getEncoded()).as("the value stays on the token").isNull();
                AttributeValues v = onToken(imported);
                assertThat(v.require(AttributeType.SENSITIVE)).isTrue();
                assertThat(v.require(AttributeType.EXTRACTABLE)).isFalse();
                assertThat(v.require(AttributeType.TOKEN)).as("a session object by default").isFalse();
                assertThat(v.require(AttributeType.PRIVATE)).isTrue();
                assertThat(v.require(AttributeType.LOCAL)).as("imported, not generated").isFalse();
                assertThat(v.require(AttributeType.KEY_TYPE)).isEqualTo(a.isHmac() ? CKK_GENERIC_SECRET : CKK_AES);
                assertThat(v.require(AttributeType.VALUE_LEN)).isEqualTo((long) n);

                byte[] msg = random(RANDOM.nextInt(3000));
                Mac ours = Mac.getInstance(a.jcaName(), provider);
                ours.init(imported);
                Mac soft = a.isHmac() ? Mac.getInstance(a.jcaName(), "SunJCE") : Mac.getInstance("AESCMAC", BC);
                soft.init(new SecretKeySpec(value, keyAlg));
                assertThat(ours.doFinal(msg)).as(a.jcaName() + " with an imported " + n + "-byte key").isEqualTo(soft.doFinal(msg));
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(18);
    }

    @Test
    void theValueNeverComesBack() throws Exception {
        SecretKeyFactory f = SecretKeyFactory.getInstance("HmacSHA256", provider);
        SecretKey k = f.generateSecret(new SecretKeySpec(random(32), "HmacSHA256"));
        assertThatThrownBy(() -> f.getKeySpec(k, SecretKeySpec.class)).isInstanceOf(InvalidKeySpecException.class)
                .hasMessageContaining("never leaves the token");
        SecretKey generated = KeyGenerator.getInstance("HmacSHA256", provider).generateKey();
        assertThatThrownBy(() -> f.getKeySpec(generated, SecretKeySpec.class)).isInstanceOf(InvalidKeySpecException.class);
        KeyGenerator extractable = KeyGenerator.getInstance("HmacSHA256", provider);
        extractable.init(P11jKeyGenParameterSpec.builder(256).extractable(true).build());
        assertThatThrownBy(() -> f.getKeySpec(extractable.generateKey(), SecretKeySpec.class)).as("extractable but sensitive")
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("sensitive");
        // A software key's spec is its value, as SunJCE gives it.
        byte[] value = random(40);
        SecretKeySpec spec = (SecretKeySpec) f.getKeySpec(new SecretKeySpec(value, "HmacSHA256"), SecretKeySpec.class);
        assertThat(spec.getEncoded()).isEqualTo(value);
    }

    @Test
    void aNonSensitiveTokenKeyGivesItsValue() throws Exception {
        // Made through the wrapper: P11J itself never makes one.
        byte[] value = random(32);
        Template t = Template.builder().objectClass(CKO_SECRET_KEY).keyType(CKK_GENERIC_SECRET).flag(AttributeType.TOKEN, false)
                .flag(AttributeType.SENSITIVE, false).flag(AttributeType.EXTRACTABLE, true).flag(AttributeType.SIGN, true)
                .id(new byte[] {9, 9}).set(AttributeType.VALUE, value).build();
        P11SecretKey k = io.p11j.provider.key.SecretKeys.create(context, t, "HmacSHA256", (s, tpl) -> s.createObject(tpl));
        assertThat(k.isSensitive()).isFalse();
        SecretKeySpec spec = (SecretKeySpec) SecretKeyFactory.getInstance("HmacSHA256", provider).getKeySpec(k, SecretKeySpec.class);
        assertThat(spec.getEncoded()).isEqualTo(value);
        assertThat(spec.getAlgorithm()).isEqualTo("HmacSHA256");
    }

    @Test
    void translateKeyImportsSoftwareKeysAndKeepsTokenKeys() throws Exception {
        SecretKeyFactory f = SecretKeyFactory.getInstance("HmacSHA384", provider);
        byte[] value = random(48);
        SecretKey translated = f.translateKey(new SecretKeySpec(value, "HmacSHA384"));
        assertThat(translated).isInstanceOf(P11SecretKey.class);
        assertThat(onToken(translated).require(AttributeType.SENSITIVE)).isTrue();
        Mac ours = Mac.getInstance("HmacSHA384", provider);
        ours.init(translated);
        Mac soft = Mac.getInstance("HmacSHA384", "SunJCE");
        soft.init(new SecretKeySpec(value, "HmacSHA384"));
        assertThat(ours.doFinal(value)).isEqualTo(soft.doFinal(value));
        assertThat(f.translateKey(translated)).as("a P11J key stays as it is").isSameAs(translated);

        SecretKey aes = KeyGenerator.getInstance("AES", provider).generateKey();
        assertThatThrownBy(() -> f.translateKey(aes)).isInstanceOf(InvalidKeyException.class).hasMessageContaining("CKK_AES");
        assertThatThrownBy(() -> f.translateKey(new SecretKeySpec(random(16), "AES"))).isInstanceOf(InvalidKeyException.class);
        assertThat(SecretKeyFactory.getInstance("AES", provider).translateKey(aes)).isSameAs(aes);
    }

    @Test
    void desedeKeysFromEitherSpec() throws Exception {
        SecretKeyFactory f = SecretKeyFactory.getInstance("DESede", provider);
        byte[] value = random(24);
        SecretKey a = f.generateSecret(new DESedeKeySpec(value));
        SecretKey b = f.generateSecret(new SecretKeySpec(value, "TripleDES"));
        for (SecretKey k : new SecretKey[] {a, b}) {
            assertThat(k.getAlgorithm()).isEqualTo("DESede");
            AttributeValues v = onToken(k);
            assertThat(v.require(AttributeType.KEY_TYPE)).isEqualTo(CKK_DES3);
            assertThat(v.require(AttributeType.SENSITIVE)).isTrue();
        }
        assertThatThrownBy(() -> f.generateSecret(new SecretKeySpec(random(16), "DESede"))).isInstanceOf(InvalidKeySpecException.class)
                .hasMessageContaining("24");
    }

    @Test
    void generatedKeysTokenMakesTokenObjects(TestToken token) throws Exception {
        Path conf = dir.resolve("skf-token-keys.conf");
        Files.writeString(conf, "token = " + ProviderFixture.uri(token, dir) + "\ngenerated-keys = token\n");
        tokenKeys = new P11jProvider().configure(conf.toString());
        SecretKey k = SecretKeyFactory.getInstance("AES", tokenKeys).generateSecret(new SecretKeySpec(random(16), "AES"));
        assertThat(onToken(k).require(AttributeType.TOKEN)).isTrue();
        P11SecretKey p = (P11SecretKey) k;
        p.context().execute(s -> {
            s.destroyObject(p.handle(s));
            return null;
        });
    }

    @Test
    void wrongAlgorithmsLengthsAndSpecsAreRefused() throws Exception {
        SecretKeyFactory hmac = SecretKeyFactory.getInstance("HmacSHA256", provider);
        assertThatThrownBy(() -> hmac.generateSecret(new SecretKeySpec(random(32), "AES"))).isInstanceOf(InvalidKeySpecException.class)
                .hasMessageContaining("not AES");
        assertThatThrownBy(() -> hmac.generateSecret(new SecretKeySpec(random(32), "HmacSHA1")))
                .isInstanceOf(InvalidKeySpecException.class);
        int min = MacAlgorithm.HMAC_SHA256.keyLengths(context).map(r -> r[0]).orElse(0);
        if (min > 1) {
            assertThatThrownBy(() -> hmac.generateSecret(new SecretKeySpec(random(min - 1), "HmacSHA256")))
                    .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("CKM_SHA256_HMAC");
        }
        assertThat(hmac.generateSecret(new SecretKeySpec(random(32), "1.2.840.113549.2.9"))).as("by OID").isNotNull();
        assertThatThrownBy(() -> hmac.generateSecret(new PBEKeySpec("pw".toCharArray()))).isInstanceOf(InvalidKeySpecException.class);
        SecretKeyFactory aes = SecretKeyFactory.getInstance("AES", provider);
        assertThatThrownBy(() -> aes.generateSecret(new SecretKeySpec(random(15), "AES"))).isInstanceOf(InvalidKeySpecException.class)
                .hasMessageContaining("16, 24 or 32");
        assertThatThrownBy(() -> aes.generateSecret(new DESedeKeySpec(random(24)))).isInstanceOf(InvalidKeySpecException.class);
        assertThatThrownBy(() -> aes.getKeySpec(KeyGenerator.getInstance("AES", provider).generateKey(), PBEKeySpec.class))
                .isInstanceOf(InvalidKeySpecException.class);
    }
}
