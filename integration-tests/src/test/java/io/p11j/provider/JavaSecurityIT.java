// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.testing.Certificates;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.Pkcs11Module;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.UserType;
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
import java.security.Security;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * P11J configured the way operators do it: a {@code java.security} file given to a separate JVM
 * ({@code -Djava.security.properties}), whose program ({@link JcaOnlyMain}) names no P11J type.
 */
@ExtendWith(SoftHsmExtension.class)
class JavaSecurityIT {

    static final String ALIAS = "jsec-ec";

    @TempDir
    static Path dir;
    static Path caFile;
    static String uri;

    @BeforeAll
    static void keyAndCertificateOnTheToken(TestToken token) throws Exception {
        uri = ProviderFixture.uri(token, dir);
        Provider p11j = new P11jProvider().configure(uri);
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", p11j);
        kpg.initialize(P11jKeyGenParameterSpec.builder(new ECGenParameterSpec("secp256r1")).label(ALIAS).tokenObject(true).build());
        KeyPair kp = kpg.generateKeyPair();
        Certificates.Ca ca = Certificates.Ca.create("p11j test CA");
        caFile = dir.resolve("ca.der");
        Files.write(caFile, ca.certificate().getEncoded());
        try (Pkcs11Module m = Pkcs11Module.open(SoftHsm.get().modulePath());
             Session s = m.tokens(Pkcs11Uri.create("pkcs11:token=" + token.label())).get(0).openSession(true)) {
            s.login(UserType.USER, token.userPinChars());
            Certificates.store(s, ca.issue("localhost", kp.getPublic()), ALIAS, ((P11jKey) kp.getPrivate()).id());
        }
    }

    @Test
    void registeredByNameAtTheEnd() throws Exception {
        String out = run(appended("P11J " + uri), "sign", ALIAS);
        assertThat(out).contains("keystore from P11J").contains("signed by P11J and verified by SunEC");
    }

    @Test
    void registeredByClassNameWithAConfigurationFile() throws Exception {
        Path conf = dir.resolve("p11j-named.conf");
        Files.writeString(conf, "name = fromfile\ntoken = " + uri + "\n");
        String out = run(appended(P11jProvider.class.getName() + " " + conf), "sign", ALIAS);
        assertThat(out).contains("keystore from P11J-fromfile").contains("signed by P11J-fromfile");
    }

    @Test
    void firstInTheListTls13AndTls12StillWork() throws Exception {
        Path sec = first("P11J " + uri);
        assertThat(run(sec, "tls", ALIAS, caFile.toString(), "TLSv1.3")).contains("providers: P11J,").contains("handshake TLSv1.3");
        assertThat(run(sec, "tls", ALIAS, caFile.toString(), "TLSv1.2")).contains("handshake TLSv1.2 TLS_ECDHE_ECDSA");
    }

    @Test
    void firstInTheListWithEcdheOnTheToken() throws Exception {
        // secp256r1 only: JSSE's ephemeral keys then come from P11J's KeyPairGenerator, and P11J's ECDH must agree.
        Path sec = first("P11J " + uri);
        String out = run(sec, List.of("-Djdk.tls.namedGroups=secp256r1"), "tls", ALIAS, caFile.toString(), "TLSv1.3");
        assertThat(out).contains("handshake TLSv1.3");
    }

    /** A java.security fragment that appends P11J after the JDK's providers. */
    private static Path appended(String entry) throws Exception {
        int n = Security.getProviders().length + 1;
        Path f = Files.createTempFile(dir, "java", ".security");
        Files.writeString(f, "security.provider." + n + "=" + entry + "\n");
        return f;
    }

    /** A java.security fragment with P11J at position 1 and the JDK's providers after it. */
    private static Path first(String entry) throws Exception {
        StringBuilder sb = new StringBuilder("security.provider.1=" + entry + "\n");
        Provider[] jdk = Security.getProviders();
        int n = 2;
        for (Provider p : jdk) {
            if (p.getName().startsWith("P11J")) {
                continue;
            }
            sb.append("security.provider.").append(n++).append('=').append(p.getName()).append('\n');
        }
        Path f = Files.createTempFile(dir, "java-first", ".security");
        Files.writeString(f, sb.toString());
        return f;
    }

    private static String run(Path securityFile, String... args) throws Exception {
        return run(securityFile, List.of(), args);
    }

    private static String run(Path securityFile, List<String> jvmArgs, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("-Djava.security.properties=" + securityFile);
        cmd.addAll(jvmArgs);
        cmd.add(JcaOnlyMain.class.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
