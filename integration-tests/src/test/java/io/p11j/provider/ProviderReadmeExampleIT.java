// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's provider example, kept true: the same code on a SoftHSM2 token. */
@ExtendWith(SoftHsmExtension.class)
class ProviderReadmeExampleIT {

    @Test
    void theReadmeProviderExampleWorks(TestToken token, @TempDir Path dir) throws Exception {
        String configuration = ProviderFixture.uri(token, dir);
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", new P11jProvider().configure(configuration));
        kpg.initialize(P11jKeyGenParameterSpec.builder(new ECGenParameterSpec("secp256r1")).label("signing key").tokenObject(true).build());
        KeyPair made = kpg.generateKeyPair();

        String printed;
        byte[] signature;
        Provider p11j;
        // --- as in README.md ---
        p11j = new P11jProvider()
                .configure(configuration);
        Security.addProvider(p11j);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS11-URI", p11j);
            ks.load(null, null);
            PrivateKey key = (PrivateKey) ks.getKey("pkcs11:object=signing%20key;type=private", null);
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(key);
            s.update(data);
            signature = s.sign();
            printed = ((P11jKey) key).uri().toString();
            // ---
            assertThat(s.getProvider()).isSameAs(p11j);
        } finally {
            Security.removeProvider(p11j.getName());
        }
        assertThat(printed).startsWith("pkcs11:token=" + token.label()).contains("object=signing%20key;type=private;id=");
        Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
        v.initVerify(made.getPublic());
        v.update(data);
        assertThat(v.verify(signature)).isTrue();
    }
}
