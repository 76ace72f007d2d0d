// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.CipherInputStream;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.Provider;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.Random;

import static io.p11j.provider.cipher.CipherFixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * 1 GiB of generated data encrypted through a {@code CipherInputStream} on the token, CBC, CTR and
 * GCM, compared block by block with SunJCE encrypting the same stream with the same key bytes, while
 * the heap stays far below the data's size (checked after a collection every 128 MiB): the multi-part
 * path streams, it does not hold the message.
 */
@ExtendWith(SoftHsmExtension.class)
class CipherStreamingIT {

    static final long SIZE = 1L << 30;
    static final int READ = 64 * 1024;
    static final long HEAP_LIMIT = 256L << 20;

    @TempDir
    static Path dir;
    static Provider provider;
    static TokenContext context;

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        context = CipherFixtures.context(provider);
    }

    @Test
    void cbcCtrAndGcmEncryptOneGibibyteLikeSunJce() throws Exception {
        Random r = new Random(53);
        byte[] k = bytes(r, 32);
        P11SecretKey key = CipherFixtures.aes(context, k);
        for (String t : new String[] {"AES/CBC/PKCS5Padding", "AES/CTR/NoPadding", "AES/GCM/NoPadding"}) {
            AlgorithmParameterSpec spec = t.contains("GCM") ? new GCMParameterSpec(128, bytes(r, 12)) : new IvParameterSpec(bytes(r, 16));
            Cipher ours = Cipher.getInstance(t, provider);
            ours.init(Cipher.ENCRYPT_MODE, key, spec);
            Cipher theirs = Cipher.getInstance(t, "SunJCE");
            theirs.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), spec);
            if (t.contains("GCM")) {
                ours.updateAAD(new byte[] {1, 2});
                theirs.updateAAD(new byte[] {1, 2});
            }
            long compared = 0;
            long maxHeap = 0;
            try (InputStream a = new CipherInputStream(new Generated(SIZE, 99), ours);
                 InputStream b = new CipherInputStream(new Generated(SIZE, 99), theirs)) {
                byte[] x = new byte[READ];
                byte[] y = new byte[READ];
                while (true) {
                    int n = a.readNBytes(x, 0, READ);
                    int m = b.readNBytes(y, 0, READ);
                    assertThat(n).as("%s at %d", t, compared).isEqualTo(m);
                    if (n == 0) {
                        break;
                    }
                    if (!Arrays.equals(x, 0, n, y, 0, n)) {
                        throw new AssertionError(t + ": ciphertext differs from SunJCE's within bytes " + compared + ".." + (compared + n));
                    }
                    compared += n;
                    if (compared % (128L << 20) == 0) {
                        System.gc();
                        Runtime rt = Runtime.getRuntime();
                        maxHeap = Math.max(maxHeap, rt.totalMemory() - rt.freeMemory());
                    }
                }
            }
            long expected = t.contains("CBC") ? SIZE + 16 : t.contains("GCM") ? SIZE + 16 : SIZE;
            assertThat(compared).as(t).isEqualTo(expected);
            assertThat(maxHeap).as("%s: heap after GC while streaming", t).isLessThan(HEAP_LIMIT);
        }
    }

    @Test
    void gcmDecryptionReleasesNothingBeforeTheTag() throws Exception {
        Random r = new Random(59);
        P11SecretKey key = CipherFixtures.aes(context, bytes(r, 16));
        GCMParameterSpec spec = new GCMParameterSpec(128, bytes(r, 12));
        Cipher enc = Cipher.getInstance("AES/GCM/NoPadding", provider);
        enc.init(Cipher.ENCRYPT_MODE, key, spec);
        byte[] ct = enc.doFinal(bytes(r, 3 * 1024 * 1024 + 5)); // past the single-part limit
        ct[100] ^= 1;
        Cipher dec = Cipher.getInstance("AES/GCM/NoPadding", provider);
        dec.init(Cipher.DECRYPT_MODE, key, spec);
        try (InputStream in = new CipherInputStream(new java.io.ByteArrayInputStream(ct), dec)) {
            // CipherInputStream reads until the end before the first byte comes out; the tag fails there.
            assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasCauseInstanceOf(AEADBadTagException.class);
        }
    }

    /** {@code size} pseudo-random bytes, generated on the fly (xorshift), never held. */
    static final class Generated extends InputStream {
        private long left;
        private long state;
        private long pos;

        Generated(long size, long seed) {
            this.left = size;
            this.state = seed * 0x9E3779B97F4A7C15L + 1;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            for (int i = 0; i < n; i++, pos++) {
                if ((pos & 7) == 0) { // the same bytes however the stream is read
                    state ^= state << 13;
                    state ^= state >>> 7;
                    state ^= state << 17;
                }
                b[off + i] = (byte) (state >>> ((pos & 7) * 8));
            }
            left -= n;
            return n;
        }
    }
}
