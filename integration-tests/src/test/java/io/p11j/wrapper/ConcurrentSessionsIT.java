// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.p11j.sys.Pkcs11Constants.CKM_SHA256_RSA_PKCS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Smoke test of concurrent use: eight threads, each with its own session on the same token, sign
 * at the same time with one shared key; every signature must verify with the JDK.
 */
@ExtendWith(SoftHsmExtension.class)
class ConcurrentSessionsIT {

    private static final int THREADS = 8;
    private static final int SIGNATURES = 50;

    private final TestToken token;

    ConcurrentSessionsIT(TestToken token) {
        this.token = token;
    }

    private record Signed(int thread, int index, byte[] data, byte[] signature, long session) {
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void eightSessionsSignConcurrently() throws Exception {
        try (Pkcs11Module module = WrapperFixture.openModule()) {
            KeyPairHandles kp;
            RSAPublicKey pub;
            try (Session setup = WrapperFixture.userSession(module, token)) {
                // A token object, so every session sees it whatever the module thinks of session objects.
                kp = setup.generateKeyPair(Mechanism.of(io.p11j.sys.Pkcs11Constants.CKM_RSA_PKCS_KEY_PAIR_GEN),
                        WrapperFixture.rsaPublicTemplate("concurrent", 2048).set(AttributeType.TOKEN, true).build(),
                        WrapperFixture.rsaPrivateTemplate("concurrent").set(AttributeType.TOKEN, true).build());
                pub = WrapperFixture.rsaPublicKey(setup, kp.publicKey());

                ExecutorService pool = Executors.newFixedThreadPool(THREADS);
                CountDownLatch ready = new CountDownLatch(THREADS);
                CountDownLatch go = new CountDownLatch(1);
                try {
                    List<Future<List<Signed>>> futures = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        int thread = t;
                        futures.add(pool.submit(() -> {
                            List<Signed> out = new ArrayList<>();
                            try (Session s = WrapperFixture.userSession(module, token)) {
                                ready.countDown();
                                assertThat(go.await(60, TimeUnit.SECONDS)).isTrue();
                                Mechanism m = Mechanism.of(CKM_SHA256_RSA_PKCS);
                                for (int i = 0; i < SIGNATURES; i++) {
                                    byte[] data = ("thread " + thread + " message " + i).getBytes(StandardCharsets.UTF_8);
                                    out.add(new Signed(thread, i, data, s.sign(m, kp.privateKey(), data), s.handle()));
                                }
                            }
                            return out;
                        }));
                    }
                    assertThat(ready.await(60, TimeUnit.SECONDS)).as("all sessions open").isTrue();
                    go.countDown();

                    List<Signed> all = new ArrayList<>();
                    for (Future<List<Signed>> f : futures) {
                        all.addAll(f.get(100, TimeUnit.SECONDS)); // rethrows any thread's failure
                    }
                    assertThat(all).hasSize(THREADS * SIGNATURES);
                    Set<Long> sessions = new HashSet<>();
                    Signature jdk = Signature.getInstance("SHA256withRSA");
                    for (Signed sig : all) {
                        sessions.add(sig.session());
                        jdk.initVerify(pub);
                        jdk.update(sig.data());
                        assertThat(jdk.verify(sig.signature()))
                                .as("thread %d signature %d", sig.thread(), sig.index()).isTrue();
                    }
                    assertThat(sessions).as("one session per thread").hasSize(THREADS);
                    // The setup session was untouched by the others.
                    assertThat(setup.info().state()).isEqualTo(SessionInfo.State.RW_USER);
                } finally {
                    pool.shutdownNow();
                    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
                }
                setup.destroyObject(kp.privateKey());
                setup.destroyObject(kp.publicKey());
            }
        }
    }
}
