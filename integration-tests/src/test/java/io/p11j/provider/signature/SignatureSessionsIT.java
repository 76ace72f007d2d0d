// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.key.PublicKeyImports;
import io.p11j.provider.signature.SignatureFixtures.Kind;
import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.attribute.Template;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Method;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.p11j.sys.Pkcs11Constants.CKO_PUBLIC_KEY;
import static io.p11j.wrapper.attribute.AttributeType.ID;
import static io.p11j.wrapper.attribute.AttributeType.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * How the engine uses the token's sessions, on a provider with a pool of exactly one session: a
 * single-part signature holds it only for the call, a multi-part one from the first update past
 * 64 KiB until sign — and an engine dropped halfway gives it back when it is collected. How it
 * keeps the session objects of imported software keys: once per key, bounded. And what the signing
 * hot path costs the heap.
 */
@ExtendWith(SoftHsmExtension.class)
class SignatureSessionsIT {

    /** The budget per signature of a 1 KiB message (the benchmark target), once the JIT has settled. */
    private static final long BYTES_PER_SIGNATURE = 1024;

    @TempDir
    static Path dir;
    static Provider oneSession;
    static KeyPair rsa;
    static ExecutorService other;

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        oneSession = SignatureFixtures.configured(token, dir, "one", "max-sessions = 1");
        rsa = Kind.RSA.generate(oneSession);
        other = Executors.newSingleThreadExecutor();
    }

    @AfterAll
    static void close() {
        other.shutdownNow();
    }

    /** Signs a small message on the other thread: it needs the pool's one session. */
    private static Future<byte[]> signElsewhere() {
        return other.submit(() -> {
            Signature s = Signature.getInstance("SHA256withRSA", oneSession);
            s.initSign(rsa.getPrivate());
            s.update(new byte[10]);
            return s.sign();
        });
    }

    @Test
    void aMultiPartSignatureHoldsTheSessionUntilSign() throws Exception {
        Signature small = Signature.getInstance("SHA256withRSA", oneSession);
        small.initSign(rsa.getPrivate());
        small.update(new byte[P11Signature.SINGLE_PART_LIMIT]);
        assertThat(signElsewhere().get(10, TimeUnit.SECONDS)).as("buffered: no session held yet").hasSize(256);

        Signature large = Signature.getInstance("SHA256withRSA", oneSession);
        large.initSign(rsa.getPrivate());
        large.update(new byte[P11Signature.SINGLE_PART_LIMIT + 1]);
        Future<byte[]> waiting = signElsewhere();
        assertThat(catchThrowable(() -> waiting.get(500, TimeUnit.MILLISECONDS)))
                .as("the multi-part operation has the only session").isInstanceOf(TimeoutException.class);
        large.update(new byte[5]);
        assertThat(large.sign()).hasSize(256);
        assertThat(waiting.get(10, TimeUnit.SECONDS)).as("given back at sign").hasSize(256);
        assertThat(small.sign()).hasSize(256);

        // A new init gives the session back too.
        large.update(new byte[P11Signature.SINGLE_PART_LIMIT + 1]);
        large.initSign(rsa.getPrivate());
        assertThat(signElsewhere().get(10, TimeUnit.SECONDS)).hasSize(256);
    }

    @Test
    void anAbandonedMultiPartSignatureGivesItsSessionBackWhenCollected() throws Exception {
        abandonHalfway(rsa.getPrivate());
        Future<byte[]> waiting = signElsewhere();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!waiting.isDone() && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        assertThat(waiting.get(1, TimeUnit.SECONDS)).hasSize(256);
    }

    private static void abandonHalfway(PrivateKey key) throws Exception {
        Signature s = Signature.getInstance("SHA256withRSA", oneSession);
        s.initSign(key);
        s.update(new byte[P11Signature.SINGLE_PART_LIMIT + 1]); // holds the session from here
    }

    @Test
    void importedSoftwareKeysAreImportedOnceAndTheirObjectsGoOnceEvictedAndUnused() throws Exception {
        TokenContext context = SignatureFixtures.contextOf(rsa);
        KeyPair soft = Kind.P256.generate(null);
        int before = importedObjects(context);
        for (int i = 0; i < 3; i++) {
            // Equal keys, distinct Java objects: one import.
            PublicKey copy = SignatureRoundTripIT.software(soft.getPublic());
            Signature v = Signature.getInstance("SHA256withECDSA", oneSession);
            v.initVerify(copy);
        }
        assertThat(importedObjects(context)).isEqualTo(before + 1);

        for (int i = 0; i < PublicKeyImports.CAPACITY + 20; i++) {
            Signature v = Signature.getInstance("SHA256withECDSA", oneSession);
            v.initVerify(Kind.P256.generate(null).getPublic());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (importedObjects(context) > PublicKeyImports.CAPACITY && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        assertThat(importedObjects(context)).as("evicted and unused: destroyed").isLessThanOrEqualTo(PublicKeyImports.CAPACITY);
    }

    /** Public key session objects on the token with a 16-byte CKA_ID: what the provider imports. */
    private static int importedObjects(TokenContext context) throws Exception {
        return context.execute(s -> {
            int n = 0;
            for (long h : s.findAll(Template.builder().objectClass(CKO_PUBLIC_KEY).flag(TOKEN, false).build())) {
                if (s.getAttribute(h, ID).map(id -> id.length == 16).orElse(false)) {
                    n++;
                }
            }
            return n;
        });
    }

    @Test
    void theSigningHotPathAllocatesLessThanABudget() throws Exception {
        for (String algorithm : new String[] {"SHA256withECDSA", "SHA256withECDSAinP1363Format", "SHA256withRSA",
            "SHA3-256withRSA", "Ed25519"}) {
            KeyPair kp = SignatureFixtures.kindFor(algorithm).generate(oneSession);
            Signature s = Signature.getInstance(algorithm, oneSession);
            s.initSign(kp.getPrivate());
            byte[] msg = new byte[1024];
            int rounds = algorithm.contains("RSA") ? 300 : 3000;
            for (int i = 0; i < rounds; i++) { // warm-up: the JIT compiles and scalar-replaces what it can
                s.update(msg);
                s.sign();
            }
            long before = allocatedBytes();
            for (int i = 0; i < rounds; i++) {
                s.update(msg);
                s.sign();
            }
            long perSignature = (allocatedBytes() - before) / rounds;
            System.out.printf("%s: %d bytes allocated per signature%n", algorithm, perSignature);
            assertThat(perSignature).as("%s bytes per signature", algorithm).isLessThanOrEqualTo(BYTES_PER_SIGNATURE);
        }
    }

    /**
     * This thread's allocated bytes ({@code com.sun.management.ThreadMXBean}), by reflection: the tests
     * compile inside module io.p11j, which does not read java.management.
     */
    private static long allocatedBytes() throws ReflectiveOperationException {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getThreadAllocatedBytes", long.class);
        return (Long) m.invoke(bean, Thread.currentThread().getId());
    }
}
