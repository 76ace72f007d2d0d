// SPDX-License-Identifier: Apache-2.0
package io.p11j.demo;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.p11j.tls.ExternalProcess;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The demonstration's second half: programs that are not p11j use the token key of the JCA step, while
 * the throwaway token still exists. The JDK's jarsigner (a JVM of its own, loading P11J from the class
 * path) signs a jar with it, and verifies it, and refuses a tampered copy; a JSSE HTTPS server whose
 * KeyManager reads the {@code PKCS11-URI} KeyStore serves a page to {@code openssl s_client} and curl.
 * Every external program runs under {@link ExternalProcess}'s time limit, with this JVM's
 * {@code SOFTHSM2_CONF}. An outcome other than the expected one ends the demonstration with an error.
 */
final class ToolsDemo {

    static final String PAGE = "Hello over TLS: the server's private key stayed on the PKCS#11 token.";
    private static final String ENTRY = "hello.txt";

    private ToolsDemo() {
    }

    /** jarsigner signs with {@code alias} on the token P11J opens by {@code uri}; -verify -strict trusts only {@code ca}. */
    static void jarsigner(PrintStream out, Path dir, String uri, Path pin, String alias, X509Certificate ca) throws Exception {
        Path unsigned = dir.resolve("hello.jar");
        Path signed = dir.resolve("hello-signed.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(unsigned), mf)) {
            jar.putNextEntry(new JarEntry(ENTRY));
            jar.write("signed by a key that never left the token\n".getBytes(StandardCharsets.UTF_8));
        }
        // -verify -strict needs a trust anchor for the chain: the demo CA, alone in a PKCS12 trust store.
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("p11j demo ca", ca);
        Path trustStore = dir.resolve("demo-ca.p12");
        Path trustPass = Files.writeString(dir.resolve("demo-ca.pass"), "public\n"); // guards one public certificate
        try (OutputStream o = Files.newOutputStream(trustStore)) {
            trust.store(o, "public".toCharArray());
        }

        out.printf("%nStep: jarsigner, the JDK's own tool in a JVM of its own, signs a jar with the token key \"%s\"%n", alias);
        out.printf("  $ jarsigner -J-cp <p11j's class path> -providerClass io.p11j.provider.P11jProvider -providerArg '<the URI above>'"
                + " -storetype PKCS11-URI -keystore NONE -storepass:file %s -signedjar %s %s '%s'%n",
                pin.getFileName(), signed.getFileName(), unsigned.getFileName(), alias);
        ExternalProcess.Result sign = jarsignerRun(dir, List.of("-providerClass", "io.p11j.provider.P11jProvider",
                "-providerArg", uri, "-storetype", "PKCS11-URI", "-keystore", "NONE", "-storepass:file", pin.toString(),
                "-signedjar", signed.toString(), unsigned.toString(), alias)).orFail();
        expect(sign, "jar signed.");
        out.printf("  jarsigner: jar signed. (%s)%n", signatureBlock(signed));

        out.printf("%nStep: jarsigner -verify -strict, trusting only the demo CA (%s)%n", trustStore.getFileName());
        List<String> verify = List.of("-verify", "-strict", "-verbose:summary", "-certs",
                "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass:file", trustPass.toString());
        ExternalProcess.Result ok = jarsignerRun(dir, with(verify, signed.toString())).orFail();
        expect(ok, "jar verified.");
        printMatching(out, "jarsigner", ok.output(), "- Signed by", "jar verified.");
        out.printf("  => the signature made on the token checks out, and its chain leads to the trusted CA%n");

        Path tampered = tamper(signed, dir.resolve("hello-tampered.jar"));
        out.printf("%nStep: the same check on a copy whose %s was changed after signing: it must fail%n", ENTRY);
        ExternalProcess.Result bad = jarsignerRun(dir, with(verify, tampered.toString()));
        if (bad.exitCode() == 0) {
            throw new IllegalStateException("jarsigner verified a tampered jar:\n" + bad.output());
        }
        expect(bad, "digest error for " + ENTRY);
        // The wording around it differs between JDKs (17: "jarsigner: java.lang.SecurityException: …").
        bad.output().lines().filter(l -> l.contains("digest error for " + ENTRY)).findFirst()
                .ifPresent(l -> out.printf("  jarsigner: %s%n", l.strip()));
        out.printf("  => tampered jar rejected (exit code %d)%n", bad.exitCode());
    }

    /** An HTTPS server on loopback with {@code p11j}'s KeyStore as its key source; openssl and curl fetch a page, trusting only {@code ca}. */
    static void tls(PrintStream out, Path dir, Provider p11j, X509Certificate ca) throws Exception {
        Path caPem = Files.writeString(dir.resolve("demo-ca.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(ca.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        KeyStore ks = KeyStore.getInstance("PKCS11-URI", p11j);
        ks.load(null, null); // freshly read from the token: key and chain come from its objects
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, null);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        server.createContext("/", exchange -> {
            byte[] body = (PAGE + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(body);
            }
        });
        ExecutorService executor = Executors.newSingleThreadExecutor();
        server.setExecutor(executor);
        server.start();
        int port = server.getAddress().getPort();
        try {
            out.printf("%nStep: TLS. A JSSE HTTPS server on 127.0.0.1:%d; its PKIX KeyManager reads the PKCS11-URI KeyStore,"
                    + " so the handshake signature is made on the token%n", port);
            String request = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
            List<String> sClient = List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", "localhost",
                    "-tls1_3", "-CAfile", caPem.toString(), "-verify_hostname", "localhost", "-verify_return_error", "-ign_eof",
                    // JDK's HttpServer closes without close_notify, which OpenSSL 3 otherwise reports as an error
                    "-ignore_unexpected_eof");
            out.printf("  $ %s <<< 'GET / HTTP/1.0 ...'%n", shown(sClient, dir));
            ExternalProcess.Result s = ExternalProcess.run(dir, sClient, request).orFail();
            expect(s, "Verify return code: 0 (ok)");
            expect(s, PAGE);
            printMatching(out, "openssl", s.output(), "subject=", "issuer=", "Peer signature type",
                    "Peer signing digest", "New, TLS", "Verify return code", PAGE);
            out.printf("  => a TLS 1.3 handshake whose CertificateVerify the token signed; openssl checked it against the CA%n");

            Path body = dir.resolve("curl-body.txt");
            List<String> curl = List.of("curl", "--verbose", "--silent", "--show-error", "--max-time", "20",
                    "--cacert", caPem.toString(), "--resolve", "localhost:" + port + ":127.0.0.1",
                    "--output", body.toString(), "https://localhost:" + port + "/");
            out.printf("%nStep: TLS again, with curl as the client%n  $ %s%n", shown(curl, dir));
            ExternalProcess.Result c = ExternalProcess.run(dir, curl, null).orFail();
            expect(c, "SSL certificate verify ok");
            printMatching(out, "curl", c.output(), "SSL connection using", "subject:", "SSL certificate verify");
            String page = Files.readString(body, StandardCharsets.UTF_8).strip();
            if (!page.equals(PAGE)) {
                throw new IllegalStateException("curl fetched " + page);
            }
            out.printf("  curl: page: %s%n", page);
            out.printf("  => the same key on the token serves a second, independent TLS client%n");
        } finally {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    private static ExternalProcess.Result jarsignerRun(Path dir, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jarsigner").toString(),
                // JDK 17's jarsigner has no -providerPath: P11J comes from the class path of the tool's JVM
                "-J-cp", "-J" + absoluteClassPath(),
                "-J-Duser.language=en", "-J-Duser.country=US",
                // a tool run lasts a second: C1 alone and the serial collector spend less CPU on it
                "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
        if (Runtime.version().feature() >= 22) {
            cmd.add("-J--enable-native-access=ALL-UNNAMED"); // JNA, without the warning
        }
        cmd.addAll(args);
        return ExternalProcess.run(dir, cmd, null);
    }

    /** A command line as the user would type it in {@code dir}. */
    private static String shown(List<String> cmd, Path dir) {
        return String.join(" ", cmd).replace(dir + "/", "");
    }

    /** This JVM's class path with absolute entries: the tool runs in another directory. */
    private static String absoluteClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator));
    }

    private static List<String> with(List<String> args, String last) {
        List<String> all = new ArrayList<>(args);
        all.add(last);
        return all;
    }

    private static void expect(ExternalProcess.Result r, String text) {
        if (!r.output().contains(text)) {
            throw new IllegalStateException(String.join(" ", r.command()) + " did not print \"" + text + "\":\n" + r.output());
        }
    }

    /**
     * Each distinct line of {@code output} that starts with one of {@code starts} (after curl's "* "),
     * under the tool's name: what the tool said, verbatim, without the rest of its chatter.
     */
    private static void printMatching(PrintStream out, String tool, String output, String... starts) {
        Set<String> lines = new LinkedHashSet<>();
        for (String line : output.split("\\R")) {
            String l = line.strip().replaceFirst("^\\*\\s+", "");
            for (String p : starts) {
                if (l.startsWith(p)) {
                    lines.add(l.startsWith(tool + ": ") ? l : tool + ": " + l);
                    break;
                }
            }
        }
        lines.forEach(l -> out.printf("  %s%n", l));
    }

    /** The signature block jarsigner wrote: its name tells the key's algorithm. */
    private static String signatureBlock(Path jar) throws Exception {
        try (ZipFile z = new ZipFile(jar.toFile())) {
            return Collections.list(z.entries()).stream().map(ZipEntry::getName)
                    .filter(n -> n.matches("META-INF/[^/]+\\.(EC|RSA|DSA)")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no signature block in " + jar));
        }
    }

    /** A copy of {@code jar} whose {@link #ENTRY} has a byte more, signature files unchanged. */
    private static Path tamper(Path jar, Path copy) throws Exception {
        try (ZipFile in = new ZipFile(jar.toFile()); ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(copy))) {
            for (ZipEntry e : Collections.list(in.entries())) {
                byte[] data = in.getInputStream(e).readAllBytes();
                if (e.getName().equals(ENTRY)) {
                    data = (new String(data, StandardCharsets.UTF_8) + "!").getBytes(StandardCharsets.UTF_8);
                }
                zip.putNextEntry(new ZipEntry(e.getName()));
                zip.write(data);
            }
        }
        return copy;
    }
}
