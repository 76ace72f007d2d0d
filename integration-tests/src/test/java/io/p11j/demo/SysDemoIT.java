// SPDX-License-Identifier: Apache-2.0
package io.p11j.demo;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's first command runs this program: keep it working. */
class SysDemoIT {

    @Test
    void theDemonstrationListsTheTokenItsMechanismsObjectsAndUris() throws Exception {
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
    }
}
