// SPDX-License-Identifier: Apache-2.0
package io.p11j.tls;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.p11j.provider.P11jKey;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TLS with real peers, the token's keys on the Java side: a JSSE HTTPS server whose {@code PKIX}
 * KeyManager reads the {@code PKCS11-URI} KeyStore serves a page to {@code openssl s_client} and
 * {@code curl} (TLS 1.3 with RSASSA-PSS and ECDSA, TLS 1.2 with PKCS#1 v1.5 and ECDSA), and a JSSE
 * client authenticates with a token key to {@code openssl s_server -Verify}.
 *
 * <p>The keys are generated through P11J and stored with their CA-issued chains by
 * {@code KeyStore.setKeyEntry} (certificate objects on the token); the KeyManager works on a freshly
 * loaded KeyStore, so what the peers see was read back from the token. The peers' signature
 * algorithm lists pick which of the two keys JSSE uses, and the tests check that it was that key's
 * certificate (and chain) the peer got.
 *
 * <p>P11J is added to the provider list for this class: JSSE asks for {@code Signature} by name only,
 * and the JCA then hands the token key to the provider that takes it (delayed provider selection).
 */
@ExtendWith(SoftHsmExtension.class)
class TlsIT {

    static final String PAGE = "served with a key on a PKCS#11 token\n";
    static final String REQUEST = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";

    @TempDir
    static Path dir;
    static Provider provider;
    static TlsPki pki;
    static Path caPem;
    static Map<String, X509Certificate> leaves;
    static KeyStore keyStore;
    static SSLContext serverContext;
    static HttpsServer server;
    static int port;
    static Path openssl;

    @BeforeAll
    static void keysOnTheTokenAndAServer(TestToken token) throws Exception {
        openssl = Tools.require("openssl", "openssl");
        provider = ProviderFixture.provider(token, dir);
        Security.addProvider(provider);
        pki = new TlsPki("p11j TLS test CA");
        caPem = TlsPki.writePem(dir.resolve("ca.pem"), pki.ca);

        KeyStore writer = KeyStore.getInstance("PKCS11-URI", provider);
        writer.load(null, null);
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", provider);
        rsa.initialize(2048);
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC", provider);
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        leaves = Map.of("tls-rsa", store(writer, "tls-rsa", rsa.generateKeyPair()), "tls-ec", store(writer, "tls-ec", ec.generateKeyPair()));

        keyStore = KeyStore.getInstance("PKCS11-URI", provider);
        keyStore.load(null, null); // a fresh KeyStore: the chains come back from the token's certificate objects
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(keyStore, null);
        serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);

        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverContext));
        server.createContext("/", exchange -> {
            byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newSingleThreadExecutor());
        server.start();
        port = server.getAddress().getPort();
    }

    private static X509Certificate store(KeyStore ks, String alias, KeyPair kp) throws Exception {
        X509Certificate leaf = pki.issue(alias, kp.getPublic());
        ks.setKeyEntry(alias, kp.getPrivate(), null, new Certificate[] {leaf, pki.ca});
        return leaf;
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        }
        if (provider != null) {
            Security.removeProvider(provider.getName());
        }
    }

    /**
     * {@code openssl s_client} fetches the page; its signature algorithms choose the key, and it must
     * see that key's certificate and the CA's, verified against the CA, the protocol asked for, and
     * the signature type the token made.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({
        "tls-rsa, -tls1_3, rsa_pss_rsae_sha256:ECDSA+SHA256, ,                            RSA-PSS",
        "tls-ec,  -tls1_3, ECDSA+SHA256,                     ,                            ECDSA",
        "tls-rsa, -tls1_2, RSA+SHA256:ECDSA+SHA256,          ECDHE-RSA-AES128-GCM-SHA256, RSA",
        "tls-ec,  -tls1_2, ECDSA+SHA256,                     ECDHE-ECDSA-AES256-GCM-SHA384, ECDSA",
    })
    void opensslClient(String alias, String protocol, String sigalgs, String cipher, String signatureType) throws Exception {
        // Without signature_algorithms_cert, OpenSSL's list also constrains the certificates, which the CA
        // signed with ECDSA/SHA-256: for the RSA key that comes second, and JSSE picks the key for the
        // first it can do (TLS 1.3), or for the cipher suite (TLS 1.2).
        List<String> cmd = new ArrayList<>(List.of(openssl.toString(), "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost", protocol, "-sigalgs", sigalgs, "-CAfile", caPem.toString(),
                "-verify_return_error", "-showcerts", "-ign_eof",
                // JDK's HttpServer closes the connection without a close_notify, which OpenSSL 3 counts as an error
                "-ignore_unexpected_eof"));
        if (cipher != null) {
            cmd.addAll(List.of("-cipher", cipher));
        }
        String out = ExternalProcess.run(dir, cmd, REQUEST).orFail().output();
        String version = protocol.equals("-tls1_3") ? "TLSv1.3" : "TLSv1.2";
        assertThat(out).contains("Protocol  : " + version).contains("Verify return code: 0 (ok)")
                .contains("Peer signature type: " + signatureType).contains("Peer signing digest: SHA256")
                .contains("HTTP/1.1 200 OK").contains(PAGE.strip());
        assertThat(TlsPki.certificatesIn(out)).as("the chain the server sent").containsExactly(leaves.get(alias), pki.ca);
        assertThat(keyStore.getCertificateChain(alias)).containsExactly(leaves.get(alias), pki.ca);
    }

    /** curl, trusting only the CA, fetches the page; TLS 1.2 cipher suites pick the key, TLS 1.3 takes what JSSE chooses. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "tls-rsa, ECDHE-RSA-AES128-GCM-SHA256",
        "tls-ec,  ECDHE-ECDSA-AES256-GCM-SHA384",
        "any,     TLSv1.3",
    })
    void curl(String alias, String cipherOrProtocol) throws Exception {
        Path curl = Tools.require("curl", "curl");
        Path body = dir.resolve("body-" + alias + ".txt");
        List<String> cmd = new ArrayList<>(List.of(curl.toString(), "--verbose", "--silent", "--show-error", "--max-time", "20",
                "--cacert", caPem.toString(), "--resolve", "localhost:" + port + ":127.0.0.1", "--output", body.toString()));
        if (cipherOrProtocol.equals("TLSv1.3")) {
            cmd.add("--tlsv1.3");
        } else {
            cmd.addAll(List.of("--tlsv1.2", "--tls-max", "1.2", "--ciphers", cipherOrProtocol));
        }
        cmd.add("https://localhost:" + port + "/");
        String out = ExternalProcess.run(dir, cmd, null).orFail().output();
        assertThat(Files.readString(body)).isEqualTo(PAGE);
        assertThat(out).contains("SSL certificate verify ok");
        if (alias.equals("any")) {
            assertThat(out).containsPattern("SSL connection using TLSv1\\.3 / TLS_").containsPattern("subject: CN=tls-(rsa|ec)");
        } else {
            assertThat(out).contains("SSL connection using TLSv1.2 / " + cipherOrProtocol).contains("subject: CN=" + alias);
        }
    }

    /**
     * Client authentication the other way round: {@code openssl s_server} demands a certificate from
     * the CA; the JSSE client's KeyManager offers the token key its signature algorithms ask for, and
     * s_server's verify log and status page name that certificate's subject.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({
        "tls-ec,  TLSv1.3, ECDSA+SHA256",
        "tls-rsa, TLSv1.3, rsa_pss_rsae_sha256:ECDSA+SHA256",
        "tls-rsa, TLSv1.2, RSA+SHA256:ECDSA+SHA256",
    })
    void clientAuthenticationToOpensslServer(String alias, String protocol, String clientSigalgs) throws Exception {
        KeyPair serverKeys = TlsPki.softwareEc();
        Path serverCert = TlsPki.writePem(dir.resolve("s_server.pem"), pki.issue("openssl server", serverKeys.getPublic()));
        Path serverKey = Files.writeString(dir.resolve("s_server.key"), TlsPki.pem("PRIVATE KEY", serverKeys.getPrivate().getEncoded()));
        try (ExternalProcess sServer = ExternalProcess.start(dir, List.of(openssl.toString(), "s_server",
                "-accept", "127.0.0.1:0", "-naccept", "1", "-www", "-cert", serverCert.toString(), "-key", serverKey.toString(),
                "-Verify", "1", "-CAfile", caPem.toString(), "-client_sigalgs", clientSigalgs), null)) {
            int sPort = Integer.parseInt(sServer.awaitOutput(Pattern.compile("ACCEPT 127\\.0\\.0\\.1:(\\d+)")));

            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(keyStore, null);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", pki.ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            SSLContext client = SSLContext.getInstance("TLS");
            client.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);

            String page;
            String negotiated;
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), sPort)) {
                s.setSoTimeout((int) ExternalProcess.TIMEOUT.toMillis());
                s.setEnabledProtocols(new String[] {protocol});
                s.startHandshake();
                negotiated = s.getSession().getProtocol();
                s.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                page = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(s.getSession().getLocalCertificates()).as("what the client sent")
                        .containsExactly(leaves.get(alias), pki.ca);
            }
            String log = sServer.await().orFail().output();
            assertThat(negotiated).isEqualTo(protocol);
            assertThat(log).as("s_server's verify callback").contains("depth=0 CN = " + alias).contains("verify return:1")
                    .doesNotContain("verify error");
            assertThat(page).contains("Client certificate").contains("Subject: CN=" + alias);
            assertThat(((P11jKey) keyStore.getKey(alias, null)).label()).isEqualTo(alias);
        }
    }
}
