// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.util.Arrays;
import java.util.Random;

import static io.p11j.sys.Pkcs11Constants.CKR_BUFFER_TOO_SMALL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Session}'s encrypt/decrypt into the caller's array (offset/length input, output at an
 * offset, one reused native buffer, in place on the token): results equal the JDK's, single-part and
 * multi-part, around the session's kept-buffer size, and a too small output is refused.
 */
@ExtendWith(SoftHsmExtension.class)
class SessionBulkCryptIT {

    private final TestToken token;
    private Pkcs11Module module;
    private Session s;

    SessionBulkCryptIT(TestToken token) {
        this.token = token;
    }

    @BeforeEach
    void open() throws Exception {
        module = WrapperFixture.openModule();
        s = WrapperFixture.userSession(module, token);
    }

    @AfterEach
    void close() throws Exception {
        s.close();
        module.close();
    }

    @Test
    void singlePartIntoTheCallersArrayAtOffsets() throws Exception {
        Random r = new Random(61);
        byte[] k = new byte[32];
        r.nextBytes(k);
        long key = WrapperFixture.aesKey(s, k);
        // Sizes below, at and above the session's kept buffer (2 MiB + 256), so both paths run.
        for (int n : new int[] {0, 1, 16, 1000, 1 << 20, (2 << 20) + 256, (3 << 20) + 7}) {
            byte[] data = new byte[n + 10];
            r.nextBytes(data);
            byte[] iv = new byte[12];
            r.nextBytes(iv);
            Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
            jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), new GCMParameterSpec(128, iv));
            byte[] expected = jdk.doFinal(data, 5, n);

            byte[] out = new byte[n + 16 + 3];
            int w = s.encrypt(Mechanism.aesGcm(iv, null, 128), key, data, 5, n, out, 3);
            assertThat(w).isEqualTo(n + 16);
            assertThat(Arrays.copyOfRange(out, 3, 3 + w)).as("%d bytes", n).isEqualTo(expected);

            byte[] back = new byte[n + 1];
            assertThat(s.decrypt(Mechanism.aesGcm(iv, null, 128), key, out, 3, w, back, 1)).isEqualTo(n);
            assertThat(Arrays.copyOfRange(back, 1, n + 1)).isEqualTo(Arrays.copyOfRange(data, 5, 5 + n));
        }
        assertThat(s.hasActiveOperation()).isFalse();
    }

    @Test
    void multiPartWithUpdatesAndFinal() throws Exception {
        Random r = new Random(67);
        byte[] k = new byte[16];
        r.nextBytes(k);
        long key = WrapperFixture.aesKey(s, k);
        byte[] iv = new byte[16];
        r.nextBytes(iv);
        byte[] data = new byte[100_003];
        r.nextBytes(data);
        Cipher jdk = Cipher.getInstance("AES/CBC/PKCS5Padding", "SunJCE");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), new IvParameterSpec(iv));
        byte[] expected = jdk.doFinal(data);

        byte[] out = new byte[expected.length];
        s.encryptInit(Mechanism.aesCbcPad(iv), key);
        int w = 0;
        int off = 0;
        for (int n : new int[] {1, 15, 17, 50_000, 49_970}) {
            w += s.encryptUpdate(data, off, n, out, w);
            off += n;
        }
        assertThat(off).isEqualTo(data.length);
        w += s.encryptFinal(out, w);
        assertThat(w).isEqualTo(expected.length);
        assertThat(out).isEqualTo(expected);
        assertThat(s.hasActiveOperation()).isFalse();

        byte[] back = new byte[expected.length];
        s.decryptInit(Mechanism.aesCbcPad(iv), key);
        int got = s.decryptUpdate(expected, 0, 64_000, back, 0);
        got += s.decryptUpdate(expected, 64_000, expected.length - 64_000, back, got);
        got += s.decryptFinal(back, got);
        assertThat(Arrays.copyOf(back, got)).isEqualTo(data);
    }

    @Test
    void anOutputThatDoesNotFitIsRefused() throws Exception {
        long key = WrapperFixture.aesKey(s, new byte[16]);
        byte[] data = new byte[64];
        byte[] small = new byte[10];
        assertThatThrownBy(() -> s.encrypt(Mechanism.aesCbcPad(new byte[16]), key, data, 0, 64, small, 0))
                .isInstanceOf(Pkcs11Exception.class).satisfies(e -> assertThat(((Pkcs11Exception) e).rv()).isEqualTo(CKR_BUFFER_TOO_SMALL));
        // The single-part operation is ended all the same: the session takes the next one.
        assertThat(s.hasActiveOperation()).isFalse();
        assertThatThrownBy(() -> s.encrypt(Mechanism.aesCbcPad(new byte[16]), key, data, 60, 10, new byte[100], 0))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(s.hasActiveOperation()).isFalse();
        byte[] out = new byte[80];
        assertThat(s.encrypt(Mechanism.aesCbcPad(new byte[16]), key, data, 0, 64, out, 0)).isEqualTo(80);
        // A multi-part update that does not fit stays active and can be repeated with more room.
        s.encryptInit(Mechanism.aesCbcPad(new byte[16]), key);
        assertThatThrownBy(() -> s.encryptUpdate(data, 0, 64, small, 0)).isInstanceOf(Pkcs11Exception.class);
        assertThat(s.hasActiveOperation()).isTrue();
        assertThat(s.encryptUpdate(data, 0, 64, out, 0)).isEqualTo(64);
        assertThat(s.encryptFinal(out, 64)).isEqualTo(16);
        assertThat(s.hasActiveOperation()).isFalse();
        byte[] once = new byte[80];
        s.encrypt(Mechanism.aesCbcPad(new byte[16]), key, data, 0, 64, once, 0);
        assertThat(out).as("the refused update consumed nothing").isEqualTo(once);
    }
}
