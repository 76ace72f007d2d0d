// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Function;
import io.p11j.testing.CallLog;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.P11KitServerRecoveryForkedIT.elapsedMillis;
import static io.p11j.wrapper.P11KitServerRecoveryForkedIT.encrypt;
import static io.p11j.wrapper.P11KitServerRecoveryForkedIT.generateAesKey;
import static io.p11j.wrapper.P11KitServerRecoveryForkedIT.report;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SessionPool} recovery from a SoftHSM2 token whose directory goes away and comes back (a
 * storage outage, or a token restored from a backup), with the module loaded in this process.
 *
 * <p>What SoftHSM2 (2.6) does: while the directory is away, the old key handle answers
 * {@code CKR_OBJECT_HANDLE_INVALID} and {@code C_GetTokenInfo} {@code CKR_GENERAL_ERROR}, while the
 * session still answers {@code C_GetSessionInfo}; a module re-initialized then lists the token no more,
 * and does not find it again once the directory is back until it is re-initialized once more. So a
 * vanished key on a token that cannot describe itself must make the pool re-initialize the module (the
 * wrapper initialized it, through the test fixture), and keep doing so while the token is missing. Runs
 * in a JVM of its own (the {@code forked-module} execution), since re-initializing ends every session
 * of the process.
 */
class TokenDirectoryRecoveryForkedIT {

    @Test
    void tokenDirectoryAwayThenBack_callFailsWhileAway_thenPoolRecovers() throws Exception {
        SoftHsm hsm = SoftHsm.get();
        Set<Path> before = tokenSubdirectories(hsm.tokenDir());
        TestToken testToken = SoftHsmExtension.createToken("tokdir-recovery");
        Set<Path> created = tokenSubdirectories(hsm.tokenDir());
        created.removeAll(before);
        assertThat(created).as("SoftHSM2 keeps the new token in one directory of its own").hasSize(1);
        Path dir = created.iterator().next();
        Path away = hsm.tokenDir().resolveSibling("away-" + dir.getFileName());

        CallLog calls = new CallLog();
        try (Pkcs11Module module = Pkcs11Module.open(hsm.modulePath(), ModuleOptions.defaults().withDecorator(calls.decorator()))) {
            assertThat(module.ownsInitialization()).as("the fixture opened SoftHSM2 through the wrapper").isTrue();
            Token token = tokenByLabel(module, testToken.label());
            assertThat(token.info().label()).isEqualTo(testToken.label());
            Duration timeout = Duration.ofSeconds(1);
            try (SessionPool pool = SessionPool.open(token, PoolConfig.defaults().withRecoveryTimeout(timeout),
                    PinSupplier.of(testToken.userPinChars()))) {
                ObjectRef key = generateAesKey(pool, "tokdir");
                byte[] ciphertext = encrypt(pool, key);
                long epochBefore = pool.epoch();
                Session witness = token.openSession(false);

                Files.move(dir, away);
                try {
                    int mark = calls.mark();
                    long start = System.nanoTime();
                    assertThatThrownBy(() -> encrypt(pool, key))
                            .isInstanceOf(TokenUnavailableException.class)
                            .hasMessageContaining("token '" + testToken.label() + "'")
                            .hasMessageContaining("did not come back within " + timeout.toMillis() + " ms")
                            .satisfies(e -> report("directory away: " + e + "; cause " + e.getCause()));
                    long failedAfter = elapsedMillis(start);
                    List<CallLog.Call> seen = calls.since(mark).stream().distinct().toList();
                    report("directory away: TokenUnavailableException after " + failedAfter + " ms (recovery timeout "
                            + timeout.toMillis() + " ms); distinct calls " + seen);
                    assertThat(failedAfter).as("the caller waited the recovery timeout, not much longer")
                            .isBetween(timeout.toMillis() - 10, timeout.toMillis() + 2000);
                    assertThat(seen).as("the stale key, and the token that cannot describe itself")
                            .contains(new CallLog.Call(Pkcs11Function.C_EncryptInit, CKR_OBJECT_HANDLE_INVALID),
                                    new CallLog.Call(Pkcs11Function.C_GetTokenInfo, CKR_GENERAL_ERROR));
                } finally {
                    Files.move(away, dir);
                }

                int mark = calls.mark();
                long start = System.nanoTime();
                byte[] after = encrypt(pool, key);
                report("directory back: recovered in " + elapsedMillis(start) + " ms, epoch " + epochBefore + " -> "
                        + pool.epoch() + ", slot " + testToken.slotId() + " -> " + pool.token().slot().id()
                        + "; calls " + calls.since(mark));
                assertThat(after).as("AES-ECB under the same key after recovery").isEqualTo(ciphertext);
                assertThat(pool.epoch()).isGreaterThan(epochBefore);
                assertThat(witness.isCurrent()).as("the module was re-initialized").isFalse();
                assertThat(calls.since(mark)).as("re-initialized")
                        .contains(new CallLog.Call(Pkcs11Function.C_Finalize, CKR_OK), new CallLog.Call(Pkcs11Function.C_Initialize, CKR_OK));
                assertThat(calls.count(mark, Pkcs11Function.C_Login)).as("logged in again").isGreaterThanOrEqualTo(1);
                witness.close();

                assertThat(encrypt(pool, key)).isEqualTo(ciphertext);
                pool.execute(s -> {
                    s.destroyObject(key.handle(s));
                    return null;
                });
            }
        } finally {
            if (Files.exists(away) && !Files.exists(dir)) {
                Files.move(away, dir);
            }
        }
    }

    /**
     * Pools whose module another pool re-initialized (here: that pool's token directory went away and
     * back) must find their keys again, though their own token never failed and keeps its slot: the
     * old handles are gone, and a handle number may now name another object. Two pools share one
     * token, so the second one to come back finds the token logged in already (login state is
     * token-wide) and cannot tell from that that its handles are stale.
     */
    @Test
    void moduleReinitializedByAnotherPool_poolsOnAnotherTokenFindTheirKeysAgain() throws Exception {
        SoftHsm hsm = SoftHsm.get();
        Set<Path> before = tokenSubdirectories(hsm.tokenDir());
        TestToken other = SoftHsmExtension.createToken("tokdir-other");
        Set<Path> created = tokenSubdirectories(hsm.tokenDir());
        created.removeAll(before);
        assertThat(created).hasSize(1);
        Path otherDir = created.iterator().next();
        Path away = hsm.tokenDir().resolveSibling("away-" + otherDir.getFileName());
        TestToken mine = SoftHsmExtension.createToken("tokdir-mine");

        CallLog calls = new CallLog();
        PoolConfig config = PoolConfig.defaults().withRecoveryTimeout(Duration.ofMillis(500));
        try (Pkcs11Module module = Pkcs11Module.open(hsm.modulePath(), ModuleOptions.defaults().withDecorator(calls.decorator()));
             SessionPool otherPool = SessionPool.open(tokenByLabel(module, other.label()), config,
                     PinSupplier.of(other.userPinChars()))) {
            // Tokens made in this process sit in the slots they were made in until SoftHSM2 is
            // re-initialized, then in slots named after their serials: take that move first.
            outage(otherPool, otherDir, away);
            byte[] random = otherPool.execute(s -> s.generateRandom(4));
            assertThat(random).hasSize(4);

            Token myToken = tokenByLabel(module, mine.label());
            try (SessionPool first = SessionPool.open(myToken, config, PinSupplier.of(mine.userPinChars()));
                 SessionPool second = SessionPool.open(myToken, config, PinSupplier.of(mine.userPinChars()))) {
                ObjectRef firstKey = generateAesKey(first, "first");
                ObjectRef secondKey = generateAesKey(second, "second");
                byte[] firstCiphertext = encrypt(first, firstKey);
                byte[] secondCiphertext = encrypt(second, secondKey);
                assertThat(firstCiphertext).isNotEqualTo(secondCiphertext);
                long firstEpoch = first.epoch();
                long secondEpoch = second.epoch();

                int mark = calls.mark();
                outage(otherPool, otherDir, away); // the other pool re-initializes the module
                assertThat(calls.count(mark, Pkcs11Function.C_Finalize)).as("re-initialized").isPositive();
                assertThat(calls.count(mark, Pkcs11Function.C_Initialize)).isPositive();

                mark = calls.mark();
                // The first pool back logs the token in again and finds its key (its first call fails:
                // not logged in, or the handle is stale); the second finds the token logged in.
                assertThat(encrypt(second, secondKey)).as("second pool, same key as before").isEqualTo(secondCiphertext);
                assertThat(encrypt(first, firstKey)).as("first pool, same key as before").isEqualTo(firstCiphertext);
                report("module re-initialized by another pool: epochs " + firstEpoch + " -> " + first.epoch() + " and "
                        + secondEpoch + " -> " + second.epoch() + ", slot " + myToken.slot().id() + " -> "
                        + first.token().slot().id() + "; calls " + calls.since(mark));
                assertThat(first.epoch()).isGreaterThan(firstEpoch);
                assertThat(second.epoch()).isGreaterThan(secondEpoch);
                assertThat(calls.failuresSince(mark)).as("nothing failed: each pool knew its handles were stale")
                        .allMatch(c -> c.function() == Pkcs11Function.C_Login && c.rv() == CKR_USER_ALREADY_LOGGED_IN);
            }
        } finally {
            if (Files.exists(away) && !Files.exists(otherDir)) {
                Files.move(away, otherDir);
            }
        }
    }

    /** Moves the token directory away, lets {@code pool} fail on it (re-initializing the module), moves it back. */
    private static void outage(SessionPool pool, Path dir, Path away) throws Exception {
        String label = pool.execute(s -> s.token().info().label());
        assertThat(label).isNotBlank();
        Files.move(dir, away);
        try {
            assertThatThrownBy(() -> pool.execute(s -> s.token().info())).isInstanceOf(TokenUnavailableException.class);
        } finally {
            Files.move(away, dir);
        }
    }

    private static Token tokenByLabel(Pkcs11Module module, String label) throws Exception {
        for (Token t : module.tokens()) {
            if (t.info().label().equals(label)) {
                return t;
            }
        }
        throw new AssertionError("no token " + label);
    }

    private static Set<Path> tokenSubdirectories(Path tokenDir) throws Exception {
        try (Stream<Path> s = Files.list(tokenDir)) {
            return new HashSet<>(s.filter(Files::isDirectory).toList());
        }
    }
}
