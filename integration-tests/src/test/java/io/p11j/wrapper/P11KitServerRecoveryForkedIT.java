// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Function;
import io.p11j.testing.CallLog;
import io.p11j.testing.P11KitServer;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.Tools;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SessionPool} recovery from a real outage of a remote token: a SoftHSM2 token served by
 * {@code p11-kit server} over a Unix socket, used through {@code p11-kit-client.so}, and the server
 * killed — with every connection it serves — and started again.
 *
 * <p>What the client does (p11-kit 0.24): once its connection is gone, every call answers
 * {@code CKR_DEVICE_ERROR}, also after the server is back, until {@code C_Finalize} and
 * {@code C_Initialize}; so the pool must escalate to re-initializing the module, which it may do
 * because it initialized it. Re-initialized while the server is down, the client initializes
 * ({@code CKR_OK}) with no slot, and finds the server again only at its next re-initialization, so
 * the pool keeps re-initializing while the token is missing. Runs in a JVM of its own (the {@code forked-module} execution), which
 * gives it {@code P11_KIT_SERVER_ADDRESS} from the start and a private SoftHSM2 configuration that
 * only the server loads.
 */
class P11KitServerRecoveryForkedIT {

    private static final String LABEL = "p11kit-recovery";
    private static final String SO_PIN = "so-pin-1234";
    private static final String USER_PIN = "user-pin-1234";
    private static final byte[] BLOCK = "sixteen byte blk".getBytes(StandardCharsets.US_ASCII);

    private static Path home;
    private static P11KitServer server;
    private static CallLog calls;
    private static Pkcs11Module module;

    @BeforeAll
    static void serveTokenAndLoadClient() throws Exception {
        // The server's SoftHSM2 configuration and tokens sit beside the socket, in a directory of this
        // test JVM's own (the socket path differs between the build's executions); no SoftHSM2 is loaded here.
        Path socket = P11KitServer.socketFromEnvironment().toAbsolutePath();
        home = socket.resolveSibling(socket.getFileName().toString().replaceFirst("\\.sock$", "") + "-home");
        Path conf = home.resolve("softhsm2.conf");
        Path tokens = home.resolve("tokens");
        Path build = Path.of(System.getProperty("project.build.directory", "target")).toAbsolutePath();
        if (!tokens.startsWith(build)) {
            throw new IllegalStateException("refusing to make tokens in " + tokens + ", outside the build directory "
                    + build + ": point " + P11KitServer.ADDRESS_ENV + " at a socket in it");
        }
        deleteTree(tokens);
        Files.createDirectories(tokens);
        Files.writeString(conf, String.join("\n",
                "# Written by " + P11KitServerRecoveryForkedIT.class.getSimpleName() + " for its p11-kit server.",
                "directories.tokendir = " + tokens,
                "objectstore.backend = file",
                "log.level = ERROR",
                "slots.removable = false",
                ""), StandardCharsets.UTF_8);
        Path util = Tools.require("softhsm2-util", "softhsm2");
        ProcessBuilder init = new ProcessBuilder(util.toString(), "--init-token", "--free", "--label", LABEL,
                "--so-pin", SO_PIN, "--pin", USER_PIN).redirectErrorStream(true);
        init.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = init.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("softhsm2-util --init-token:\n" + out).isZero();

        server = new P11KitServer(SoftHsm.findModule(), conf, socket,
                "pkcs11:token=" + LABEL, home);
        server.start();
        calls = new CallLog();
        module = Pkcs11Module.open(P11KitServer.clientModule(), ModuleOptions.defaults().withDecorator(calls.decorator()));
        assertThat(module.ownsInitialization()).as("this JVM initialized the client, so recovery may re-initialize it").isTrue();
    }

    @AfterAll
    static void tearDown() throws Exception {
        try {
            if (module != null) {
                module.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
            if (home != null) {
                deleteTree(home.resolve("tokens"));
            }
        }
    }

    @Test
    void serverKilledAndRestarted_nextCallRecoversTransparently() throws Exception {
        Token token = tokenByLabel();
        long slotBefore = token.slot().id();
        try (SessionPool pool = SessionPool.open(token, PoolConfig.defaults().withRecoveryTimeout(Duration.ofSeconds(10)),
                PinSupplier.of(USER_PIN.toCharArray()))) {
            ObjectRef key = generateAesKey(pool, "restart");
            byte[] before = encrypt(pool, key);
            long epochBefore = pool.epoch();
            // A session outside the pool: it stays current until the module is re-initialized.
            Session witness = token.openSession(false);
            assertThat(witness.isCurrent()).isTrue();

            long stopStart = System.nanoTime();
            int killed = server.stop();
            long stopMillis = elapsedMillis(stopStart);
            assertThat(killed).as("the server and the p11-kit-remote serving our connection").isGreaterThanOrEqualTo(2);
            long restartStart = System.nanoTime();
            server.start();
            long restartMillis = elapsedMillis(restartStart);

            int mark = calls.mark();
            long start = System.nanoTime();
            byte[] after = encrypt(pool, key);
            long recoveryMillis = elapsedMillis(start);
            List<CallLog.Call> failures = calls.failuresSince(mark);
            report("restart: server group of " + killed + " processes ended in " + stopMillis + " ms, restarted in " + restartMillis
                    + " ms; recovered in " + recoveryMillis + " ms; calls " + calls.since(mark)
                    + "; slot " + slotBefore + " -> " + pool.token().slot().id());

            assertThat(after).as("AES-ECB under the same key after recovery").isEqualTo(before);
            assertThat(pool.epoch()).isGreaterThan(epochBefore);
            assertThat(witness.isCurrent()).as("the module was re-initialized").isFalse();
            assertThat(calls.since(mark)).as("re-initialized")
                    .contains(new CallLog.Call(Pkcs11Function.C_Finalize, CKR_OK), new CallLog.Call(Pkcs11Function.C_Initialize, CKR_OK));
            assertThat(failures).as("what the client answered before re-initialization")
                    .contains(new CallLog.Call(Pkcs11Function.C_EncryptInit, CKR_DEVICE_ERROR));
            assertThat(calls.count(mark, Pkcs11Function.C_Login)).as("logged in again").isGreaterThanOrEqualTo(1);
            assertThat(calls.since(calls.mark() - 1)).as("the last call, the retried encryption, succeeded")
                    .containsExactly(new CallLog.Call(Pkcs11Function.C_Encrypt, CKR_OK));
            witness.close();

            // And the pool goes on as before: a fresh session sees the key, the same ciphertext again.
            assertThat(encrypt(pool, key)).isEqualTo(before);
            destroy(pool, key);
        }
    }

    @Test
    void serverStaysDown_callFailsWithinRecoveryTimeout_thenWorksOnceServerIsBack() throws Exception {
        Token token = tokenByLabel();
        Duration timeout = Duration.ofMillis(1500);
        try (SessionPool pool = SessionPool.open(token, PoolConfig.defaults().withRecoveryTimeout(timeout),
                PinSupplier.of(USER_PIN.toCharArray()))) {
            ObjectRef key = generateAesKey(pool, "outage");
            byte[] before = encrypt(pool, key);
            long epochBefore = pool.epoch();

            server.stop();
            try {
                int mark = calls.mark();
                long start = System.nanoTime();
                assertThatThrownBy(() -> encrypt(pool, key))
                        .isInstanceOf(TokenUnavailableException.class)
                        .hasMessageContaining("token '" + LABEL + "'")
                        .hasMessageContaining("did not come back within " + timeout.toMillis() + " ms")
                        .satisfies(e -> report("server down: " + e + "; cause " + e.getCause()));
                long failedAfter = elapsedMillis(start);
                report("server down: TokenUnavailableException after " + failedAfter + " ms (recovery timeout "
                        + timeout.toMillis() + " ms); distinct failed calls "
                        + calls.failuresSince(mark).stream().distinct().toList());
                assertThat(failedAfter).as("the caller waited the recovery timeout, not much longer")
                        .isBetween(timeout.toMillis() - 10, timeout.toMillis() + 2000);
                assertThat(calls.failuresSince(mark)).contains(new CallLog.Call(Pkcs11Function.C_EncryptInit, CKR_DEVICE_ERROR));

                // Still down: a second caller gets the same answer in the same time, and nothing hangs.
                mark = calls.mark();
                start = System.nanoTime();
                assertThatThrownBy(() -> encrypt(pool, key)).isInstanceOf(TokenUnavailableException.class);
                long again = elapsedMillis(start);
                report("still down: TokenUnavailableException again after " + again + " ms; distinct calls "
                        + calls.since(mark).stream().distinct().toList() + "; C_Initialize calls "
                        + calls.count(mark, Pkcs11Function.C_Initialize));
                assertThat(again).isLessThan(timeout.toMillis() + 2000);
            } finally {
                server.start();
            }

            int back = calls.mark();
            long start = System.nanoTime();
            byte[] after = encrypt(pool, key);
            report("server back: recovered in " + elapsedMillis(start) + " ms, epoch " + epochBefore + " -> " + pool.epoch()
                    + "; calls " + calls.since(back));
            assertThat(after).isEqualTo(before);
            assertThat(pool.epoch()).isGreaterThan(epochBefore);
            destroy(pool, key);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Token tokenByLabel() throws Exception {
        for (Token t : module.tokens()) {
            if (t.info().label().equals(LABEL)) {
                return t;
            }
        }
        throw new AssertionError("token " + LABEL + " not served by the p11-kit server");
    }

    static ObjectRef generateAesKey(SessionPool pool, String name) throws Exception {
        Template template = Template.builder()
                .objectClass(CKO_SECRET_KEY)
                .keyType(CKK_AES)
                .set(AttributeType.VALUE_LEN, 16L)
                .flag(AttributeType.TOKEN, true)
                .flag(AttributeType.PRIVATE, true)
                .flag(AttributeType.SENSITIVE, true)
                .flag(AttributeType.ENCRYPT, true)
                .flag(AttributeType.DECRYPT, true)
                .label("recovery-" + name)
                .id(("id-" + name).getBytes(StandardCharsets.US_ASCII))
                .build();
        return pool.execute(s -> pool.ref(s, s.generateKey(Mechanism.of(CKM_AES_KEY_GEN), template)));
    }

    static byte[] encrypt(SessionPool pool, ObjectRef key) throws Exception {
        return pool.execute(s -> s.encrypt(Mechanism.of(CKM_AES_ECB), key.handle(s), BLOCK));
    }

    static void destroy(SessionPool pool, ObjectRef key) throws Exception {
        pool.execute(s -> {
            s.destroyObject(key.handle(s));
            return null;
        });
    }

    static long elapsedMillis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    static void report(String line) {
        System.out.println("[recovery] " + line);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
