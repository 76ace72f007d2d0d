// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import io.p11j.testing.SoftHsm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.util.Enumeration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Loading a KeyStore of a token with {@link #objects} objects (default 1,000: see {@link KeyStoreTokens})
 * and using it as an application starting up does: {@code load}, every alias through
 * {@code aliases()}, and {@code getKey} of one private key. One operation is all three, on a fresh
 * {@code KeyStore} instance:
 *
 * <ul>
 *   <li>{@code impl=sun}: SunPKCS11's {@code KeyStore.getInstance("PKCS11", sunPkcs11)},
 *       {@code load(null, userPin)} (a logged-in token: the load does not log in again);</li>
 *   <li>{@code impl=p11j}: P11J's {@code KeyStore.getInstance("PKCS11-URI", p11j)} on a provider
 *       configured with the token's URI and a {@code pin-source} file, {@code load(null, null)}
 *       ({@link #P11J_LOAD}). Until P11J registers {@code PKCS11-URI} this variant stops in its
 *       setup with a {@code P11J-UNAVAILABLE} message, and scripts/bench.sh does not run it.</li>
 * </ul>
 *
 * The key asked for is the private key labelled {@link KeyStoreTokens#chosenKeyLabel}; its alias is
 * found once, in the setup ({@link BenchProviders#keyAlias}: the label, or a {@code pkcs11:} URI
 * naming it). A KeyStore that caches what it read across instances (in the provider) is measured
 * with its cache warm: that is what repeated loads in one JVM see.
 *
 * <p>{@code src/jmh/c/keystore_loop.c} is the floor in C: the minimal enumeration a lazy KeyStore
 * needs (find all, class + id + label of each) and the eager one (plus every certificate's value).
 * When {@link CallCounts} is active the setup also counts the token calls of one load (the first
 * and the second, which may differ if the store caches) through a second provider over the counting
 * module, untimed.
 *
 * <p>scripts/bench.sh fills one token per run and hands it to every fork and to the C loop
 * ({@link KeyStoreTokens#open}); run by hand, each fork fills a fixture token in its setup (several
 * seconds for 1,000 objects on SoftHSM2's file store). The smoke run uses {@code -p objects=40}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KeyStoreLoadBenchmark {

    static final String TOKEN_LABEL = "bench-ks";

    /**
     * The password P11J's PKCS11-URI KeyStore is loaded with, {@code load(null, P11J_LOAD)}: none, the provider
     * being configured for the token with a {@code pin-source}. (Change it here, once, if P11J's load wants more.)
     */
    static final char[] P11J_LOAD = null;

    @Param({"1000"})
    int objects;

    @Param({"sun", "p11j"})
    String impl;

    private Loader loader;
    /** Kept for the JVM's life: a P11J provider collected as garbage closes its sessions (with a warning). */
    private static Loader counted;

    /** One KeyStore implementation, set up for the token: what one benchmark operation does with it. */
    record Loader(Provider provider, String type, char[] password, String keyAlias) {

        /** A fresh KeyStore: load, every alias, one key. */
        Key loadAliasesGetKey(int[] aliasCount) throws Exception {
            KeyStore ks = KeyStore.getInstance(type, provider);
            ks.load(null, password);
            int n = 0;
            for (Enumeration<String> e = ks.aliases(); e.hasMoreElements(); e.nextElement()) {
                n++;
            }
            aliasCount[0] = n;
            return ks.getKey(keyAlias, null);
        }
    }

    private final int[] aliasCount = new int[1];

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        String which = BenchProviders.impl(impl);
        KeyStoreTokens.Filled token = KeyStoreTokens.open(objects, TOKEN_LABEL);
        loader = loader(which, token, SoftHsm.findModule());

        Key key = loader.loadAliasesGetKey(aliasCount);
        if (!(key instanceof PrivateKey) || !"EC".equals(key.getAlgorithm())) {
            throw new IllegalStateException(which + ": getKey(" + loader.keyAlias() + ") gave " + key + ", not an EC private key");
        }
        System.out.println("KeyStoreLoadBenchmark: " + which + " (" + loader.provider().getName() + ", KeyStore " + loader.type()
                + "): " + objects + " objects, " + aliasCount[0] + " aliases, key alias '" + loader.keyAlias() + "'");

        Optional<Path> counting = CallCounts.module();
        if (counting.isPresent()) {
            counted = loader(which, token, counting.get());
            String what = "KeyStoreLoad(" + which + "," + objects + ")";
            Loader c = counted;
            CallCounts.count(counting.get(), what + ",first", () -> c.loadAliasesGetKey(new int[1]));
            CallCounts.count(counting.get(), what, () -> c.loadAliasesGetKey(new int[1]));
        }
    }

    /** The loader for {@code impl} over {@code module} (the fixture's, or the counting module). */
    private Loader loader(String impl, KeyStoreTokens.Filled token, Path module) throws Exception {
        Provider provider;
        String type;
        char[] password;
        if (impl.equals("sun")) {
            provider = BenchProviders.sunPkcs11(TOKEN_LABEL, module, token.slotId());
            type = "PKCS11";
            password = token.pin();
        } else {
            provider = BenchProviders.p11j(token.label(), module, token.pinFile());
            type = "PKCS11-URI";
            password = P11J_LOAD;
            Provider p = provider;
            BenchProviders.requireP11j("KeyStore PKCS11-URI", () -> KeyStore.getInstance("PKCS11-URI", p));
        }
        KeyStore ks = KeyStore.getInstance(type, provider);
        ks.load(null, password);
        return new Loader(provider, type, password, BenchProviders.keyAlias(ks, KeyStoreTokens.chosenKeyLabel(objects)));
    }

    /** {@code load} + {@code aliases()} (all of them) + one {@code getKey}, on a fresh KeyStore. */
    @Benchmark
    public Key loadAliasesGetKey() throws Exception {
        return loader.loadAliasesGetKey(aliasCount);
    }
}
