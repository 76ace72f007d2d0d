// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import io.p11j.provider.P11jProvider;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.TestToken;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The providers the benchmarks compare, configured for a fixture token: the JDK's SunPKCS11 and
 * P11J ({@link P11jProvider}), each by the configuration a user would write. Both can be put over
 * another module file than the fixture's — the counting module ({@link CallCounts}) — for the
 * untimed runs that count token calls.
 *
 * <p>P11J services that do not exist yet (the provider is being written while these benchmarks are)
 * are looked up through {@link #requireP11j}: a missing one is a {@link P11jUnavailableException}
 * whose message says so, and {@code scripts/bench.sh} asks {@link P11jAvailability} beforehand and
 * leaves such benchmarks out, so the suite runs whatever state P11J is in.
 */
final class BenchProviders {

    /** The word that marks every "P11J has no such service yet" message, for scripts to recognize. */
    static final String P11J_UNAVAILABLE = "P11J-UNAVAILABLE";

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static Path dir;

    private BenchProviders() {
    }

    /** SunPKCS11 for {@code slot} of {@code module}, configured inline (one instance per call). */
    static Provider sunPkcs11(String name, Path module, long slot) {
        return sunPkcs11(name, module, slot, "");
    }

    /** SunPKCS11 for {@code slot} of {@code module}, with further lines of SunPKCS11 configuration. */
    static Provider sunPkcs11(String name, Path module, long slot, String moreConfig) {
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw new IllegalStateException("this JDK has no SunPKCS11 provider (module jdk.crypto.cryptoki)");
        }
        return base.configure("--name=" + name + "-" + COUNTER.incrementAndGet() + "\nlibrary=" + module
                + "\nslot=" + slot + "\n" + moreConfig);
    }

    /**
     * Logs {@code sunPkcs11} in to {@code token} (a KeyStore {@code load} with the PIN does the same): private
     * objects, generated keys among them, need a logged-in token.
     */
    static void login(Provider sunPkcs11, char[] pin) throws javax.security.auth.login.LoginException {
        ((java.security.AuthProvider) sunPkcs11).login(null, callbacks -> {
            for (javax.security.auth.callback.Callback c : callbacks) {
                if (c instanceof javax.security.auth.callback.PasswordCallback pc) {
                    pc.setPassword(pin);
                } else {
                    throw new javax.security.auth.callback.UnsupportedCallbackException(c);
                }
            }
        });
    }

    /** SunPKCS11 for {@code token} on the fixture's SoftHSM2 module. */
    static Provider sunPkcs11(String name, TestToken token) {
        return sunPkcs11(name, SoftHsm.get().modulePath(), token.slotId());
    }

    /**
     * P11J configured as a user would: {@code pkcs11:token=<label>?module-path=<module>&pin-source=file:<pin file>}
     * (so it is logged in once configured).
     */
    static Provider p11j(String tokenLabel, Path module, Path pinFile) {
        String uri = "pkcs11:token=" + URLEncoder.encode(tokenLabel, StandardCharsets.UTF_8).replace("+", "%20")
                + "?module-path=" + module + "&pin-source=file:" + pinFile;
        return new P11jProvider().configure(uri);
    }

    /** P11J for a fixture token over {@code module}, its PIN in a file of {@link #dir()}. */
    static Provider p11j(TestToken token, Path module) {
        return p11j(token.label(), module, ProviderFixture.pinFile(token, dir()));
    }

    /** P11J for {@code token} on the fixture's SoftHSM2 module. */
    static Provider p11j(TestToken token) {
        return p11j(token, SoftHsm.get().modulePath());
    }

    /**
     * P11J for a fixture token over {@code module} as {@link #p11j(TestToken, Path)}, but from a configuration
     * file that also says {@code message-digests = on}: P11J offers no {@code MessageDigest} by default
     * (provider-config/README.md), and the digest benchmarks compare it with SunPKCS11's.
     */
    static Provider p11jWithDigests(TestToken token, Path module) {
        String uri = "pkcs11:token=" + URLEncoder.encode(token.label(), StandardCharsets.UTF_8).replace("+", "%20")
                + "?module-path=" + module + "&pin-source=file:" + ProviderFixture.pinFile(token, dir());
        Path config = dir().resolve("p11j-" + COUNTER.incrementAndGet() + ".conf");
        try {
            Files.writeString(config, "token = " + uri + "\nmessage-digests = on\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new P11jProvider().configure(config.toString());
    }

    /** A lookup of a provider's service, for {@link #requireP11j}. */
    @FunctionalInterface
    interface Lookup<T> {
        T get() throws GeneralSecurityException;
    }

    /**
     * {@code lookup}'s service from P11J, or a {@link P11jUnavailableException} naming {@code what}
     * when P11J has no such service (a {@link NoSuchAlgorithmException} or, for a KeyStore, a
     * {@code KeyStoreException} caused by one).
     */
    static <T> T requireP11j(String what, Lookup<T> lookup) throws GeneralSecurityException {
        try {
            return lookup.get();
        } catch (NoSuchAlgorithmException e) {
            throw new P11jUnavailableException(what, e);
        } catch (java.security.KeyStoreException e) {
            if (e.getCause() instanceof NoSuchAlgorithmException) {
                throw new P11jUnavailableException(what, e);
            }
            throw e;
        }
    }

    /** P11J lacks a service a benchmark needs: the message starts with {@link #P11J_UNAVAILABLE}. */
    static final class P11jUnavailableException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        P11jUnavailableException(String what, Exception cause) {
            super(P11J_UNAVAILABLE + ": P11J does not offer " + what + " (yet): " + cause.getMessage()
                    + " -- leave the P11J variant out (-p impl=sun, or -e 'p11jProvider|ServiceBenchmark.p11j'), or run scripts/bench.sh,"
                    + " which does so where P11J has no such service", cause);
        }
    }

    /**
     * The alias under which {@code ks} lists the key entry labelled {@code label}: the label itself
     * (SunPKCS11), or a {@code pkcs11:} URI whose {@code object} is the label (what a URI KeyStore may
     * use); else, failing both, the first key entry.
     */
    static String keyAlias(KeyStore ks, String label) throws GeneralSecurityException {
        List<String> aliases = Collections.list(ks.aliases());
        String fallback = null;
        for (String a : aliases) {
            if (!ks.isKeyEntry(a)) {
                continue;
            }
            if (a.equals(label) || a.matches("(?s).*[:;]object=" + java.util.regex.Pattern.quote(label) + "([;?].*)?")) {
                return a;
            }
            if (fallback == null) {
                fallback = a;
            }
        }
        if (fallback == null) {
            throw new IllegalStateException(ks.getProvider().getName() + "'s " + ks.getType() + " KeyStore lists no key entry among "
                    + aliases.size() + " aliases");
        }
        System.out.println("keyAlias: no alias names '" + label + "'; using the key entry " + fallback);
        return fallback;
    }

    /** A private directory for PIN files, deleted when the JVM exits. */
    static synchronized Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("p11j-bench-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path d = dir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (Stream<Path> s = Files.walk(d)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException ignored) {
                    // a temporary directory: best effort
                }
            }, "p11j-bench-cleanup"));
        }
        return dir;
    }

    /** "sun" or "p11j", case-insensitively; anything else is an error naming the values. */
    static String impl(String impl) {
        String i = impl.toLowerCase(Locale.ROOT);
        if (!i.equals("sun") && !i.equals("p11j")) {
            throw new IllegalArgumentException("impl must be sun or p11j, not " + impl);
        }
        return i;
    }
}
