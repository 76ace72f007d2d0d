// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Provider;
import java.security.Security;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.p11j.provider.cipher.CipherFixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * P11J's symmetric ciphers on SoftHSM2 give SunJCE's results for the same key bytes, in every mode,
 * for random lengths and random splits into {@code update} calls (single-part and multi-part paths),
 * and refuse bad input with the exceptions the JCA documents.
 */
@ExtendWith(SoftHsmExtension.class)
class SymmetricCipherIT {

    @TempDir
    static Path dir;
    static Provider provider;
    static TokenContext context;

    static final List<String> AES = List.of("AES/ECB/NoPadding", "AES/ECB/PKCS5Padding", "AES/CBC/NoPadding",
            "AES/CBC/PKCS5Padding", "AES/CTR/NoPadding", "AES/GCM/NoPadding");
    static final List<String> DESEDE = List.of("DESede/ECB/NoPadding", "DESede/ECB/PKCS5Padding", "DESede/CBC/NoPadding",
            "DESede/CBC/PKCS5Padding");

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        context = CipherFixtures.context(provider);
    }

    @Test
    void servicesFollowTheTokensMechanisms() {
        for (String t : AES) {
            assertThat(provider.getService("Cipher", t)).as(t).isNotNull();
        }
        for (String t : DESEDE) {
            assertThat(provider.getService("Cipher", t)).as(t).isNotNull();
        }
        assertThat(provider.getService("Cipher", "AESWrap")).isNotNull();
        assertThat(provider.getService("Cipher", "AESWrapPad")).isNotNull();
        assertThat(provider.getService("Cipher", "AES/KW/NoPadding")).isNotNull();
        // SoftHSM2 2.6.1 lists no CKM_CHACHA20_POLY1305: no service.
        assertThat(context.supports(io.p11j.sys.Pkcs11Constants.CKM_CHACHA20_POLY1305)).isFalse();
        assertThat(provider.getService("Cipher", "ChaCha20-Poly1305")).isNull();
    }

    @Test
    void everyModeMatchesSunJceForRandomLengthsAndSplits() throws Exception {
        Random r = new Random(20261129);
        for (String t : AES) {
            for (int keyLen : new int[] {16, 24, 32}) {
                byte[] k = bytes(r, keyLen);
                compare(t, CipherFixtures.aes(context, k), new SecretKeySpec(k, "AES"), r, 16);
            }
        }
        for (String t : DESEDE) {
            byte[] k = bytes(r, 24);
            compare(t, CipherFixtures.des3(context, k), new SecretKeySpec(k, "DESede"), r, 8);
        }
    }

    /** Lengths from empty to past the single-part limit, split at random; both directions. */
    private void compare(String t, P11SecretKey ours, SecretKeySpec theirs, Random r, int block) throws Exception {
        boolean noPad = t.endsWith("NoPadding") && !t.contains("CTR") && !t.contains("GCM");
        int[] lengths = {0, 1, 15, 16, 17, 31, 100, 1024, 4099, P11SymmetricCipher.SINGLE_PART_LIMIT + 33, 600_000};
        for (int n : lengths) {
            if (noPad) {
                n -= n % block;
            }
            byte[] pt = bytes(r, n);
            AlgorithmParameterSpec spec = t.contains("ECB") ? null : t.contains("GCM") ? new GCMParameterSpec(128, bytes(r, 12))
                    : new IvParameterSpec(bytes(r, block));
            byte[] aad = t.contains("GCM") ? bytes(r, r.nextInt(40)) : null;

            Cipher jdk = Cipher.getInstance(t, "SunJCE");
            jdk.init(Cipher.ENCRYPT_MODE, theirs, spec);
            if (aad != null) {
                jdk.updateAAD(aad);
            }
            byte[] expected = jdk.doFinal(pt);

            Cipher enc = Cipher.getInstance(t, provider);
            enc.init(Cipher.ENCRYPT_MODE, ours, spec);
            assertThat(enc.getOutputSize(n)).as("%s %d output size", t, n).isGreaterThanOrEqualTo(expected.length);
            byte[] ct = split(enc, pt, aad, r);
            assertThat(ct).as("%s, %d bytes", t, n).isEqualTo(expected);

            Cipher dec = Cipher.getInstance(t, provider);
            dec.init(Cipher.DECRYPT_MODE, ours, spec);
            assertThat(split(dec, ct, aad, r)).as("%s, %d bytes back", t, n).isEqualTo(pt);

            // And whole, in one doFinal (one round trip: single-part, or in parts past 64 KiB), both ways.
            if (t.contains("GCM")) {
                spec = new GCMParameterSpec(128, bytes(r, 12)); // a new IV: the last one may not encrypt again
                jdk.init(Cipher.ENCRYPT_MODE, theirs, spec);
                expected = jdk.doFinal(pt);
            }
            enc.init(Cipher.ENCRYPT_MODE, ours, spec);
            assertThat(enc.doFinal(pt)).as("%s, %d bytes whole", t, n).isEqualTo(expected);
            dec.init(Cipher.DECRYPT_MODE, ours, spec);
            assertThat(dec.doFinal(expected)).as("%s, %d bytes whole back", t, n).isEqualTo(pt);
        }
    }

    /** The data through update calls of random sizes, alternating the array-returning and the output-array forms. */
    static byte[] split(Cipher c, byte[] data, byte[] aad, Random r) throws Exception {
        if (aad != null) {
            int cut = aad.length == 0 ? 0 : r.nextInt(aad.length);
            c.updateAAD(aad, 0, cut);
            c.updateAAD(aad, cut, aad.length - cut);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int off = 0;
        boolean arrays = r.nextBoolean();
        while (off < data.length) {
            int n = Math.min(data.length - off, r.nextInt(4) == 0 ? r.nextInt(200_000) : r.nextInt(100));
            if (arrays) {
                byte[] part = c.update(data, off, n);
                if (part != null) {
                    out.writeBytes(part);
                }
            } else {
                byte[] o = new byte[c.getOutputSize(n)];
                out.write(o, 0, c.update(data, off, n, o, 0));
            }
            arrays = !arrays;
            off += n;
        }
        out.writeBytes(c.doFinal());
        return out.toByteArray();
    }

    @Test
    void byteBuffersHeapAndDirect() throws Exception {
        Random r = new Random(7);
        byte[] k = bytes(r, 32);
        P11SecretKey key = CipherFixtures.aes(context, k);
        for (String t : List.of("AES/CBC/PKCS5Padding", "AES/CTR/NoPadding", "AES/GCM/NoPadding")) {
            byte[] pt = bytes(r, 5000);
            AlgorithmParameterSpec spec = t.contains("GCM") ? new GCMParameterSpec(128, bytes(r, 12)) : new IvParameterSpec(bytes(r, 16));
            Cipher jdk = Cipher.getInstance(t, "SunJCE");
            jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), spec);
            byte[] expected = jdk.doFinal(pt);
            for (boolean direct : new boolean[] {false, true}) {
                Cipher c = Cipher.getInstance(t, provider);
                c.init(Cipher.ENCRYPT_MODE, key, spec);
                ByteBuffer in = direct ? ByteBuffer.allocateDirect(pt.length) : ByteBuffer.allocate(pt.length);
                in.put(pt).flip();
                ByteBuffer out = direct ? ByteBuffer.allocateDirect(c.getOutputSize(pt.length)) : ByteBuffer.allocate(c.getOutputSize(pt.length));
                c.doFinal(in, out);
                out.flip();
                byte[] got = new byte[out.remaining()];
                out.get(got);
                assertThat(got).as("%s direct=%s", t, direct).isEqualTo(expected);
                if (t.contains("GCM")) {
                    continue;
                }
                Cipher d = Cipher.getInstance(t, provider);
                d.init(Cipher.DECRYPT_MODE, key, spec);
                ByteBuffer back = ByteBuffer.allocate(d.getOutputSize(expected.length));
                d.doFinal(ByteBuffer.wrap(expected), back);
                assertThat(Arrays.copyOf(back.array(), back.position())).isEqualTo(pt);
            }
        }
    }

    @Test
    void gcmIvIsGeneratedReadableAndNeverReused() throws Exception {
        byte[] k = bytes(new Random(3), 16);
        P11SecretKey key = CipherFixtures.aes(context, k);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
        c.init(Cipher.ENCRYPT_MODE, key);
        byte[] iv = c.getIV();
        assertThat(iv).hasSize(12);
        GCMParameterSpec spec = c.getParameters().getParameterSpec(GCMParameterSpec.class);
        assertThat(spec.getIV()).isEqualTo(iv);
        assertThat(spec.getTLen()).isEqualTo(128);
        c.updateAAD(new byte[] {1, 2, 3});
        byte[] ct = c.doFinal(new byte[] {4, 5, 6});

        // Encrypting again with the same key and IV: refused, as SunJCE.
        assertThatThrownBy(() -> c.doFinal(new byte[] {7})).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> c.update(new byte[] {7})).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, key, spec)).isInstanceOf(InvalidAlgorithmParameterException.class);
        c.init(Cipher.ENCRYPT_MODE, key);
        assertThat(c.getIV()).isNotEqualTo(iv);

        // The parameters from getParameters decrypt, here and in SunJCE.
        AlgorithmParameters params = AlgorithmParameters.getInstance("GCM");
        params.init(spec);
        Cipher d = Cipher.getInstance("AES/GCM/NoPadding", provider);
        d.init(Cipher.DECRYPT_MODE, key, params);
        d.updateAAD(new byte[] {1, 2, 3});
        assertThat(d.doFinal(ct)).containsExactly(4, 5, 6);
        Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        jdk.init(Cipher.DECRYPT_MODE, new SecretKeySpec(k, "AES"), spec);
        jdk.updateAAD(new byte[] {1, 2, 3});
        assertThat(jdk.doFinal(ct)).containsExactly(4, 5, 6);
        // Decryption may repeat with the same IV.
        d.updateAAD(new byte[] {1, 2, 3});
        assertThat(d.doFinal(ct)).containsExactly(4, 5, 6);
    }

    @Test
    void gcmTagLengthsEmptyAadAndEmptyMessage() throws Exception {
        Random r = new Random(11);
        byte[] k = bytes(r, 32);
        P11SecretKey key = CipherFixtures.aes(context, k);
        for (int tag : new int[] {96, 104, 112, 120, 128}) {
            for (int n : new int[] {0, 1, 64}) {
                GCMParameterSpec spec = new GCMParameterSpec(tag, bytes(r, 12));
                byte[] pt = bytes(r, n);
                Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
                jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), spec);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
                c.init(Cipher.ENCRYPT_MODE, key, spec); // no AAD at all: sent as NULL
                byte[] ct = c.doFinal(pt);
                assertThat(ct).hasSize(n + tag / 8).isEqualTo(jdk.doFinal(pt));
                c.init(Cipher.DECRYPT_MODE, key, spec);
                assertThat(c.doFinal(ct)).isEqualTo(pt);
            }
        }
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
        for (int tag : new int[] {32, 64, 88, 136}) {
            assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(tag, new byte[12])))
                    .isInstanceOf(InvalidAlgorithmParameterException.class);
        }
        assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, new byte[0])))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
    }

    @Test
    void aBadTagGivesAeadBadTagExceptionAndNoPlaintext() throws Exception {
        Random r = new Random(5);
        P11SecretKey key = CipherFixtures.aes(context, bytes(r, 16));
        GCMParameterSpec spec = new GCMParameterSpec(128, bytes(r, 12));
        byte[] pt = bytes(r, 1000);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
        c.init(Cipher.ENCRYPT_MODE, key, spec);
        c.updateAAD(new byte[] {9});
        byte[] ct = c.doFinal(pt);
        byte[] bad = ct.clone();
        bad[bad.length - 1] ^= 1;

        Cipher d = Cipher.getInstance("AES/GCM/NoPadding", provider);
        d.init(Cipher.DECRYPT_MODE, key, spec);
        d.updateAAD(new byte[] {9});
        // Updates release nothing before the tag is checked.
        assertThat(d.update(bad, 0, 600)).isEmpty();
        byte[] out = new byte[pt.length];
        assertThat(d.update(bad, 600, 300, out, 0)).isZero();
        assertThatThrownBy(() -> d.doFinal(bad, 900, bad.length - 900, out, 0)).isInstanceOf(AEADBadTagException.class)
                .hasCauseInstanceOf(Pkcs11Exception.class);
        assertThat(out).containsOnly(0);
        // Back to the initialized state: the right ciphertext decrypts next.
        d.updateAAD(new byte[] {9});
        assertThat(d.update(ct)).isEmpty();
        assertThat(d.doFinal()).isEqualTo(pt);
        // Other AAD fails the same way; too short to hold a tag, too.
        d.updateAAD(new byte[] {8});
        assertThatThrownBy(() -> d.doFinal(ct)).isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(() -> d.doFinal(new byte[15])).isInstanceOf(AEADBadTagException.class);
        // AAD after data is refused.
        d.update(ct, 0, 5);
        assertThatThrownBy(() -> d.updateAAD(new byte[1])).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void badPaddingAndBadLengths() throws Exception {
        Random r = new Random(13);
        byte[] k = bytes(r, 16);
        P11SecretKey key = CipherFixtures.aes(context, k);
        IvParameterSpec iv = new IvParameterSpec(bytes(r, 16));
        for (String t : List.of("AES/CBC/PKCS5Padding", "AES/ECB/PKCS5Padding")) {
            AlgorithmParameterSpec spec = t.contains("ECB") ? null : iv;
            Cipher jdk = Cipher.getInstance(t.replace("PKCS5Padding", "NoPadding"), "SunJCE");
            jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), spec);
            byte[] badPad = jdk.doFinal(new byte[32]); // last byte 0: not PKCS#5
            Cipher c = Cipher.getInstance(t, provider);
            c.init(Cipher.DECRYPT_MODE, key, spec);
            assertThatThrownBy(() -> c.doFinal(badPad)).as(t).isInstanceOf(BadPaddingException.class);
            jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), spec);
            byte[] longBadPad = jdk.doFinal(new byte[100_000]); // decrypted in parts within one round trip
            assertThatThrownBy(() -> c.doFinal(longBadPad)).as(t).isInstanceOf(BadPaddingException.class);
            assertThatThrownBy(() -> c.doFinal(new byte[17])).as(t).isInstanceOf(IllegalBlockSizeException.class);
            assertThatThrownBy(() -> c.doFinal(new byte[0])).as(t).isInstanceOf(BadPaddingException.class);
        }
        Cipher cbc = Cipher.getInstance("AES/CBC/PKCS5Padding", provider);
        cbc.init(Cipher.DECRYPT_MODE, key, iv);
        Cipher jdk = Cipher.getInstance("AES/CBC/NoPadding", "SunJCE");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), iv);
        byte[] badPad = jdk.doFinal(new byte[32]);
        assertThatThrownBy(() -> cbc.doFinal(badPad)).isInstanceOf(BadPaddingException.class)
                .hasCauseInstanceOf(Pkcs11Exception.class);
        for (String t : List.of("AES/CBC/NoPadding", "AES/ECB/NoPadding")) {
            Cipher c = Cipher.getInstance(t, provider);
            c.init(Cipher.ENCRYPT_MODE, key, t.contains("ECB") ? null : iv);
            assertThatThrownBy(() -> c.doFinal(new byte[17])).isInstanceOf(IllegalBlockSizeException.class);
            c.update(new byte[300_000]); // the multi-part path checks the same
            assertThatThrownBy(() -> c.doFinal(new byte[1])).isInstanceOf(IllegalBlockSizeException.class);
            assertThat(c.doFinal(new byte[16])).hasSize(16);
        }
        Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding", provider);
        c.init(Cipher.ENCRYPT_MODE, key, iv);
        assertThatThrownBy(() -> c.doFinal(new byte[20], 0, 20, new byte[31], 0)).isInstanceOf(ShortBufferException.class);
        assertThat(c.doFinal(new byte[20], 0, 20, new byte[32], 0)).isEqualTo(32);
    }

    @Test
    void badKeysAndParameters() throws Exception {
        Random r = new Random(17);
        byte[] k = bytes(r, 16);
        P11SecretKey aes = CipherFixtures.aes(context, k);
        P11SecretKey des3 = CipherFixtures.des3(context, bytes(r, 24));
        Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding", provider);
        assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES")))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("SunJCE");
        assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, des3)).isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("AES key");
        assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, aes, new IvParameterSpec(new byte[8])))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, aes, new GCMParameterSpec(128, new byte[16])))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> c.init(Cipher.DECRYPT_MODE, aes)).isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> c.init(Cipher.DECRYPT_MODE, aes, (AlgorithmParameterSpec) null))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> c.update(new byte[1])).isInstanceOf(IllegalStateException.class);
        Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding", provider);
        assertThatThrownBy(() -> ecb.init(Cipher.ENCRYPT_MODE, aes, new IvParameterSpec(new byte[16])))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", provider);
        assertThatThrownBy(() -> gcm.init(Cipher.DECRYPT_MODE, aes, new IvParameterSpec(new byte[12])))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> gcm.init(Cipher.DECRYPT_MODE, aes)).isInstanceOf(InvalidKeyException.class);
        Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding", provider);
        ctr.init(Cipher.ENCRYPT_MODE, aes);
        assertThat(ctr.getIV()).hasSize(16);
        assertThatThrownBy(() -> ctr.updateAAD(new byte[1])).isInstanceOf(UnsupportedOperationException.class);
        // CBC without an IV when encrypting: a random one, given back.
        c.init(Cipher.ENCRYPT_MODE, aes);
        byte[] iv = c.getIV();
        byte[] ct = c.doFinal(new byte[] {1});
        Cipher jdk = Cipher.getInstance("AES/CBC/PKCS5Padding", "SunJCE");
        jdk.init(Cipher.DECRYPT_MODE, new SecretKeySpec(k, "AES"), c.getParameters());
        assertThat(jdk.doFinal(ct)).containsExactly(1);
        assertThat(jdk.getIV()).isEqualTo(iv);
    }

    @Test
    void generalErrorIsABadTagOnlyWhereTheQuirkIsOn(TestToken token) throws Exception {
        java.nio.file.Path conf = dir.resolve("no-quirk.conf");
        java.nio.file.Files.writeString(conf, "name = noquirk\ntoken = " + ProviderFixture.uri(token, dir)
                + "\ndisabled-quirks = decrypt-failure-as-general-error\n");
        Provider plain = new io.p11j.provider.P11jProvider().configure(conf.toString());
        TokenContext plainContext = CipherFixtures.context(plain);
        assertThat(plainContext.has(io.p11j.provider.token.Quirk.DECRYPT_FAILURE_AS_GENERAL_ERROR)).isFalse();
        Random r = new Random(73);
        byte[] k = bytes(r, 16);
        GCMParameterSpec spec = new GCMParameterSpec(128, bytes(r, 12));
        Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), spec);
        byte[] bad = jdk.doFinal(new byte[20]);
        bad[0] ^= 1;
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", plain);
        c.init(Cipher.DECRYPT_MODE, CipherFixtures.aes(plainContext, k), spec);
        // Without the quirk, CKR_GENERAL_ERROR is the token's failure, not a verdict on the data.
        assertThatThrownBy(() -> c.doFinal(bad)).isInstanceOf(java.security.ProviderException.class)
                .hasMessageContaining("CKR_GENERAL_ERROR");
        Cipher q = Cipher.getInstance("AES/GCM/NoPadding", provider);
        q.init(Cipher.DECRYPT_MODE, CipherFixtures.aes(context, k), spec);
        assertThatThrownBy(() -> q.doFinal(bad)).isInstanceOf(AEADBadTagException.class);
    }

    @Test
    void theUnconfiguredProviderTakesP11jKeys() throws Exception {
        Random r = new Random(71);
        byte[] k = bytes(r, 16);
        P11SecretKey key = CipherFixtures.aes(context, k);
        Provider unconfigured = new io.p11j.provider.P11jProvider();
        GCMParameterSpec spec = new GCMParameterSpec(128, bytes(r, 12));
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", unconfigured);
        c.init(Cipher.ENCRYPT_MODE, key, spec);
        Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), spec);
        assertThat(c.doFinal(new byte[] {1, 2, 3})).isEqualTo(jdk.doFinal(new byte[] {1, 2, 3}));
        Cipher soft = Cipher.getInstance("AES/CBC/PKCS5Padding", unconfigured);
        assertThatThrownBy(() -> soft.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES")))
                .isInstanceOf(InvalidKeyException.class);
    }

    @Test
    void softwareKeysGoToSunJceEvenWithP11jFirst() throws Exception {
        Random r = new Random(19);
        byte[] k = bytes(r, 16);
        P11SecretKey tokenKey = CipherFixtures.aes(context, k);
        Security.insertProviderAt(provider, 1);
        try {
            for (String t : AES) {
                Cipher soft = Cipher.getInstance(t);
                soft.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), t.contains("ECB") ? null
                        : t.contains("GCM") ? new GCMParameterSpec(128, bytes(r, 12)) : new IvParameterSpec(bytes(r, 16)));
                assertThat(soft.getProvider().getName()).as(t).isEqualTo("SunJCE");
                Cipher token = Cipher.getInstance(t);
                token.init(Cipher.ENCRYPT_MODE, tokenKey, t.contains("ECB") ? null
                        : t.contains("GCM") ? new GCMParameterSpec(128, bytes(r, 12)) : new IvParameterSpec(bytes(r, 16)));
                assertThat(token.getProvider()).as(t).isSameAs(provider);
            }
        } finally {
            Security.removeProvider(provider.getName());
        }
    }
}
