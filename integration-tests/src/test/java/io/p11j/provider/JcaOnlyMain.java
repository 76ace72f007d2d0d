// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A program that knows nothing of P11J: it uses the token only through the JCA, as configured by
 * {@code java.security} ({@code -Djava.security.properties}). Run in a separate JVM by {@link JavaSecurityIT}.
 *
 * <pre>
 * JcaOnlyMain sign &lt;alias&gt;              sign with the token key, verify with its certificate
 * JcaOnlyMain tls &lt;alias&gt; &lt;ca.der&gt; &lt;proto&gt;  TLS server with the token key, client trusting the CA
 * </pre>
 */
public final class JcaOnlyMain {

    private JcaOnlyMain() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("providers: " + java.util.Arrays.stream(Security.getProviders()).map(p -> p.getName())
                .collect(java.util.stream.Collectors.joining(",")));
        KeyStore ks = KeyStore.getInstance("PKCS11-URI");
        ks.load(null, null); // the PIN comes from the configured URI's pin-source
        System.out.println("keystore from " + ks.getProvider().getName() + ", aliases " + java.util.Collections.list(ks.aliases()));
        String alias = args[1];
        switch (args[0]) {
            case "sign" -> sign(ks, alias);
            case "tls" -> tls(ks, Path.of(args[2]), args[3]);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void sign(KeyStore ks, String alias) throws Exception {
        Key key = ks.getKey(alias, null);
        X509Certificate cert = (X509Certificate) ks.getCertificate(alias);
        byte[] data = "signed in a JVM configured by java.security".getBytes(StandardCharsets.UTF_8);
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign((PrivateKey) key);
        s.update(data);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
        v.initVerify(cert.getPublicKey());
        v.update(data);
        if (!v.verify(sig)) {
            throw new IllegalStateException("signature does not verify");
        }
        System.out.println("signed by " + s.getProvider().getName() + " and verified by SunEC");
    }

    private static void tls(KeyStore ks, Path caFile, String protocol) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, null);
        X509Certificate ca;
        try (var in = Files.newInputStream(caFile)) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);

        SSLContext server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
        try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ss.setEnabledProtocols(new String[] {protocol});
            CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                    String line = r.readLine();
                    PrintWriter w = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8);
                    w.println("echo " + line);
                    return s.getSession().getProtocol() + " " + s.getSession().getCipherSuite();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SSLSocket c = (SSLSocket) client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), ss.getLocalPort())) {
                c.setEnabledProtocols(new String[] {protocol});
                PrintWriter w = new PrintWriter(c.getOutputStream(), true, StandardCharsets.UTF_8);
                w.println("hello");
                String reply = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8)).readLine();
                if (!"echo hello".equals(reply)) {
                    throw new IllegalStateException("bad reply " + reply);
                }
            }
            System.out.println("handshake " + served.get(30, TimeUnit.SECONDS));
        }
    }
}
