// SPDX-License-Identifier: Apache-2.0
package io.p11j.interop;

import io.p11j.provider.P11jKey;
import io.p11j.testing.Certificates;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.testing.Tools;
import io.p11j.tls.ExternalProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys and certificates that OpenSC's {@code pkcs11-tool} made are used by P11J, and signatures go
 * both ways between them. {@code provider/keystore/Pkcs11ToolIT} shows that an EC key and its chain
 * written by pkcs11-tool are KeyStore entries; this adds what it leaves out: RSA and P-384 keys,
 * a key with an id and no label, the public keys as pkcs11-tool exports them, and actual use —
 * P11J signs with pkcs11-tool's keys (verified by the JDK and by {@code pkcs11-tool --verify}) and
 * verifies what {@code pkcs11-tool --sign} made.
 *
 * <p>pkcs11-tool gets the PIN from its environment ({@code --pin env:VAR}), not its command line.
 */
@ExtendWith(SoftHsmExtension.class)
class OpenscKeysInP11jIT {

    static final byte[] MESSAGE = "a message for keys that OpenSC made".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;
    static TestToken token;
    static Path tool;
    static Provider provider;
    static Certificates.Ca ca;
    static Path message;

    @BeforeAll
    static void keysAndCertificatesByPkcs11Tool(TestToken t) throws Exception {
        token = t;
        tool = Tools.require("pkcs11-tool", "opensc");
        provider = ProviderFixture.provider(t, dir);
        ca = Certificates.Ca.create("OpenSC interop CA");
        message = Files.write(dir.resolve("message"), MESSAGE);
        pkcs11Tool("--keypairgen", "--key-type", "rsa:2048", "--label", "opensc rsa", "--id", "0101");
        pkcs11Tool("--keypairgen", "--key-type", "EC:secp384r1", "--label", "opensc p384", "--id", "0384");
        pkcs11Tool("--keypairgen", "--key-type", "EC:prime256v1", "--id", "0256"); // no label
        for (String[] key : new String[][] {{"0101", "opensc rsa"}, {"0384", "opensc p384"}}) {
            Path leaf = dir.resolve(key[0] + ".crt");
            Files.write(leaf, ca.issue(key[1], exportedPublicKey(key[0])).getEncoded());
            pkcs11Tool("--write-object", leaf.toString(), "--type", "cert", "--id", key[0], "--label", key[1]);
        }
        Path caFile = Files.write(dir.resolve("ca.crt"), ca.certificate().getEncoded());
        pkcs11Tool("--write-object", caFile.toString(), "--type", "cert", "--label", "OpenSC interop CA");
    }

    private static String pkcs11Tool(String... args) {
        List<String> cmd = new ArrayList<>(List.of(tool.toString(), "--module", SoftHsm.get().modulePath().toString(),
                "--token-label", token.label(), "--login", "--pin", "env:P11J_TEST_PIN"));
        cmd.addAll(List.of(args));
        return ExternalProcess.run(dir, cmd, null, Map.of("P11J_TEST_PIN", token.userPin())).orFail().output();
    }

    /**
     * The public key as OpenSC exports it (SubjectPublicKeyInfo): {@code pkcs11-tool --read-object
     * --type pubkey}, except for P-384, where pkcs11-tool 0.23 with OpenSSL 3 fails ("cannot create
     * EVP_PKEY") and OpenSC's libp11 engine reads it instead.
     */
    private static PublicKey exportedPublicKey(String id) throws Exception {
        Path der = dir.resolve(id + ".pub.der");
        if (id.equals("0384")) {
            ExternalProcess.run(dir, List.of(Tools.require("openssl", "openssl").toString(), "pkey", "-engine", "pkcs11",
                    "-inform", "engine", "-pubin", "-in", "pkcs11:token=" + token.label() + ";id=%03%84;type=public",
                    "-pubout", "-outform", "DER", "-out", der.toString()),
                    null, Map.of("PKCS11_MODULE_PATH", SoftHsm.get().modulePath().toString())).orFail();
        } else {
            pkcs11Tool("--read-object", "--type", "pubkey", "--id", id, "--output-file", der.toString());
        }
        byte[] spki = Files.readAllBytes(der);
        for (String alg : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(spki));
            } catch (java.security.spec.InvalidKeySpecException notThisOne) {
                // try the other algorithm
            }
        }
        throw new AssertionError("pkcs11-tool exported no RSA or EC public key for id " + id);
    }

    private static KeyStore keyStore() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS11-URI", provider);
        ks.load(null, null);
        return ks;
    }

    private static byte[] sign(PrivateKey key, String algorithm, PSSParameterSpec pss) throws Exception {
        Signature s = Signature.getInstance(algorithm, provider);
        if (pss != null) {
            s.setParameter(pss);
        }
        s.initSign(key);
        s.update(MESSAGE);
        return s.sign();
    }

    /** Verified by the JDK's own providers, and a changed message is not. */
    private static void assertJdkVerifies(PublicKey key, String algorithm, PSSParameterSpec pss, byte[] sig) throws Exception {
        for (byte[] data : List.of(MESSAGE, "a changed message".getBytes(StandardCharsets.UTF_8))) {
            Signature v = Signature.getInstance(algorithm, key instanceof RSAPublicKey ? "SunRsaSign" : "SunEC");
            if (pss != null) {
                v.setParameter(pss);
            }
            v.initVerify(key);
            v.update(data);
            assertThat(v.verify(sig)).as(algorithm + " over " + new String(data, StandardCharsets.UTF_8)).isEqualTo(data == MESSAGE);
        }
    }

    @Test
    void rsaKeyAndChainAreUsedForPkcs1AndPss() throws Exception {
        KeyStore ks = keyStore();
        PrivateKey key = (PrivateKey) ks.getKey("opensc rsa", null);
        assertThat(((P11jKey) key).id()).containsExactly(0x01, 0x01);
        X509Certificate leaf = (X509Certificate) ks.getCertificate("opensc rsa");
        assertThat(ks.getCertificateChain("opensc rsa")).containsExactly(leaf, ca.certificate());
        assertThat(leaf.getPublicKey()).isEqualTo(exportedPublicKey("0101"));
        assertThat(((RSAPublicKey) leaf.getPublicKey()).getModulus().bitLength()).isEqualTo(2048);

        assertJdkVerifies(leaf.getPublicKey(), "SHA256withRSA", null, sign(key, "SHA256withRSA", null));
        PSSParameterSpec pss = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
        assertJdkVerifies(leaf.getPublicKey(), "RSASSA-PSS", pss, sign(key, "RSASSA-PSS", pss));
    }

    @Test
    void p384KeyIsUsedAndItsSignatureVerifiesWithPkcs11Tool() throws Exception {
        KeyStore ks = keyStore();
        PrivateKey key = (PrivateKey) ks.getKey("opensc p384", null);
        ECPublicKey pub = (ECPublicKey) ks.getCertificate("opensc p384").getPublicKey();
        assertThat(pub.getParams().getCurve().getField().getFieldSize()).isEqualTo(384);
        byte[] sig = sign(key, "SHA384withECDSA", null);
        assertJdkVerifies(pub, "SHA384withECDSA", null, sig);
        // And by OpenSC, on the token: the DER signature JCA makes is what its "sequence" format reads.
        // SoftHSM2 has no CKM_ECDSA_SHA384 (P11J hashes in the JVM, then CKM_ECDSA), so pkcs11-tool gets the hash.
        Path sigFile = Files.write(dir.resolve("p384.sig"), sig);
        Path hash = Files.write(dir.resolve("message.sha384"), java.security.MessageDigest.getInstance("SHA-384").digest(MESSAGE));
        assertThat(pkcs11Tool("--verify", "--id", "0384", "-m", "ECDSA", "--signature-format", "sequence",
                "--input-file", hash.toString(), "--signature-file", sigFile.toString())).contains("Signature is valid");
    }

    @Test
    void unlabelledKeyIsFoundByItsIdAndVerifiesPkcs11ToolsSignature() throws Exception {
        KeyStore ks = keyStore();
        P11jKey key = (P11jKey) ks.getKey("pkcs11:id=%02%56;type=private", null);
        assertThat(key.label()).as("pkcs11-tool gave it no label: SoftHSM2's default, empty").isEmpty();
        assertThat(key.uri().toString()).contains("type=private;id=%02%56");
        // The URI P11J reports names the same key again.
        assertThat(((P11jKey) ks.getKey(key.uri().toString(), null)).id()).containsExactly(0x02, 0x56);
        PublicKey pub = exportedPublicKey("0256");
        assertJdkVerifies(pub, "SHA256withECDSA", null, sign((PrivateKey) key, "SHA256withECDSA", null));

        // pkcs11-tool signs the hash on the token (CKM_ECDSA); P11J verifies SHA256withECDSA, with the exported public key.
        Path sigFile = dir.resolve("tool.sig");
        Path hash = Files.write(dir.resolve("message.sha256"), java.security.MessageDigest.getInstance("SHA-256").digest(MESSAGE));
        pkcs11Tool("--sign", "--id", "0256", "-m", "ECDSA", "--signature-format", "sequence",
                "--input-file", hash.toString(), "--output-file", sigFile.toString());
        Signature v = Signature.getInstance("SHA256withECDSA", provider);
        v.initVerify(pub);
        v.update(MESSAGE);
        assertThat(v.verify(Files.readAllBytes(sigFile))).as("pkcs11-tool's signature, verified by P11J").isTrue();
    }
}
