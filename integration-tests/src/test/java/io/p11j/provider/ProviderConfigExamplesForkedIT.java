// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.provider.config.ProviderConfig;
import io.p11j.testing.Nss;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The examples in {@code provider-config/} are what users copy, so they are tested as far as this
 * machine allows: every file parses and says in its header whether it was tested here; the SoftHSM2
 * and NSS softokn examples, with their paths pointed at a test token, configure P11J and sign. (Forked:
 * softokn is initialized with this test's own database, which must not meet another test's.)
 */
@ExtendWith(SoftHsmExtension.class)
class ProviderConfigExamplesForkedIT {

    private static final Path EXAMPLES = Path.of("provider-config");

    @TempDir
    Path dir;

    @Test
    void everyExampleParsesAndSaysWhetherItWasTestedHere() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(EXAMPLES)) {
            files = s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
        }
        assertThat(files).extracting(p -> p.getFileName().toString())
                .contains("softhsm2.conf", "nss-softokn.conf", "opensc.conf", "yubikey.conf", "tpm2.conf");
        for (Path f : files) {
            String text = Files.readString(f);
            assertThat(text).as(f + " says what was tested").containsAnyOf("Tested here", "not tested");
            ProviderConfig c = ProviderConfig.parse(text, f.toAbsolutePath().getParent());
            assertThat(c.providerName()).as(f.toString()).startsWith("P11J-");
            assertThat(c.token().namesModule()).as(f + " names its module").isTrue();
        }
    }

    @Test
    void theSoftHsm2ExampleConfiguresP11jForATestToken(TestToken token) throws Exception {
        Path conf = rewrite("softhsm2.conf", Map.of(
                "token", ProviderFixture.uri(token, dir)));
        Provider p = new P11jProvider().configure(conf.toString());
        assertThat(p.getName()).isEqualTo("P11J-softhsm");
        signsWith(p, false);
    }

    @Test
    void theNssSoftoknExampleConfiguresP11jForANewDatabase() throws Exception {
        Path db = Files.createDirectory(dir.resolve("nssdb"));
        Nss.createDatabase(db);
        Path password = dir.resolve("nssdb-password");
        Files.writeString(password, "");
        Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
        Path conf = rewrite("nss-softokn.conf", Map.of(
                "library", Nss.findSoftokn().toString(),
                "init-args", Nss.initParameters(db),
                "token", "pkcs11:token=NSS%20Certificate%20DB?pin-source=file:" + password));
        Provider p = new P11jProvider().configure(conf.toString());
        assertThat(p.getName()).isEqualTo("P11J-nss");
        KeyPair kp = signsWith(p, true);

        // generated-keys = token: the key is in the database, so the KeyStore finds it.
        KeyStore ks = KeyStore.getInstance("PKCS11-URI", p);
        ks.load(null, null);
        List<String> aliases = Collections.list(ks.aliases());
        assertThat(aliases).anyMatch(a -> a.contains("example"));
        assertThat(((P11jKey) kp.getPrivate()).isTokenObject()).isTrue();
    }

    /** Generates an EC key labelled "example" through the provider and signs with it on the token. */
    private static KeyPair signsWith(Provider p, boolean tokenObject) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", p);
        kpg.initialize(P11jKeyGenParameterSpec.builder(new ECGenParameterSpec("secp256r1")).label("example").build());
        KeyPair kp = kpg.generateKeyPair();
        assertThat(((P11jKey) kp.getPrivate()).isTokenObject()).isEqualTo(tokenObject);
        Signature s = Signature.getInstance("SHA256withECDSA", p);
        s.initSign(kp.getPrivate());
        s.update("example".getBytes(StandardCharsets.UTF_8));
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
        v.initVerify(kp.getPublic());
        v.update("example".getBytes(StandardCharsets.UTF_8));
        assertThat(v.verify(sig)).isTrue();
        return kp;
    }

    /** The example with the values of {@code settings} replaced (every other line as shipped). */
    private Path rewrite(String example, Map<String, String> settings) throws IOException {
        List<String> out = new ArrayList<>();
        int replaced = 0;
        for (String line : Files.readAllLines(EXAMPLES.resolve(example))) {
            int eq = line.indexOf('=');
            String key = eq > 0 && !line.startsWith("#") ? line.substring(0, eq).strip() : null;
            if (key != null && settings.containsKey(key)) {
                out.add(key + " = " + settings.get(key));
                replaced++;
            } else {
                out.add(line);
            }
        }
        assertThat(replaced).as("every rewritten setting is in " + example).isEqualTo(settings.size());
        Path f = dir.resolve(example);
        Files.write(f, out);
        return f;
    }
}
