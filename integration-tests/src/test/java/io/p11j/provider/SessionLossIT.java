// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.Pkcs11Module;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;

import static org.assertj.core.api.Assertions.assertThat;

/** A key from P11J keeps working after the token dropped every session of the process (and with them the login). */
@ExtendWith(SoftHsmExtension.class)
class SessionLossIT {

    @Test
    void aTokenKeySignsAgainAfterAllSessionsWereClosed(TestToken token, @TempDir Path dir) throws Exception {
        Provider p = ProviderFixture.provider(token, dir);
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", p);
        kpg.initialize(P11jKeyGenParameterSpec.builder(256).label("survivor").tokenObject(true).build());
        KeyPair kp = kpg.generateKeyPair();
        byte[] data = "before and after".getBytes(StandardCharsets.UTF_8);
        assertThat(verifies(kp, sign(p, kp.getPrivate(), data), data)).isTrue();

        try (Pkcs11Module m = Pkcs11Module.open(SoftHsm.get().modulePath())) {
            m.tokens(Pkcs11Uri.create("pkcs11:token=" + token.label())).get(0).closeAllSessions(); // logs out too
        }

        // The pool finds its sessions gone, opens new ones, logs in again from the pin-source, finds the key again.
        assertThat(verifies(kp, sign(p, kp.getPrivate(), data), data)).isTrue();
    }

    private static byte[] sign(Provider p, PrivateKey key, byte[] data) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSA", p);
        s.initSign(key);
        s.update(data);
        return s.sign();
    }

    private static boolean verifies(KeyPair kp, byte[] sig, byte[] data) throws Exception {
        Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
        v.initVerify(kp.getPublic());
        v.update(data);
        return v.verify(sig);
    }
}
