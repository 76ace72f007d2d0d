// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.mac;

import io.p11j.provider.P11jKeyGenParameterSpec;
import io.p11j.provider.P11jProvider;
import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.token.Quirk;
import io.p11j.provider.token.TokenContext;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * P11J's {@code Mac} on SoftHSM2: the services follow the token's mechanisms; every MAC the token
 * has agrees with software (SunJCE for HMACs, Bouncy Castle for AES-CMAC, which the JDK lacks) for
 * the same known key, single-part and multi-part, at random lengths and chunkings on both sides of
 * the single-part limit; AES-CMAC gives RFC 4493's tags; sessions of multi-part operations go back
 * to the pool at {@code doFinal}, {@code reset} and re-{@code init}; {@code clone}; keys and
 * parameters that do not fit are refused with the exceptions the JCA documents; and with P11J first
 * in the provider list, software keys still go to SunJCE.
 */
@ExtendWith(SoftHsmExtension.class)
class MacIT {

    private static final HexFormat HEX = HexFormat.of();
    private static final Provider BC = new BouncyCastleProvider();

    @TempDir
    static Path dir;
    static Provider provider;
    static TokenContext context;
    static long seed;
    static Random random;

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        context = ((P11SecretKey) KeyGenerator.getInstance("AES", provider).generateKey()).context();
        seed = System.nanoTime();
        random = new Random(seed);
        System.out.println("MacIT: random seed " + seed);
    }

    /** The MACs the token can compute. */
    static List<MacAlgorithm> onToken() {
        List<MacAlgorithm> list = new ArrayList<>();
        for (MacAlgorithm a : MacAlgorithm.values()) {
            if (context.supports(a.mechanism())) {
                list.add(a);
            }
        }
        return list;
    }

    /** A random key value the token's mechanism takes: SunJCE's default HMAC key length (or the token's minimum), AES-256 for CMAC. */
    static byte[] keyValue(MacAlgorithm a) {
        int n = a.isHmac() ? Math.max(a.defaultKeyLength(), a.keyLengths(context).map(r -> r[0]).orElse(1)) : 32;
        byte[] v = new byte[n];
        random.nextBytes(v);
        return v;
    }

    static SecretKey onToken(MacAlgorithm a, byte[] value) throws Exception {
        String alg = a.isHmac() ? a.jcaName() : "AES";
        return SecretKeyFactory.getInstance(alg, provider).generateSecret(new SecretKeySpec(value, alg));
    }

    /** The same MAC in software with the same key. */
    static Mac software(MacAlgorithm a, byte[] value) throws Exception {
        Mac m = a.isHmac() ? Mac.getInstance(a.jcaName(), "SunJCE") : Mac.getInstance("AESCMAC", BC);
        m.init(new SecretKeySpec(value, a.isHmac() ? a.jcaName() : "AES"));
        return m;
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Test
    void servicesFollowTheTokensMechanisms() throws Exception {
        List<MacAlgorithm> on = onToken();
        assertThat(on).as("SoftHSM2 has HMAC-SHA-2 and AES-CMAC").contains(MacAlgorithm.HMAC_SHA256, MacAlgorithm.AES_CMAC);
        Provider unconfigured = new P11jProvider();
        for (MacAlgorithm a : MacAlgorithm.values()) {
            Provider.Service s = provider.getService("Mac", a.jcaName());
            assertThat(s != null).as(a.jcaName() + " registered iff the token lists its mechanism").isEqualTo(on.contains(a));
            assertThat(unconfigured.getService("Mac", a.jcaName())).as("unconfigured: every MAC, for P11J keys").isNotNull();
            for (String alias : a.aliases()) {
                if (s != null) {
                    assertThat(Mac.getInstance(alias, provider).getAlgorithm()).isEqualTo(alias);
                    assertThat(Mac.getInstance(alias, provider).getMacLength()).isEqualTo(a.macLength());
                } else {
                    assertThatThrownBy(() -> Mac.getInstance(alias, provider)).isInstanceOf(NoSuchAlgorithmException.class);
                }
            }
            if (s != null) {
                Mac m = Mac.getInstance(a.jcaName(), provider);
                assertThat(m.getMacLength()).isEqualTo(software(a, keyValue(a)).getMacLength());
            }
        }
    }

    @Test
    void everyMacOnTheTokenAgreesWithSoftwareSingleAndMultiPart() throws Exception {
        int limit = P11Mac.SINGLE_PART_LIMIT;
        int[] fixed = {0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, limit - 1, limit, limit + 1, 3 * limit + 7};
        int checked = 0;
        for (MacAlgorithm a : onToken()) {
            byte[] value = keyValue(a);
            SecretKey key = onToken(a, value);
            Mac ours = Mac.getInstance(a.jcaName(), provider);
            ours.init(key);
            Mac soft = software(a, value);
            List<Integer> lengths = new ArrayList<>();
            for (int n : fixed) {
                lengths.add(n);
            }
            for (int i = 0; i < 12; i++) {
                lengths.add(random.nextInt(i < 8 ? 1000 : 300_000));
            }
            for (int n : lengths) {
                byte[] msg = random(n);
                byte[] expected = soft.doFinal(msg);
                assertThat(ours.doFinal(msg)).as(a.jcaName() + " single-part, " + n + " bytes").isEqualTo(expected);
                feedInRandomPieces(ours, msg);
                assertThat(ours.doFinal()).as(a.jcaName() + " multi-part, " + n + " bytes (seed " + seed + ")").isEqualTo(expected);
                checked += 2;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(2 * 27 * 6);
    }

    /** Pieces of random size, as byte, array and direct and heap ByteBuffer updates. */
    private static void feedInRandomPieces(Mac mac, byte[] msg) {
        int off = 0;
        while (off < msg.length) {
            int kind = random.nextInt(4);
            int n = Math.min(msg.length - off, kind == 0 ? 1 : 1 + random.nextInt(random.nextBoolean() ? 100 : 90_000));
            switch (kind) {
                case 0 -> mac.update(msg[off]);
                case 1 -> mac.update(msg, off, n);
                case 2 -> {
                    ByteBuffer direct = ByteBuffer.allocateDirect(n);
                    direct.put(msg, off, n).flip();
                    mac.update(direct);
                }
                default -> mac.update(ByteBuffer.wrap(msg, off, n));
            }
            off += n;
        }
    }

    /** RFC 4493 section 4: AES-CMAC with the AES-128 key 2b7e1516…, messages of 0, 16, 40 and 64 bytes. */
    @Test
    void aesCmacGivesRfc4493Tags() throws Exception {
        byte[] key = HEX.parseHex("2b7e151628aed2a6abf7158809cf4f3c");
        String m = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52ef"
                + "f69f2445df4f9b17ad2b417be66c3710";
        Mac mac = Mac.getInstance("AESCMAC", provider);
        mac.init(onToken(MacAlgorithm.AES_CMAC, key));
        assertThat(HEX.formatHex(mac.doFinal(HEX.parseHex(m.substring(0, 0))))).isEqualTo("bb1d6929e95937287fa37d129b756746");
        assertThat(HEX.formatHex(mac.doFinal(HEX.parseHex(m.substring(0, 32))))).isEqualTo("070a16b46b4d4144f79bdd9dd04a287c");
        assertThat(HEX.formatHex(mac.doFinal(HEX.parseHex(m.substring(0, 80))))).isEqualTo("dfa66747de9ae63030ca32611497c827");
        assertThat(HEX.formatHex(mac.doFinal(HEX.parseHex(m)))).isEqualTo("51f0bebf7e3b9d92fc49741779363cfe");
        assertThat(Mac.getInstance("AES-CMAC", provider).getMacLength()).isEqualTo(16);
    }

    /**
     * A multi-part operation holds a pooled session from its start until doFinal, reset or a new init:
     * if any of them kept it, the pool (16 sessions) would run dry long before 3 × 40 operations.
     */
    @Test
    void multiPartSessionsGoBackToThePool() throws Exception {
        MacAlgorithm a = MacAlgorithm.HMAC_SHA256;
        byte[] value = keyValue(a);
        SecretKey key = onToken(a, value);
        byte[] big = random(P11Mac.SINGLE_PART_LIMIT + 1);
        byte[] small = random(100);
        Mac soft = software(a, value);
        byte[] bigMac = soft.doFinal(big);
        byte[] smallMac = soft.doFinal(small);
        for (int i = 0; i < 40; i++) {
            Mac m = Mac.getInstance("HmacSHA256", provider);
            m.init(key);
            m.update(big);
            assertThat(m.doFinal()).isEqualTo(bigMac);

            m.update(big);
            m.reset(); // drops the operation and its session
            assertThat(m.doFinal(small)).as("after reset only the new input counts").isEqualTo(smallMac);

            m.update(big);
            m.init(key); // a new init drops it too
            assertThat(m.doFinal(small)).isEqualTo(smallMac);
        }
    }

    /** An engine dropped in the middle of a multi-part operation gives its session back once it is garbage. */
    @Test
    void abandonedMultiPartOperationsGiveTheirSessionsBack() throws Exception {
        SecretKey key = onToken(MacAlgorithm.HMAC_SHA256, keyValue(MacAlgorithm.HMAC_SHA256));
        byte[] big = random(P11Mac.SINGLE_PART_LIMIT + 1);
        long start = System.nanoTime();
        for (int i = 0; i < 40; i++) {
            System.gc(); // the engines of earlier rounds are unreachable: their cleaners run
            Mac m = Mac.getInstance("HmacSHA256", provider);
            m.init(key);
            m.update(big); // borrows a session (more than 16 rounds would exhaust the pool if none came back)
        }
        assertThat(System.nanoTime() - start).as("no round waited for the pool's 30 s borrow timeout")
                .isLessThan(30_000_000_000L);
        Mac m = Mac.getInstance("HmacSHA256", provider);
        m.init(key);
        assertThat(m.doFinal(big)).hasSize(32);
    }

    @Test
    void cloneCopiesBufferedInputAndRefusesATokenOperation() throws Exception {
        MacAlgorithm a = MacAlgorithm.HMAC_SHA384;
        byte[] value = keyValue(a);
        Mac ours = Mac.getInstance(a.jcaName(), provider);
        ours.init(onToken(a, value));
        Mac soft = software(a, value);
        byte[] head = random(1000);
        ours.update(head);
        soft.update(head);
        Mac ourCopy = (Mac) ours.clone();
        Mac softCopy = (Mac) soft.clone();
        byte[] tail1 = random(10);
        byte[] tail2 = random(20_000);
        assertThat(ours.doFinal(tail1)).isEqualTo(soft.doFinal(tail1));
        assertThat(ourCopy.doFinal(tail2)).as("the clone goes on from the same input").isEqualTo(softCopy.doFinal(tail2));
        assertThat(ourCopy.doFinal(tail1)).as("and is ready again after doFinal").isEqualTo(soft.doFinal(tail1));

        ours.update(random(P11Mac.SINGLE_PART_LIMIT + 1)); // now an operation on the token
        var refused = assertThatThrownBy(ours::clone).isInstanceOf(CloneNotSupportedException.class)
                .hasMessageContaining("operation on the token");
        if (context.has(Quirk.NO_OPERATION_STATE)) {
            refused.hasMessageContaining("no-operation-state");
        }
        ours.reset();
        assertThat(ours.doFinal(tail1)).as("still usable after the refused clone").isEqualTo(soft.doFinal(tail1));
    }

    @Test
    void keysThatDoNotFitAreRefusedAtInit() throws Exception {
        Mac hmac = Mac.getInstance("HmacSHA256", provider);
        hmac.getMacLength(); // asked for P11J by name: no software fallback, whatever the order of calls
        assertThatThrownBy(() -> hmac.init(new SecretKeySpec(random(32), "HmacSHA256")))
                .as("a software key").isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("SecretKeyFactory").hasMessageContaining("SunJCE");
        SecretKey aes = KeyGenerator.getInstance("AES", provider).generateKey();
        assertThatThrownBy(() -> hmac.init(aes)).as("an AES key where an HMAC key is asked").isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("generic secret").hasMessageContaining("CKK_AES");
        Mac cmac = Mac.getInstance("AESCMAC", provider);
        SecretKey hmacKey = KeyGenerator.getInstance("HmacSHA256", provider).generateKey();
        assertThatThrownBy(() -> cmac.init(hmacKey)).as("an HMAC key for AES-CMAC").isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("AES key");
        KeyGenerator sha1Keys = KeyGenerator.getInstance("HmacSHA1", provider);
        sha1Keys.init(160);
        SecretKey short20 = sha1Keys.generateKey(); // fine for HMAC-SHA1, too short for SoftHSM2's HMAC-SHA256
        int min = MacAlgorithm.HMAC_SHA256.keyLengths(context).map(r -> r[0]).orElse(0);
        if (min > 20) {
            assertThatThrownBy(() -> hmac.init(short20)).as("a key shorter than the token's range")
                    .isInstanceOf(InvalidKeyException.class).hasMessageContaining("not 20");
        }
        assertThatThrownBy(() -> hmac.init(null)).isInstanceOf(InvalidKeyException.class);
        Key ecPrivate = KeyPairGenerator.getInstance("EC", provider).generateKeyPair().getPrivate();
        assertThatThrownBy(() -> hmac.init(ecPrivate)).isInstanceOf(InvalidKeyException.class).hasMessageContaining("secret key");
        assertThatThrownBy(() -> hmac.init(hmacKey, new IvParameterSpec(new byte[16])))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> Mac.getInstance("HmacSHA256", provider).update(new byte[1]))
                .as("the JCA: update before init").isInstanceOf(IllegalStateException.class);
        // A refused init leaves a usable engine.
        hmac.init(hmacKey);
        assertThat(hmac.doFinal(new byte[3])).hasSize(32);
    }

    @Test
    void withP11jFirstSoftwareKeysStillGoToSunJce() throws Exception {
        SecretKey tokenKey = KeyGenerator.getInstance("HmacSHA256", provider).generateKey();
        assertThat(Security.insertProviderAt(provider, 1)).isEqualTo(1);
        try {
            Mac soft = Mac.getInstance("HmacSHA256");
            soft.init(new SecretKeySpec(random(32), "HmacSHA256"));
            assertThat(soft.getProvider().getName()).as("delayed selection passes P11J by").isEqualTo("SunJCE");
            Mac token = Mac.getInstance("HmacSHA256");
            token.init(tokenKey);
            assertThat(token.getProvider()).isSameAs(provider);
            byte[] tokenMac = token.doFinal(new byte[64]);
            assertThat(tokenMac).hasSize(32);

            // Used before init, as JSSE's HKDF does (getMacLength): the JCA fixes the first provider's engine
            // before it sees the key. P11J's then hands a software key to software (never to the token).
            byte[] value = random(32);
            byte[] msg = random(100);
            Mac early = Mac.getInstance("HmacSHA256");
            assertThat(early.getMacLength()).isEqualTo(32);
            assertThat(early.getProvider()).isSameAs(provider);
            early.init(new SecretKeySpec(value, "HmacSHA256"));
            byte[] expected = software(MacAlgorithm.HMAC_SHA256, value).doFinal(msg);
            assertThat(early.doFinal(msg)).isEqualTo(expected);
            early.update(msg, 0, 10);
            Mac copy = (Mac) early.clone();
            copy.update(msg, 10, 90);
            assertThat(copy.doFinal()).isEqualTo(expected);
            early.reset();
            assertThat(early.doFinal(msg)).isEqualTo(expected);
            early.init(tokenKey); // and a token key on the same engine goes to the token
            assertThat(early.doFinal(new byte[64])).isEqualTo(tokenMac);
        } finally {
            Security.removeProvider(provider.getName());
        }
    }

    @Test
    void theUnconfiguredProviderAndKeyStoreKeysOfUnknownLength() throws Exception {
        byte[] value = keyValue(MacAlgorithm.HMAC_SHA512);
        SecretKey imported = onToken(MacAlgorithm.HMAC_SHA512, value);
        byte[] msg = random(500);
        byte[] expected = software(MacAlgorithm.HMAC_SHA512, value).doFinal(msg);
        Mac unconfigured = Mac.getInstance("HmacSHA512", new P11jProvider());
        unconfigured.init(imported);
        assertThat(unconfigured.doFinal(msg)).isEqualTo(expected);

        // A token object found by the KeyStore: a generic secret whose length the Mac reads at init.
        KeyGenerator g = KeyGenerator.getInstance("HmacSHA256", provider);
        g.init(P11jKeyGenParameterSpec.builder(-1).label("mac-it token key").tokenObject(true).build());
        SecretKey generated = g.generateKey();
        KeyStore ks = KeyStore.getInstance("PKCS11-URI", provider);
        ks.load(null, null);
        Key found = ks.getKey("mac-it token key", null);
        assertThat(found).isInstanceOf(P11SecretKey.class);
        assertThat(((P11SecretKey) found).knownValueLength()).as("not read yet").isEqualTo(-1);
        Mac a = Mac.getInstance("HmacSHA256", provider);
        a.init(found);
        assertThat(((P11SecretKey) found).knownValueLength()).isEqualTo(32);
        Mac b = Mac.getInstance("HmacSHA256", provider);
        b.init(generated);
        assertThat(a.doFinal(msg)).as("the same object, found or generated").isEqualTo(b.doFinal(msg));
        ks.deleteEntry("mac-it token key");
    }
}
