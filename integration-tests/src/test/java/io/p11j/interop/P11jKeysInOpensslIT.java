// SPDX-License-Identifier: Apache-2.0
package io.p11j.interop;

import io.p11j.provider.P11jKey;
import io.p11j.provider.P11jKeyGenParameterSpec;
import io.p11j.provider.P11jProvider;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.testing.Tools;
import io.p11j.tls.ExternalProcess;
import io.p11j.uri.Pkcs11Uri;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys generated through P11J are used by OpenSSL through libp11's {@code pkcs11} engine
 * ({@code libengine-pkcs11-openssl}), named by the very URI that {@link P11jKey#uri()} reports, with
 * only a {@code pin-source} added; the signatures OpenSSL makes verify in Java with the JDK's own
 * providers. The engine loads SoftHSM2 from {@code PKCS11_MODULE_PATH} and reads this JVM's tokens
 * ({@code SOFTHSM2_CONF} passed on by {@link ExternalProcess}).
 *
 * <p>What libp11 0.4.12 (Debian 12) takes differently, found here: it reads a {@code pin-source}
 * file's bytes verbatim, a trailing newline included, where P11J (like p11-kit) drops one trailing
 * newline, so the PIN file here has none and the provider reads the same file; and it refuses a URI
 * with a {@code module-path} query attribute ("invalid id"), so the provider's configuration URI
 * cannot be handed to it as it is. A key's {@link P11jKey#uri()} carries no query attribute, which is
 * why it works unchanged.
 */
@ExtendWith(SoftHsmExtension.class)
class P11jKeysInOpensslIT {

    static final byte[] MESSAGE = "signed by OpenSSL with a key P11J generated".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;
    static Provider provider;
    static Path pinFile;
    static Path openssl;
    static Path message;

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        openssl = Tools.require("openssl", "openssl");
        pinFile = Files.writeString(dir.resolve("pin-no-newline"), token.userPin());
        Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-------"));
        provider = new P11jProvider().configure(ProviderFixture.tokenUri(token) + "&pin-source=file:" + pinFile);
        message = Files.write(dir.resolve("message"), MESSAGE);
    }

    private static KeyPair generate(String algorithm, AlgorithmParameterSpec spec, String label, byte[] id) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm, provider);
        // Token objects: OpenSSL is another process with its own sessions.
        g.initialize(P11jKeyGenParameterSpec.builder(spec).label(label).id(id).tokenObject(true).build());
        return g.generateKeyPair();
    }

    /** The key's own URI with the PIN file added, as a user would hand it to OpenSSL. */
    private static String engineUri(Object key) {
        Pkcs11Uri uri = ((P11jKey) key).uri();
        return uri.toBuilder().pinSource("file:" + pinFile).build().format(false);
    }

    private static ExternalProcess.Result engine(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(openssl.toString()));
        cmd.addAll(args);
        return ExternalProcess.run(dir, cmd, null, Map.of("PKCS11_MODULE_PATH", SoftHsm.get().modulePath().toString()));
    }

    /** {@code openssl dgst -engine pkcs11 -keyform engine -sign <uri>}: the signature over {@link #MESSAGE}. */
    private static byte[] dgstSign(String uri, String name, String... options) throws Exception {
        Path sig = dir.resolve(name + ".sig");
        List<String> args = new ArrayList<>(List.of("dgst", "-engine", "pkcs11", "-keyform", "engine", "-sign", uri, "-out", sig.toString()));
        args.addAll(List.of(options));
        args.add(message.toString());
        engine(args).orFail();
        return Files.readAllBytes(sig);
    }

    private static void assertVerifies(String algorithm, AlgorithmParameterSpec params, PublicKey key, byte[] sig) throws Exception {
        Signature v = Signature.getInstance(algorithm, key.getAlgorithm().equals("EC") ? "SunEC" : "SunRsaSign");
        if (params != null) {
            v.setParameter(params);
        }
        v.initVerify(key);
        v.update(MESSAGE);
        assertThat(v.verify(sig)).as(algorithm + " by OpenSSL, verified in Java").isTrue();
        v.initVerify(key);
        v.update("another message".getBytes(StandardCharsets.UTF_8));
        assertThat(v.verify(sig)).as(algorithm + " on another message").isFalse();
    }

    @Test
    void rsaPkcs1AndPssByTheKeysUri() throws Exception {
        KeyPair kp = generate("RSA", new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4), "engine rsa", new byte[] {0x01, 0x02});
        String uri = engineUri(kp.getPrivate());
        // What the engine is given: every attribute P11J emits (token identity, object, type, id).
        assertThat(uri).startsWith("pkcs11:token=").contains(";object=engine%20rsa;type=private;id=%01%02?pin-source=file:")
                .contains(";manufacturer=").contains(";serial=").contains(";model=");
        assertThat(((P11jKey) kp.getPrivate()).uri().withoutQuery()).as("no module, no PIN in a key's URI")
                .isEqualTo(((P11jKey) kp.getPrivate()).uri());
        assertVerifies("SHA256withRSA", null, kp.getPublic(), dgstSign(uri, "rsa-pkcs1", "-sha256"));
        byte[] pss = dgstSign(uri, "rsa-pss", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32");
        assertVerifies("RSASSA-PSS", new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1), kp.getPublic(), pss);
    }

    @Test
    void ecdsaOnP256AndP384ByTheKeysUri() throws Exception {
        KeyPair p256 = generate("EC", new ECGenParameterSpec("secp256r1"), "engine ec", new byte[] {0x0e, 0x0c});
        assertVerifies("SHA256withECDSA", null, p256.getPublic(), dgstSign(engineUri(p256.getPrivate()), "p256", "-sha256"));
        KeyPair p384 = generate("EC", new ECGenParameterSpec("secp384r1"), "engine p384", new byte[] {0x38, 0x04});
        assertVerifies("SHA384withECDSA", null, p384.getPublic(), dgstSign(engineUri(p384.getPrivate()), "p384", "-sha384"));
    }

    @Test
    void pkeyutlSignsAHashWithALabelThatNeedsPercentEncoding() throws Exception {
        // A label with a space, ';', '/' and a non-ASCII letter, and an id with a zero byte:
        // P11J writes them percent-encoded (RFC 7512), and libp11 must decode them to the same object.
        // Decoys that match on the label alone or the id alone: only the decoded label and id together select the key.
        generate("EC", new ECGenParameterSpec("secp256r1"), "tls; key/e", new byte[] {0x00, (byte) 0xff});
        generate("EC", new ECGenParameterSpec("secp256r1"), "tls; key/é", new byte[] {0x00, (byte) 0xfe});
        KeyPair kp = generate("EC", new ECGenParameterSpec("secp256r1"), "tls; key/é", new byte[] {0x00, (byte) 0xff});
        String uri = engineUri(kp.getPrivate());
        assertThat(uri).contains(";object=tls%3B%20key%2F%C3%A9;type=private;id=%00%FF");
        Path hash = Files.write(dir.resolve("message.sha256"), java.security.MessageDigest.getInstance("SHA-256").digest(MESSAGE));
        Path sig = dir.resolve("pkeyutl.sig");
        engine(List.of("pkeyutl", "-engine", "pkcs11", "-keyform", "engine", "-sign", "-inkey", uri,
                "-in", hash.toString(), "-out", sig.toString())).orFail();
        assertVerifies("SHA256withECDSA", null, kp.getPublic(), Files.readAllBytes(sig));
    }

    @Test
    void thePublicKeysUriLoadsTheSamePublicKey() throws Exception {
        KeyPair kp = generate("EC", new ECGenParameterSpec("secp256r1"), "engine public", new byte[] {0x50});
        String uri = ((P11jKey) kp.getPublic()).uri().format(false);
        assertThat(uri).contains(";object=engine%20public;type=public;id=%50");
        Path der = dir.resolve("public.der");
        engine(List.of("pkey", "-engine", "pkcs11", "-inform", "engine", "-pubin", "-in", uri,
                "-pubout", "-outform", "DER", "-out", der.toString())).orFail();
        assertThat(Files.readAllBytes(der)).isEqualTo(kp.getPublic().getEncoded());
    }
}
