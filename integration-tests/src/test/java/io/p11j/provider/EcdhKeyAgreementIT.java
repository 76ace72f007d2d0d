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
        KeyPair ours = KeyPairGenerator.getInstance("EC", provider).generateKeyPair();
        KeyPair softOther = KeyPairGenerator.getInstance("EC", "SunEC").generateKeyPair();
        KeyAgreement a = KeyAgreement.getInstance("ECDH", provider);
        assertThatThrownBy(() -> a.init(softOther.getPrivate())).isInstanceOf(InvalidKeyException.class);
        a.init(ours.getPrivate());
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC", "SunEC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        assertThatThrownBy(() -> a.doPhase(p384.generateKeyPair().getPublic(), true))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("another curve");
        a.doPhase(softOther.getPublic(), true);
        assertThatThrownBy(() -> a.generateSecret("AES")).isInstanceOf(NoSuchAlgorithmException.class);
    }
}
