// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JDK's own {@code keytool} (a separate JVM, with its own SoftHSM2 on the same token directory)
 * using P11J through {@code -providerClass}: with {@code -keystore NONE} and a configured provider,
 * and with a URI file as the keystore and the unconfigured provider.
 */
@ExtendWith(SoftHsmExtension.class)
class KeytoolIT {

    @TempDir
    static Path dir;
    static TestToken token;
    static KeyStore ks;

    @BeforeAll
    static void entries(TestToken t) throws Exception {
        token = t;
        Provider p = ProviderFixture.provider(t, dir);
        ks = KeyStore.getInstance("PKCS11-URI", p);
        ks.load(null, null);
        Pki.Ca ca = Pki.root("Keytool CA");
        KeyPair kp = KeyPairGenerator.getInstance("EC", p).generateKeyPair();
        ks.setKeyEntry("tool key", kp.getPrivate(), null, new Certificate[] {ca.issue(kp.getPublic(), "tool key"), ca.cert()});
        ks.setCertificateEntry("tool ca", ca.cert());
    }

    /** keytool from the JVM running the tests. */
    private static Path keytool() {
        return Path.of(System.getProperty("java.home"), "bin", "keytool");
    }

    /** What keytool needs to load the provider: its classes, JNA and Bouncy Castle's provider jar. */
    private static String providerPath() {
        List<String> path = new ArrayList<>();
        path.add(Path.of(System.getProperty("project.build.directory", "target"), "classes").toAbsolutePath().toString());
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(e).getFileName().toString();
            if (name.startsWith("jna-") || name.startsWith("bcprov-")) {
                path.add(e);
            }
        }
        assertThat(path).as("JNA and bcprov on the test class path").hasSize(3);
        return String.join(File.pathSeparator, path);
    }

    /** Runs keytool with P11J as {@code -providerClass}, configured with {@code providerArg} unless null. */
    private static Tools.Result keytool(String providerArg, String... args) {
        List<String> cmd = new ArrayList<>(List.of(keytool().toString(), "-J-Duser.language=en", "-J-Duser.country=US"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-storetype", "PKCS11-URI", "-providerClass", "io.p11j.provider.P11jProvider"));
        if (providerArg != null) {
            cmd.addAll(List.of("-providerArg", providerArg)); // keytool takes it right after -providerClass only
        }
        cmd.addAll(List.of("-providerPath", providerPath()));
        return Tools.run(dir, cmd);
    }

    @Test
    void listWithKeystoreNoneAndAConfiguredProvider() {
        Tools.Result r = keytool(ProviderFixture.tokenUri(token), "-list", "-v", "-keystore", "NONE",
                "-storepass", token.userPin()).orThrow();
        assertThat(r.output()).contains("Keystore type: PKCS11-URI", "Keystore provider: P11J",
                "Your keystore contains 2 entries", "Alias name: tool key", "Entry type: PrivateKeyEntry",
                "Certificate chain length: 2", "Alias name: tool ca", "Entry type: trustedCertEntry",
                "Owner: CN=tool key", "Issuer: CN=Keytool CA");
    }

    @Test
    void listWithAUriFileAndTheUnconfiguredProvider() throws Exception {
        Path file = dir.resolve("token.uri");
        Files.writeString(file, ProviderFixture.tokenUri(token) + "\n");
        Tools.Result r = keytool(null, "-list", "-v", "-keystore", file.toString(), "-storepass", token.userPin()).orThrow();
        assertThat(r.output()).contains("Your keystore contains 2 entries", "Alias name: tool key", "Alias name: tool ca",
                "Creation date: ");
    }

    @Test
    void aChangeThroughAUriFileWritesTheUriBackWithoutThePin() throws Exception {
        ks.setCertificateEntry("doomed ca", Pki.root("Doomed CA").cert());
        Path file = dir.resolve("with-pin.uri");
        Files.writeString(file, ProviderFixture.tokenUri(token) + "&pin-value=" + token.userPin() + "\n");

        keytool(null, "-delete", "-alias", "doomed ca", "-keystore", file.toString(), "-storepass", token.userPin()).orThrow();

        String written = Files.readString(file, StandardCharsets.UTF_8);
        assertThat(written).startsWith("pkcs11:token=" + token.label()).contains("module-path=")
                .doesNotContain("pin-value").doesNotContain(token.userPin());
        Tools.Result r = keytool(null, "-list", "-keystore", file.toString(), "-storepass", token.userPin()).orThrow();
        assertThat(r.output()).contains("tool key").doesNotContain("doomed ca");
    }
}
