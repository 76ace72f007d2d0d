// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.KeyAgreement;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.spec.ECGenParameterSpec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ECDH with a token key agrees with the JDK's ECDH on the other side (what JSSE needs with P11J first). */
@ExtendWith(SoftHsmExtension.class)
class EcdhKeyAgreementIT {

    @TempDir
    static Path dir;
    static Provider provider;

    @BeforeAll
    static void configure(TestToken token) {
        provider = ProviderFixture.provider(token, dir);
    }

    @Test
    void tokenAndJdkAgreeOnTheSecret() throws Exception {
        for (String curve : new String[] {"secp256r1", "secp384r1", "secp521r1"}) {
            KeyPairGenerator onToken = KeyPairGenerator.getInstance("EC", provider);
            onToken.initialize(new ECGenParameterSpec(curve));
            KeyPair ours = onToken.generateKeyPair();
            KeyPairGenerator soft = KeyPairGenerator.getInstance("EC", "SunEC");
            soft.initialize(new ECGenParameterSpec(curve));
            KeyPair theirs = soft.generateKeyPair();

            KeyAgreement a = KeyAgreement.getInstance("ECDH", provider);
            a.init(ours.getPrivate());
            a.doPhase(theirs.getPublic(), true);
            byte[] tokenSecret = a.generateSecret();

            KeyAgreement b = KeyAgreement.getInstance("ECDH", "SunEC");
            b.init(theirs.getPrivate());
            b.doPhase(ours.getPublic(), true);
            assertThat(tokenSecret).as(curve).isEqualTo(b.generateSecret());

            a.doPhase(theirs.getPublic(), true);
            assertThat(a.generateSecret("TlsPremasterSecret").getEncoded()).isEqualTo(tokenSecret);
        }
    }

    @Test
    void delayedSelectionFindsP11jForATokenKey() throws Exception {
        KeyPair ours = KeyPairGenerator.getInstance("EC", provider).generateKeyPair();
        java.security.Security.addProvider(provider);
        try {
            KeyAgreement a = KeyAgreement.getInstance("ECDH");
            a.init(ours.getPrivate());
            assertThat(a.getProvider()).isSameAs(provider);
        } finally {
            java.security.Security.removeProvider(provider.getName());
        }
    }

    @Test
    void badKeysAreRefused() throws Exception {
        // Curves named: the JDK's default EC size is 256 bits on 17 and 384 from 21 on.
        KeyPairGenerator p256 = KeyPairGenerator.getInstance("EC", provider);
        p256.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ours = p256.generateKeyPair();
        KeyPairGenerator softP256 = KeyPairGenerator.getInstance("EC", "SunEC");
        softP256.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair softOther = softP256.generateKeyPair();
        KeyAgreement a = KeyAgreement.getInstance("ECDH", provider);
        assertThatThrownBy(() -> a.init(softOther.getPrivate())).isInstanceOf(InvalidKeyException.class);
        a.init(ours.getPrivate());
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC", "SunEC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        assertThatThrownBy(() -> a.doPhase(p384.generateKeyPair().getPublic(), true))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("another curve");
        a.doPhase(softOther.getPublic(), true);
        assertThatThrownBy(() -> a.generateSecret("Blowfish")).isInstanceOf(NoSuchAlgorithmException.class);
        assertThatThrownBy(() -> a.generateSecret("AES/128")).isInstanceOf(NoSuchAlgorithmException.class);
        a.generateSecret("AES");
        assertThatThrownBy(() -> a.generateSecret("AES")).as("one secret per doPhase").isInstanceOf(IllegalStateException.class);
    }

    /**
     * {@code generateSecret("AES")} and {@code ("HmacSHA256")}: keys derived on the token, sensitive and
     * non-extractable session objects, whose values are the shared secret cut by the token to
     * {@code CKA_VALUE_LEN} (PKCS#11 removes bytes from the leading end, so the last bytes stay; on P-256 an AES-256
     * key is the whole secret):
     * proven by using them on the token (AES-ECB, HMAC through the wrapper) against SunJCE with keys cut
     * from SunEC's secret.
     */
    @Test
    void secretKeysDerivedOnTheToken() throws Exception {
        for (String curve : new String[] {"secp256r1", "secp384r1", "secp521r1"}) {
            KeyPairGenerator onToken = KeyPairGenerator.getInstance("EC", provider);
            onToken.initialize(new ECGenParameterSpec(curve));
            KeyPair ours = onToken.generateKeyPair();
            KeyPairGenerator soft = KeyPairGenerator.getInstance("EC", "SunEC");
            soft.initialize(new ECGenParameterSpec(curve));
            KeyPair theirs = soft.generateKeyPair();
            KeyAgreement b = KeyAgreement.getInstance("ECDH", "SunEC");
            b.init(theirs.getPrivate());
            b.doPhase(ours.getPublic(), true);
            byte[] shared = b.generateSecret();

            KeyAgreement a = KeyAgreement.getInstance("ECDH", provider);
            a.init(ours.getPrivate());
            a.doPhase(theirs.getPublic(), true);
            javax.crypto.SecretKey aes = a.generateSecret("AES");
            assertThat(aes).isInstanceOf(P11jKey.class);
            assertThat(aes.getAlgorithm()).isEqualTo("AES");
            assertThat(aes.getEncoded()).as("the value stays on the token").isNull();
            P11jKey k = (P11jKey) aes;
            assertThat(k.isSensitive()).isTrue();
            assertThat(k.isExtractable()).isFalse();
            assertThat(k.isTokenObject()).as("generated-keys = session").isFalse();
            io.p11j.provider.key.P11SecretKey p = (io.p11j.provider.key.P11SecretKey) aes;
            assertThat(p.valueLength()).as("CKA_VALUE_LEN, known without a read").isEqualTo(32);
            byte[] block = new byte[16];
            byte[] tokenCipher = p.context().execute(s -> s.encrypt(io.p11j.wrapper.mechanism.Mechanism.of(
                    io.p11j.sys.Pkcs11Constants.CKM_AES_ECB), p.handle(s), block));
            javax.crypto.Cipher sun = javax.crypto.Cipher.getInstance("AES/ECB/NoPadding", "SunJCE");
            // The token cuts the secret to CKA_VALUE_LEN as PKCS#11 says: from the leading end, keeping the last bytes.
            sun.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(shared, shared.length - 32, 32, "AES"));
            assertThat(tokenCipher).as(curve + ": AES-256 from the last 32 bytes").isEqualTo(sun.doFinal(block));

            a.doPhase(theirs.getPublic(), true);
            io.p11j.provider.key.P11SecretKey hmac = (io.p11j.provider.key.P11SecretKey) a.generateSecret("HmacSHA256");
            assertThat(hmac.getAlgorithm()).isEqualTo("HmacSHA256");
            byte[] tokenMac = hmac.context().execute(s -> s.sign(io.p11j.wrapper.mechanism.Mechanism.of(
                    io.p11j.sys.Pkcs11Constants.CKM_SHA256_HMAC), hmac.handle(s), block));
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256", "SunJCE");
            mac.init(new javax.crypto.spec.SecretKeySpec(shared, "HmacSHA256"));
            assertThat(tokenMac).as(curve + ": HMAC key of the whole secret").isEqualTo(mac.doFinal(block));
        }
    }
}
