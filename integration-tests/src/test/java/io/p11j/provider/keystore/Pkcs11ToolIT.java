// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.P11jKey;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.testing.Tools;
import io.p11j.wrapper.attribute.Template;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.util.ArrayList;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.CKO_PUBLIC_KEY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys and certificates written by OpenSC's {@code pkcs11-tool} (another process, another
 * SoftHSM2 instance on the same token directory) are entries of the KeyStore, by label and by URI.
 */
@ExtendWith(SoftHsmExtension.class)
class Pkcs11ToolIT {

    @TempDir
    static Path dir;
    static TestToken token;
    static Path tool;
    static X509Certificate leaf;
    static Pki.Ca ca;

    @BeforeAll
    static void writeWithPkcs11Tool(TestToken t) throws Exception {
        token = t;
        // scripts/test.sh installs OpenSC; run by hand without it, this fails naming the package.
        tool = Tools.require("pkcs11-tool", "opensc");
        pkcs11Tool("--keypairgen", "--key-type", "EC:prime256v1", "--label", "tool key", "--id", "0a0b");
        ca = Pki.root("pkcs11-tool CA");
        try (WrapperSession w = WrapperSession.open(t)) {
            List<Long> pub = w.find(Template.builder().objectClass(CKO_PUBLIC_KEY).id(new byte[] {0x0a, 0x0b}).build());
            assertThat(pub).as("pkcs11-tool's public key, seen by this process").hasSize(1);
            leaf = ca.issue(w.publicKey(pub.get(0)), "tool key");
        }
        Path leafFile = dir.resolve("leaf.der");
        Files.write(leafFile, leaf.getEncoded());
        pkcs11Tool("--write-object", leafFile.toString(), "--type", "cert", "--id", "0a0b", "--label", "tool certificate");
        Path caFile = dir.resolve("ca.der");
        Files.write(caFile, ca.cert().getEncoded());
        pkcs11Tool("--write-object", caFile.toString(), "--type", "cert", "--label", "tool CA");
    }

    private static void pkcs11Tool(String... args) {
        List<String> cmd = new ArrayList<>(List.of(tool.toString(), "--module", SoftHsm.get().modulePath().toString(),
                "--token-label", token.label(), "--login", "--pin", token.userPin()));
        cmd.addAll(List.of(args));
        Tools.run(dir, cmd).orThrow();
    }

    private static KeyStore load() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS11-URI", ProviderFixture.provider(token, dir));
        ks.load(null, null);
        return ks;
    }

    @Test
    void theKeyIsFoundByLabelWithItsCertificateAndChain() throws Exception {
        KeyStore ks = load();
        assertThat(ks.isKeyEntry("tool key")).isTrue();
        P11jKey key = (P11jKey) ks.getKey("tool key", null);
        assertThat(key).isInstanceOf(ECKey.class);
        assertThat(key.id()).containsExactly(0x0a, 0x0b);
        assertThat(ks.getCertificate("tool key")).isEqualTo(leaf);
        assertThat(ks.getCertificateChain("tool key")).containsExactly(leaf, ca.cert());
        assertThat(ks.isCertificateEntry("tool CA")).isTrue();
        assertThat(ks.containsAlias("tool certificate")).as("the certificate belongs to the key's entry").isFalse();
    }

    @Test
    void theKeyIsFoundByUri() throws Exception {
        KeyStore ks = load();
        assertThat(ks.getKey("pkcs11:object=tool%20key;type=private", null)).isNotNull();
        assertThat(((P11jKey) ks.getKey("pkcs11:id=%0A%0B;type=private", null)).label()).isEqualTo("tool key");
        assertThat(ks.getCertificate("pkcs11:object=tool%20certificate;type=cert")).isEqualTo(leaf);
        assertThat(ks.getCertificate("pkcs11:token=" + token.label() + ";object=tool%20CA")).isEqualTo(ca.cert());
        // The key's own URI, as P11jKey.uri() gives it, names it too.
        P11jKey key = (P11jKey) ks.getKey("tool key", null);
        assertThat(((P11jKey) ks.getKey(key.uri().toString(), null)).uri()).isEqualTo(key.uri());
    }
}
