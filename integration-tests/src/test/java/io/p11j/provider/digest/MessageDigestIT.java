// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.digest;

import io.p11j.provider.key.P11Key;
import io.p11j.provider.token.TokenContext;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code MessageDigest} on the token: equal to the JDK's {@code SUN} digests for every size and way of
 * feeding the data, across the switch from buffering in Java to a multi-part operation on the token;
 * reset and clone; and the {@code message-digests} switch that decides whether digests are offered.
 */
@ExtendWith(SoftHsmExtension.class)
class MessageDigestIT {

    /** Sizes around the block sizes and around the single-part limit. */
    static final int[] SIZES = {0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 4096, P11MessageDigest.SINGLE_PART_LIMIT - 1,
            P11MessageDigest.SINGLE_PART_LIMIT, P11MessageDigest.SINGLE_PART_LIMIT + 1, 200_000, 1 << 20};

    @TempDir
    static Path dir;
    static Provider plain;
    static Provider digests;
    static TokenContext context;
    static List<String> offered = new ArrayList<>();

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        plain = ProviderFixture.provider(token, dir);
        Path conf = dir.resolve("digests.conf");
        Files.writeString(conf, "name = digests\ntoken = " + ProviderFixture.uri(token, dir) + "\nmessage-digests = on\n");
        digests = new io.p11j.provider.P11jProvider().configure(conf.toString());
        context = ((P11Key) KeyPairGenerator.getInstance("EC", plain).generateKeyPair().getPrivate()).context();
        for (DigestServices.Algorithm a : DigestServices.ALGORITHMS) {
            if (context.supports(a.mechanism())) {
                offered.add(a.name());
            }
        }
        System.out.println("MessageDigest algorithms the token offers: " + offered);
    }

    @Test
    void offeredOnlyWithMessageDigestsOn() {
        assertThat(plain.getServices()).noneMatch(s -> s.getType().equals("MessageDigest"));
        // SoftHSM2 2.6.1 has SHA-1 and SHA-2 (not SHA-512/t, not SHA-3): at least those must be there.
        assertThat(offered).contains("SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512");
        for (DigestServices.Algorithm a : DigestServices.ALGORITHMS) {
            Provider.Service s = digests.getService("MessageDigest", a.name());
            assertThat(s != null).as(a.name()).isEqualTo(offered.contains(a.name()));
        }
        assertThatThrownBy(() -> MessageDigest.getInstance("SHA-256", plain)).isInstanceOf(NoSuchAlgorithmException.class);
    }

    @Test
    void aliasesAsSunPkcs11() throws Exception {
        assertThat(MessageDigest.getInstance("SHA", digests).getAlgorithm()).isEqualTo("SHA");
        assertThat(MessageDigest.getInstance("SHA256", digests).getDigestLength()).isEqualTo(32);
        assertThat(MessageDigest.getInstance("2.16.840.1.101.3.4.2.1", digests).getProvider()).isSameAs(digests);
    }

    @Test
    void equalToSunForEverySize() throws Exception {
        Random random = new Random(1);
        for (String name : offered) {
            MessageDigest ours = MessageDigest.getInstance(name, digests);
            MessageDigest sun = MessageDigest.getInstance(name, "SUN");
            assertThat(ours.getDigestLength()).isEqualTo(sun.getDigestLength());
            for (int size : SIZES) {
                byte[] m = new byte[size];
                random.nextBytes(m);
                assertThat(ours.digest(m)).as(name + " of " + size + " bytes").isEqualTo(sun.digest(m));
            }
        }
    }

    @Test
    void equalToSunForRandomSplits() throws Exception {
        Random random = new Random(2);
        for (String name : offered) {
            MessageDigest ours = MessageDigest.getInstance(name, digests);
            MessageDigest sun = MessageDigest.getInstance(name, "SUN");
            for (int round = 0; round < 12; round++) {
                int size = round % 3 == 0 ? random.nextInt(300_000) : random.nextInt(5000);
                byte[] m = new byte[size];
                random.nextBytes(m);
                int at = 0;
                while (at < size) {
                    int n = Math.min(size - at, random.nextInt(random.nextBoolean() ? 70 : 40_000) + 1);
                    switch (random.nextInt(4)) {
                        case 0 -> {
                            for (int i = 0; i < n; i++) {
                                ours.update(m[at + i]);
                            }
                        }
                        case 1 -> ours.update(ByteBuffer.wrap(m, at, n));
                        case 2 -> {
                            ByteBuffer direct = ByteBuffer.allocateDirect(n);
                            direct.put(m, at, n).flip();
                            ours.update(direct);
                        }
                        default -> ours.update(m, at, n);
                    }
                    at += n;
                }
                byte[] out = new byte[ours.getDigestLength() + 3];
                int written = ours.digest(out, 3, ours.getDigestLength());
                assertThat(written).isEqualTo(sun.getDigestLength());
                assertThat(java.util.Arrays.copyOfRange(out, 3, out.length)).as(name + " of " + size + " bytes in pieces")
                        .isEqualTo(sun.digest(m));
            }
        }
    }

    @Test
    void resetForgetsBufferedAndTokenState() throws Exception {
        MessageDigest ours = MessageDigest.getInstance("SHA-256", digests);
        MessageDigest sun = MessageDigest.getInstance("SHA-256", "SUN");
        byte[] m = "abc".getBytes();
        ours.update(new byte[100]);
        ours.reset();
        assertThat(ours.digest(m)).isEqualTo(sun.digest(m));
        ours.update(new byte[P11MessageDigest.SINGLE_PART_LIMIT * 3]); // on the token now
        ours.reset();
        assertThat(ours.digest(m)).isEqualTo(sun.digest(m));
        // Engines abandoned in the middle of a token operation give their sessions back; the pool stays usable.
        for (int i = 0; i < 40; i++) {
            MessageDigest.getInstance("SHA-256", digests).update(new byte[P11MessageDigest.SINGLE_PART_LIMIT + 1]);
            System.gc();
        }
        assertThat(ours.digest(m)).isEqualTo(sun.digest(m));
    }

    @Test
    void cloneWhileBufferedNotOnceOnTheToken() throws Exception {
        MessageDigest ours = MessageDigest.getInstance("SHA-384", digests);
        MessageDigest sun = MessageDigest.getInstance("SHA-384", "SUN");
        byte[] a = "the common prefix".getBytes();
        ours.update(a);
        MessageDigest copy = (MessageDigest) ours.clone();
        ours.update("one".getBytes());
        copy.update("two".getBytes());
        sun.update(a);
        MessageDigest sunCopy = (MessageDigest) sun.clone();
        sun.update("one".getBytes());
        sunCopy.update("two".getBytes());
        assertThat(ours.digest()).isEqualTo(sun.digest());
        assertThat(copy.digest()).isEqualTo(sunCopy.digest());

        ours.update(new byte[P11MessageDigest.SINGLE_PART_LIMIT + 1]);
        assertThatThrownBy(ours::clone).isInstanceOf(CloneNotSupportedException.class)
                .hasMessageContaining("no-operation-state");
        assertThat(ours.digest()).isEqualTo(sun.digest(new byte[P11MessageDigest.SINGLE_PART_LIMIT + 1]));
        assertThat(ours.clone()).isNotNull(); // after digest it buffers again
    }
}
