// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.testing.Certificates;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A TLS 1.2 server whose RSA key is on the token, with RSA key exchange ({@code TLS_RSA_WITH_AES_128_GCM_SHA256}):
 * JSSE decrypts the client's premaster secret with P11J's {@code RSA/ECB/PKCS1Padding}. JSSE first
 * asks for {@code UNWRAP_MODE} with its {@code TlsRsaPremasterSecretParameterSpec}; P11J declines with
 * an {@code InvalidKeyException}, and JSSE takes its {@code DECRYPT_MODE} path, where a failed
 * decryption becomes a random premaster (no Bleichenbacher oracle at the protocol level).
 */
@ExtendWith(SoftHsmExtension.class)
class RsaTlsKeyExchangeIT {

    private static final String SUITE = "TLS_RSA_WITH_AES_128_GCM_SHA256";

    @TempDir
    static Path dir;

    @Test
    void aTls12ServerDecryptsThePremasterOnTheToken(TestToken token) throws Exception {
        Provider provider = ProviderFixture.provider(token, dir);
        KeyPair pair = RsaTokenKeys.softwarePair(2048);
        Certificates.Ca ca = Certificates.Ca.create("rsa-tls-ca");
        X509Certificate cert = ca.issue("localhost", pair.getPublic());
        try (RsaTokenKeys keys = RsaTokenKeys.open(token)) {
            keys.importPrivate((RSAPrivateCrtKey) pair.getPrivate(), "tls");
            Certificates.store(keys.session(), cert, "tls", "tls".getBytes(StandardCharsets.UTF_8));
        }
        KeyStore ks = KeyStore.getInstance("PKCS11-URI", provider);
        ks.load(null, null);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, null);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);

        Security.addProvider(provider); // JSSE asks the JCA for RSA/ECB/PKCS1Padding; the token key picks P11J
        try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1,
                InetAddress.getLoopbackAddress())) {
            ss.setEnabledProtocols(new String[] {"TLSv1.2"});
            ss.setEnabledCipherSuites(new String[] {SUITE});
            CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                    new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8).println("echo " + line);
                    return s.getSession().getProtocol() + " " + s.getSession().getCipherSuite();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SSLSocket c = (SSLSocket) client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                    ss.getLocalPort())) {
                c.setEnabledProtocols(new String[] {"TLSv1.2"});
                c.setEnabledCipherSuites(new String[] {SUITE});
                new PrintWriter(c.getOutputStream(), true, StandardCharsets.UTF_8).println("hello");
                String reply = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8)).readLine();
                assertThat(reply).isEqualTo("echo hello");
            }
            assertThat(served.get(30, TimeUnit.SECONDS)).isEqualTo("TLSv1.2 " + SUITE);
        } finally {
            Security.removeProvider(provider.getName());
        }
    }
}
