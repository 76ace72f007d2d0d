// SPDX-License-Identifier: Apache-2.0
package io.p11j.demo;

import io.p11j.testing.SoftHsmExtension;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's first command runs this program: keep it working, down to the lines that show jarsigner
 * and the TLS clients succeeding (the program itself also fails when a tool's outcome is not the expected one).
 */
class SysDemoIT {

    @Test
    void theDemonstrationListsTheTokenAndRealToolsUseItsKey() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            SysDemo.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("Cryptoki 2.40").contains("Token    \"p11j-demo\"")
                .contains("CKM_RSA_PKCS_KEY_PAIR_GEN").contains("CKM_ECDSA")
                .contains("CKO_PRIVATE_KEY  RSA      label=\"demo rsa\" id=01")
                .contains("CKO_SECRET_KEY   AES      label=\"demo aes-256\" id=03")
                .contains(";object=demo%20rsa;type=private;id=%01")
                .contains("the JDK says valid")
                .contains("Through the JCA: provider P11J")
                .contains("KeyPairGenerator EC: pkcs11:token=p11j-demo")
                .containsPattern("demo signer +key \\+ certificate +pkcs11:token=p11j-demo.*object=demo%20signer;type=private")
                .contains("(picked P11J for the token key): SunEC says valid");
        // The real tools on the same token key: jarsigner signs, -verify -strict accepts the jar and refuses a tampered copy.
        assertThat(out).containsSubsequence(
                        "jarsigner: jar signed. (META-INF/DEMO_SIG.EC)",
                        "jarsigner: - Signed by \"CN=localhost\"", "jarsigner: jar verified.",
                        "digest error for hello.txt", "tampered jar rejected (exit code ")
                // openssl s_client and curl complete TLS 1.3 handshakes with the JSSE server, verify its chain, fetch the page.
                .containsSubsequence(
                        "openssl: subject=CN = localhost", "openssl: Peer signature type: ECDSA",
                        "openssl: New, TLSv1.3, Cipher is TLS_", "openssl: Verify return code: 0 (ok)", "openssl: " + ToolsDemo.PAGE,
                        "curl: SSL connection using TLSv1.3 / TLS_", "curl: SSL certificate verify ok.", "curl: page: " + ToolsDemo.PAGE)
                .doesNotContain(SoftHsmExtension.USER_PIN);
    }
}
