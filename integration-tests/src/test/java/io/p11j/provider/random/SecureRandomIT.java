// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.random;

import io.p11j.provider.P11jProvider;
import io.p11j.provider.key.P11Key;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.TokenFlag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code SecureRandom "PKCS11"} on the token's {@code C_GenerateRandom}. */
@ExtendWith(SoftHsmExtension.class)
class SecureRandomIT {

    @TempDir
    static Path dir;
    static Provider provider;

    @BeforeAll
    static void configure(TestToken token) {
        provider = ProviderFixture.provider(token, dir);
    }

    @Test
    void registeredWhereTheTokenHasAnRngThreadSafe() throws Exception {
        boolean rng = ((P11Key) KeyPairGenerator.getInstance("EC", provider).generateKeyPair().getPrivate()).context()
                .info().has(TokenFlag.RNG);
        assertThat(rng).as("SoftHSM2 has an RNG").isTrue();
        Provider.Service s = provider.getService("SecureRandom", "PKCS11");
        assertThat(s).isNotNull();
        assertThat(s.getAttribute("ThreadSafe")).isEqualTo("true");
        assertThat(new P11jProvider().getService("SecureRandom", "PKCS11")).as("unconfigured: no token, no RNG").isNull();
    }

    @Test
    void bytesOfEveryLengthAndDifferent() throws Exception {
        SecureRandom r = SecureRandom.getInstance("PKCS11", provider);
        assertThat(r.getProvider()).isSameAs(provider);
        Set<ByteBuffer> seen = new HashSet<>();
        for (int n : new int[] {1, 16, 32, 33, P11SecureRandom.SMALL, P11SecureRandom.SMALL + 1, P11SecureRandom.BUFFER, 1000,
                64 * 1024, 64 * 1024 + 1, 300_000}) {
            byte[] a = new byte[n];
            byte[] b = new byte[n];
            r.nextBytes(a);
            r.nextBytes(b);
            if (n >= 16) {
                assertThat(a).as(n + " bytes, twice").isNotEqualTo(b);
                assertThat(a).as("not left zero").isNotEqualTo(new byte[n]);
                assertThat(seen.add(ByteBuffer.wrap(a))).isTrue();
            }
            if (n > 64 * 1024) {
                // Every chunk of a long request is filled: its last 32 bytes are not zero either.
                assertThat(java.util.Arrays.copyOfRange(a, n - 32, n)).isNotEqualTo(new byte[32]);
            }
        }
        r.nextBytes(new byte[0]);
        assertThat(r.generateSeed(0)).isEmpty();
        assertThat(r.generateSeed(48)).hasSize(48).isNotEqualTo(r.generateSeed(48));
        assertThat(r.nextInt()).isNotNull(); // the derived methods work through nextBytes
    }

    @Test
    void seedingSupplementsAndIsAccepted() throws Exception {
        SecureRandom r = SecureRandom.getInstance("PKCS11", provider);
        r.setSeed(new byte[] {1, 2, 3, 4});
        r.setSeed(42L);
        r.setSeed(new byte[0]);
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        r.nextBytes(a);
        SecureRandom other = SecureRandom.getInstance("PKCS11", provider);
        other.setSeed(new byte[] {1, 2, 3, 4});
        other.nextBytes(b);
        assertThat(a).as("a seed does not make the output repeatable").isNotEqualTo(b);
        // Small requests come from a buffer: a long run of them never repeats a value or leaves zeros.
        Set<ByteBuffer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            byte[] x = new byte[1 + i % P11SecureRandom.SMALL];
            r.nextBytes(x);
            if (x.length >= 16) {
                assertThat(seen.add(ByteBuffer.wrap(x))).isTrue();
                assertThat(x).isNotEqualTo(new byte[x.length]);
            }
            if (i % 100 == 0) {
                r.setSeed(i); // empties the buffer: the next request refills it
            }
        }
    }

    @Test
    void oneInstanceSharedByManyThreads() throws Exception {
        SecureRandom r = SecureRandom.getInstance("PKCS11", provider);
        int threads = 8;
        int each = 300;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<ByteBuffer>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Callable<List<ByteBuffer>> work = () -> {
                    List<ByteBuffer> out = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        byte[] b = new byte[32];
                        r.nextBytes(b);
                        out.add(ByteBuffer.wrap(b));
                    }
                    return out;
                };
                results.add(pool.submit(work));
            }
            Set<ByteBuffer> all = new HashSet<>();
            for (Future<List<ByteBuffer>> f : results) {
                all.addAll(f.get());
            }
            assertThat(all).as("every 32-byte output distinct").hasSize(threads * each);
        } finally {
            pool.shutdownNow();
        }
    }
}
