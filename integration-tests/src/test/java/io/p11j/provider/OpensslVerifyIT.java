// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Signatures made on the token through P11J verify with OpenSSL, and a changed message does not. */
@ExtendWith(SoftHsmExtension.class)
class OpensslVerifyIT {

    @TempDir
    static Path dir;
    static Provider provider;
    static Path openssl;

    @BeforeAll
    static void configure(TestToken token) {
        provider = ProviderFixture.provider(token, dir);
        openssl = Tools.require("openssl", "openssl");
    }

    @Test
    void rsaPkcs1() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("RSA", provider).generateKeyPair();
        check(kp, "SHA256withRSA", null, List.of("-sha256"));
    }

    @Test
    void rsaPss() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("RSA", provider).generateKeyPair();
        check(kp, "RSASSA-PSS", new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA384, 48, 1),
                List.of("-sha384", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:48", "-sigopt", "rsa_mgf1_md:sha384"));
    }

    @Test
    void ecdsaP256AndP384() throws Exception {
        KeyPair p256 = KeyPairGenerator.getInstance("EC", provider).generateKeyPair();
        check(p256, "SHA256withECDSA", null, List.of("-sha256"));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(384);
        check(g.generateKeyPair(), "SHA384withECDSA", null, List.of("-sha384"));
    }

    @Test
    void ed25519() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519", provider).generateKeyPair();
        byte[] data = "an Ed25519 message".getBytes(StandardCharsets.UTF_8);
        byte[] sig = sign(kp, "Ed25519", null, data);
        Path pub = pem(kp.getPublic(), "ed");
        Path msg = Files.write(dir.resolve("ed.msg"), data);
        Path sigFile = Files.write(dir.resolve("ed.sig"), sig);
        Tools.Result ok = Tools.run(dir, List.of(openssl.toString(), "pkeyutl", "-verify", "-pubin", "-inkey", pub.toString(),
                "-rawin", "-in", msg.toString(), "-sigfile", sigFile.toString()));
        assertThat(ok.output()).contains("Signature Verified Successfully");
        Files.write(msg, "another message".getBytes(StandardCharsets.UTF_8));
        assertThat(Tools.run(dir, List.of(openssl.toString(), "pkeyutl", "-verify", "-pubin", "-inkey", pub.toString(),
                "-rawin", "-in", msg.toString(), "-sigfile", sigFile.toString())).ok()).isFalse();
    }

    private static void check(KeyPair kp, String algorithm, PSSParameterSpec pss, List<String> dgstOptions) throws Exception {
        byte[] data = ("a message for " + algorithm).getBytes(StandardCharsets.UTF_8);
        byte[] sig = sign(kp, algorithm, pss, data);
        String name = algorithm.replaceAll("\\W", "");
        Path pub = pem(kp.getPublic(), name);
        Path msg = Files.write(dir.resolve(name + ".msg"), data);
        Path sigFile = Files.write(dir.resolve(name + ".sig"), sig);
        List<String> cmd = new java.util.ArrayList<>(List.of(openssl.toString(), "dgst"));
        cmd.addAll(dgstOptions);
        cmd.addAll(List.of("-verify", pub.toString(), "-signature", sigFile.toString(), msg.toString()));
        assertThat(Tools.run(dir, cmd).output()).as(algorithm).contains("Verified OK");
        Files.write(msg, "a changed message".getBytes(StandardCharsets.UTF_8));
        assertThat(Tools.run(dir, cmd).ok()).as(algorithm + " on a changed message").isFalse();
    }

    private static byte[] sign(KeyPair kp, String algorithm, PSSParameterSpec pss, byte[] data) throws Exception {
        Signature s = Signature.getInstance(algorithm, provider);
        if (pss != null) {
            s.setParameter(pss);
        }
        s.initSign(kp.getPrivate());
        s.update(data);
        return s.sign();
    }

    private static Path pem(PublicKey key, String name) throws Exception {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded());
        return Files.writeString(dir.resolve(name + ".pub.pem"), "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n");
    }
}
