// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.WrapperFixture.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every cryptographic operation of {@link Session} against SoftHSM2 2.6.1, each result checked by the
 * JDK's own implementation of the same algorithm (never only by the token itself).
 */
@ExtendWith(SoftHsmExtension.class)
class OperationsIT {

    private static final HexFormat HEX = HexFormat.of();
    /** Fixed test keys and data, so a failure reproduces. */
    private static final byte[] AES_128 = HEX.parseHex("000102030405060708090a0b0c0d0e0f");
    private static final byte[] AES_256 = HEX.parseHex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");

    private final TestToken token;
    private Pkcs11Module module;
    private Session s;

    OperationsIT(TestToken token) {
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

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------ RSA

    @Test
    void rsaPkcs1SingleAndMultiPartAgreeAndTheJdkVerifies() throws Exception {
        KeyPairHandles kp = WrapperFixture.rsaPair(s, "rsa-pkcs1", 2048);
        byte[] data = bytes(1000, 1);
        Mechanism m = Mechanism.of(CKM_SHA256_RSA_PKCS);

        byte[] single = s.sign(m, kp.privateKey(), data);
        assertThat(single).hasSize(256);

        s.signInit(m, kp.privateKey());
        s.signUpdate(data, 0, 1);
        s.signUpdate(data, 1, 499);
        s.signUpdate(data, 500, 0);
        s.signUpdate(data, 500, 500);
        byte[] multi = s.signFinal();
        assertThat(multi).as("PKCS#1 v1.5 is deterministic").isEqualTo(single);

        RSAPublicKey pub = WrapperFixture.rsaPublicKey(s, kp.publicKey());
        Signature jdk = Signature.getInstance("SHA256withRSA");
        jdk.initVerify(pub);
        jdk.update(data);
        assertThat(jdk.verify(single)).isTrue();

        // And the other way: the token verifies what the JDK would accept, and rejects a flipped bit.
        assertThat(s.verify(m, kp.publicKey(), data, single)).isTrue();
        byte[] flipped = single.clone();
        flipped[100] ^= 0x10;
        assertThat(s.verify(m, kp.publicKey(), data, flipped)).isFalse();
        assertThat(s.verify(m, kp.publicKey(), data, Arrays.copyOf(single, 255))).as("wrong length").isFalse();
        byte[] otherData = data.clone();
        otherData[0] ^= 1;
        assertThat(s.verify(m, kp.publicKey(), otherData, single)).isFalse();

        s.verifyInit(m, kp.publicKey());
        s.verifyUpdate(data, 0, 700);
        s.verifyUpdate(data, 700, 300);
        assertThat(s.verifyFinal(single)).isTrue();
        s.verifyInit(m, kp.publicKey());
        s.verifyUpdate(data, 0, data.length);
        assertThat(s.verifyFinal(flipped)).isFalse();
    }

    @Test
    void largeRsaSignatureGrowsTheOutputBuffer() throws Exception {
        // 4096 bits = 512 bytes is exactly the wrapper's first guess; make it larger to force the retry.
        KeyPairHandles kp = WrapperFixture.rsaPair(s, "rsa-big", 4104);
        byte[] data = utf8("bigger than the guess");
        byte[] sig = s.sign(Mechanism.of(CKM_SHA256_RSA_PKCS), kp.privateKey(), data);
        assertThat(sig).hasSize(513);
        Signature jdk = Signature.getInstance("SHA256withRSA");
        jdk.initVerify(WrapperFixture.rsaPublicKey(s, kp.publicKey()));
        jdk.update(data);
        assertThat(jdk.verify(sig)).isTrue();
    }

    @Test
    void rsaPssVerifiedByTheJdk() throws Exception {
        KeyPairHandles kp = WrapperFixture.rsaPair(s, "rsa-pss", 2048);
        byte[] data = bytes(333, 2);
        Mechanism pss = Mechanism.rsaPss(CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 32);
        byte[] sig = s.sign(pss, kp.privateKey(), data);
        assertThat(sig).hasSize(256);
        assertThat(s.sign(pss, kp.privateKey(), data)).as("randomized salt").isNotEqualTo(sig);

        Signature jdk = Signature.getInstance("RSASSA-PSS");
        jdk.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
        jdk.initVerify(WrapperFixture.rsaPublicKey(s, kp.publicKey()));
        jdk.update(data);
        assertThat(jdk.verify(sig)).isTrue();

        assertThat(s.verify(pss, kp.publicKey(), data, sig)).isTrue();
        byte[] flipped = sig.clone();
        flipped[0] ^= 0x01;
        assertThat(s.verify(pss, kp.publicKey(), data, flipped)).isFalse();

        // Raw CKM_RSA_PKCS_PSS over a SHA-256 hash gives what the JDK accepts for the data.
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(data);
        byte[] raw = s.sign(Mechanism.rsaPss(CKM_SHA256, CKG_MGF1_SHA256, 32), kp.privateKey(), hash);
        jdk.initVerify(WrapperFixture.rsaPublicKey(s, kp.publicKey()));
        jdk.update(data);
        assertThat(jdk.verify(raw)).isTrue();
    }

    // ------------------------------------------------------------------ EC

    @Test
    void ecdsaP256VerifiedByTheJdk() throws Exception {
        KeyPairHandles kp = WrapperFixture.ecPair(s, "ecdsa", false);
        byte[] data = bytes(200, 3);
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(data);
        byte[] sig = s.sign(Mechanism.of(CKM_ECDSA), kp.privateKey(), hash);
        assertThat(sig).as("r || s").hasSize(64);

        byte[] ecPoint = s.getAttribute(kp.publicKey(), AttributeType.EC_POINT).orElseThrow();
        assertThat(ecPoint).as("SoftHSM2 gives the DER OCTET STRING").hasSize(67);
        assertThat(Arrays.copyOf(ecPoint, 3)).containsExactly(0x04, 0x41, 0x04);
        ECPublicKey pub = WrapperFixture.p256PublicKey(WrapperFixture.p256Point(s, kp.publicKey()));

        Signature jdk = Signature.getInstance("SHA256withECDSA");
        jdk.initVerify(pub);
        jdk.update(data);
        assertThat(jdk.verify(WrapperFixture.ecdsaDer(sig))).isTrue();

        assertThat(s.verify(Mechanism.of(CKM_ECDSA), kp.publicKey(), hash, sig)).isTrue();
        byte[] flipped = sig.clone();
        flipped[63] ^= 1;
        assertThat(s.verify(Mechanism.of(CKM_ECDSA), kp.publicKey(), hash, flipped)).isFalse();
        jdk.initVerify(pub);
        jdk.update(data);
        assertThat(jdk.verify(WrapperFixture.ecdsaDer(flipped))).isFalse();
    }

    @Test
    void ed25519WithEitherFormOfTheCurveVerifiedByTheJdk() throws Exception {
        // SoftHSM2 2.6.1 accepts both the OID 1.3.101.112 and the PrintableString "edwards25519".
        for (byte[] params : new byte[][] {WrapperFixture.ED25519_OID, WrapperFixture.ED25519_NAME}) {
            Template pub = Template.builder().objectClass(CKO_PUBLIC_KEY).keyType(CKK_EC_EDWARDS)
                    .set(AttributeType.TOKEN, false).set(AttributeType.VERIFY, true)
                    .set(AttributeType.EC_PARAMS, params).build();
            Template priv = Template.builder().objectClass(CKO_PRIVATE_KEY).keyType(CKK_EC_EDWARDS)
                    .set(AttributeType.TOKEN, false).set(AttributeType.SIGN, true).set(AttributeType.SENSITIVE, true).build();
            KeyPairHandles kp = s.generateKeyPair(Mechanism.of(CKM_EC_EDWARDS_KEY_PAIR_GEN), pub, priv);
            assertThat(s.getAttribute(kp.privateKey(), AttributeType.KEY_TYPE)).contains(CKK_EC_EDWARDS);

            byte[] ecPoint = s.getAttribute(kp.publicKey(), AttributeType.EC_POINT).orElseThrow();
            byte[] raw = WrapperFixture.unwrapOctetString(ecPoint, 32); // SoftHSM2 2.6.1 wraps it: 04 20 || key
            PublicKey jdkKey = WrapperFixture.ed25519PublicKey(raw);

            byte[] data = bytes(77, 4);
            byte[] sig = s.sign(Mechanism.of(CKM_EDDSA), kp.privateKey(), data);
            assertThat(sig).hasSize(64);
            assertThat(s.sign(Mechanism.eddsa(false, null), kp.privateKey(), data))
                    .as("Ed25519 is deterministic; the explicit pure-EdDSA parameter is the same").isEqualTo(sig);

            Signature jdk = Signature.getInstance("Ed25519");
            jdk.initVerify(jdkKey);
            jdk.update(data);
            assertThat(jdk.verify(sig)).as("EC_PARAMS " + HEX.formatHex(params)).isTrue();

            assertThat(s.verify(Mechanism.of(CKM_EDDSA), kp.publicKey(), data, sig)).isTrue();
            byte[] flipped = sig.clone();
            flipped[5] ^= 1;
            assertThat(s.verify(Mechanism.of(CKM_EDDSA), kp.publicKey(), data, flipped)).isFalse();
        }
    }

    @Test
    void ecdhBothWaysAndAgainstTheJdk() throws Exception {
        KeyPairHandles a = WrapperFixture.ecPair(s, "ecdh-a", true);
        KeyPairHandles b = WrapperFixture.ecPair(s, "ecdh-b", true);
        byte[] pointA = WrapperFixture.p256Point(s, a.publicKey());
        byte[] pointB = WrapperFixture.p256Point(s, b.publicKey());
        Template derived = Template.builder().objectClass(CKO_SECRET_KEY).keyType(CKK_GENERIC_SECRET)
                .set(AttributeType.TOKEN, false).set(AttributeType.VALUE_LEN, 32L)
                .set(AttributeType.SENSITIVE, false).set(AttributeType.EXTRACTABLE, true).build();

        long ab = s.deriveKey(Mechanism.ecdh1Derive(CKD_NULL, null, pointB), a.privateKey(), derived);
        long ba = s.deriveKey(Mechanism.ecdh1Derive(CKD_NULL, null, pointA), b.privateKey(), derived);
        byte[] secretAb = s.getAttribute(ab, AttributeType.VALUE).orElseThrow();
        byte[] secretBa = s.getAttribute(ba, AttributeType.VALUE).orElseThrow();
        assertThat(secretAb).hasSize(32).isEqualTo(secretBa).isNotEqualTo(new byte[32]);

        // SoftHSM2 also takes the peer point DER-wrapped (as CKA_EC_POINT holds it).
        byte[] derB = s.getAttribute(b.publicKey(), AttributeType.EC_POINT).orElseThrow();
        long abDer = s.deriveKey(Mechanism.ecdh1Derive(CKD_NULL, null, derB), a.privateKey(), derived);
        assertThat(s.getAttribute(abDer, AttributeType.VALUE)).hasValueSatisfying(v -> assertThat(v).isEqualTo(secretAb));

        // Against the JDK: a JDK key pair C; token derives A x C, the JDK derives C x A.
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair c = g.generateKeyPair();
        long ac = s.deriveKey(Mechanism.ecdh1Derive(CKD_NULL, null, WrapperFixture.uncompressed((ECPublicKey) c.getPublic())),
                a.privateKey(), derived);
        KeyAgreement ka = KeyAgreement.getInstance("ECDH");
        ka.init(c.getPrivate());
        ka.doPhase(WrapperFixture.p256PublicKey(pointA), true);
        byte[] jdkSecret = ka.generateSecret();
        assertThat(s.getAttribute(ac, AttributeType.VALUE)).hasValueSatisfying(v -> assertThat(v).isEqualTo(jdkSecret));

        // An AES key derived the same way encrypts like the JDK with the same bytes.
        Template aes = Template.builder().objectClass(CKO_SECRET_KEY).keyType(CKK_AES).set(AttributeType.TOKEN, false)
                .set(AttributeType.VALUE_LEN, 32L).set(AttributeType.ENCRYPT, true).build();
        long aesAc = s.deriveKey(Mechanism.ecdh1Derive(CKD_NULL, null, WrapperFixture.uncompressed((ECPublicKey) c.getPublic())),
                a.privateKey(), aes);
        byte[] iv = bytes(16, 5);
        byte[] pt = bytes(40, 6);
        Cipher jdk = Cipher.getInstance("AES/CBC/PKCS5Padding");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(jdkSecret, "AES"), new IvParameterSpec(iv));
        assertThat(s.encrypt(Mechanism.aesCbcPad(iv), aesAc, pt)).isEqualTo(jdk.doFinal(pt));
    }

    // ------------------------------------------------------------------ AES

    @Test
    void aesGcmAgainstTheJdkAndATamperedTagFails() throws Exception {
        long key = WrapperFixture.aesKey(s, AES_256);
        byte[] iv = bytes(12, 7);
        byte[] aad = utf8("header"); // never empty: SoftHSM2 2.6.1 crashes on an empty AAD
        byte[] pt = bytes(100, 8);
        Mechanism gcm = Mechanism.aesGcm(iv, aad, 128);

        byte[] ct = s.encrypt(gcm, key, pt);
        Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(AES_256, "AES"), new GCMParameterSpec(128, iv));
        jdk.updateAAD(aad);
        assertThat(ct).hasSize(116).isEqualTo(jdk.doFinal(pt));
        assertThat(s.decrypt(gcm, key, ct)).isEqualTo(pt);

        // A 96-bit tag.
        Mechanism gcm96 = Mechanism.aesGcm(iv, aad, 96);
        Cipher jdk96 = Cipher.getInstance("AES/GCM/NoPadding");
        jdk96.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(AES_256, "AES"), new GCMParameterSpec(96, iv));
        jdk96.updateAAD(aad);
        assertThat(s.encrypt(gcm96, key, pt)).hasSize(112).isEqualTo(jdk96.doFinal(pt));

        byte[] tampered = ct.clone();
        tampered[tampered.length - 1] ^= 1;
        // SoftHSM2 2.6.1 reports a failed GCM tag check as CKR_GENERAL_ERROR, which maps to DeviceException.
        Pkcs11Errors.DeviceException e = assertThrows(Pkcs11Errors.DeviceException.class, () -> s.decrypt(gcm, key, tampered));
        assertThat(e.rv()).isEqualTo(CKR_GENERAL_ERROR);
        // Other AAD fails the same way; the session is usable afterwards.
        assertThrows(Pkcs11Errors.DeviceException.class, () -> s.decrypt(Mechanism.aesGcm(iv, utf8("other"), 128), key, ct));
        assertThat(s.decrypt(gcm, key, ct)).isEqualTo(pt);
    }

    @Test
    void aesCbcPadMultiPartAgainstTheJdk() throws Exception {
        long key = WrapperFixture.aesKey(s, AES_128);
        byte[] iv = bytes(16, 9);
        byte[] pt = bytes(1 + 17 + 5 + 33 + 0 + 13, 10); // 69 bytes: not a whole number of blocks
        Cipher jdk = Cipher.getInstance("AES/CBC/PKCS5Padding");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(AES_128, "AES"), new IvParameterSpec(iv));
        byte[] expected = jdk.doFinal(pt);
        assertThat(expected).hasSize(80);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.encryptInit(Mechanism.aesCbcPad(iv), key);
        int off = 0;
        for (int n : new int[] {1, 17, 5, 33, 0, 13}) {
            byte[] part = s.encryptUpdate(pt, off, n);
            assertThat(part.length % 16).as("CBC gives whole blocks").isZero();
            out.writeBytes(part);
            off += n;
        }
        out.writeBytes(s.encryptFinal());
        assertThat(out.toByteArray()).isEqualTo(expected);
        assertThat(s.encrypt(Mechanism.aesCbcPad(iv), key, pt)).as("single-part").isEqualTo(expected);

        // Decrypt in parts too.
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        s.decryptInit(Mechanism.aesCbcPad(iv), key);
        back.writeBytes(s.decryptUpdate(expected, 0, 7));
        back.writeBytes(s.decryptUpdate(expected, 7, 50));
        back.writeBytes(s.decryptUpdate(expected, 57, 23));
        back.writeBytes(s.decryptFinal());
        assertThat(back.toByteArray()).isEqualTo(pt);
        assertThat(s.decrypt(Mechanism.aesCbcPad(iv), key, expected)).isEqualTo(pt);
    }

    @Test
    void aesCtrAgainstTheJdk() throws Exception {
        long key = WrapperFixture.aesKey(s, AES_256);
        byte[] counter = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"); // NIST SP 800-38A F.5.5
        byte[] pt = HEX.parseHex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
        byte[] expected = HEX.parseHex("601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
                + "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
        byte[] ct = s.encrypt(Mechanism.aesCtr(128, counter), key, pt);
        assertThat(ct).isEqualTo(expected);

        byte[] odd = bytes(100, 11); // CTR is a stream mode: any length
        Cipher jdk = Cipher.getInstance("AES/CTR/NoPadding");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(AES_256, "AES"), new IvParameterSpec(counter));
        byte[] oddCt = s.encrypt(Mechanism.aesCtr(128, counter), key, odd);
        assertThat(oddCt).isEqualTo(jdk.doFinal(odd));
        assertThat(s.decrypt(Mechanism.aesCtr(128, counter), key, oddCt)).isEqualTo(odd);
    }

    @Test
    void generatedAes256KeyWorks() throws Exception {
        long key = s.generateKey(Mechanism.of(CKM_AES_KEY_GEN), Template.builder().objectClass(CKO_SECRET_KEY)
                .keyType(CKK_AES).set(AttributeType.TOKEN, false).set(AttributeType.VALUE_LEN, 32L)
                .set(AttributeType.ENCRYPT, true).set(AttributeType.DECRYPT, true)
                .set(AttributeType.SENSITIVE, true).set(AttributeType.EXTRACTABLE, false).label("generated").build());
        AttributeValues v = s.getAttributes(key, AttributeType.VALUE_LEN, AttributeType.KEY_TYPE, AttributeType.LOCAL,
                AttributeType.VALUE, AttributeType.KEY_GEN_MECHANISM, AttributeType.LABEL);
        assertThat(v.require(AttributeType.VALUE_LEN)).isEqualTo(32L);
        assertThat(v.require(AttributeType.KEY_TYPE)).isEqualTo(CKK_AES);
        assertThat(v.require(AttributeType.LOCAL)).isTrue();
        assertThat(v.require(AttributeType.KEY_GEN_MECHANISM)).isEqualTo(CKM_AES_KEY_GEN);
        assertThat(v.unavailable(AttributeType.VALUE)).contains(AttributeValues.Unavailable.SENSITIVE);
        assertThat(v.toString()).doesNotContain("CKA_VALUE=0").contains("CKA_VALUE=SENSITIVE");

        byte[] iv = bytes(12, 12);
        byte[] pt = bytes(64, 13);
        Mechanism gcm = Mechanism.aesGcm(iv, utf8("aad"), 128);
        byte[] ct = s.encrypt(gcm, key, pt);
        assertThat(ct).hasSize(80);
        assertThat(s.decrypt(gcm, key, ct)).isEqualTo(pt);
    }

    @Test
    void aesKeyWrapAgainstTheJdkAndUnwrapGivesAWorkingKey() throws Exception {
        byte[] kek = AES_256;
        byte[] keyValue = HEX.parseHex("00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f");
        long wrapping = s.createObject(WrapperFixture.aesKeyTemplate(kek).set(AttributeType.WRAP, true)
                .set(AttributeType.UNWRAP, true).build());
        long original = WrapperFixture.aesKey(s, keyValue);

        byte[] wrapped = s.wrapKey(Mechanism.of(CKM_AES_KEY_WRAP), wrapping, original);
        Cipher jdkWrap = Cipher.getInstance("AESWrap");
        jdkWrap.init(Cipher.WRAP_MODE, new SecretKeySpec(kek, "AES"));
        assertThat(wrapped).hasSize(40).isEqualTo(jdkWrap.wrap(new SecretKeySpec(keyValue, "AES")));

        long unwrapped = s.unwrapKey(Mechanism.of(CKM_AES_KEY_WRAP), wrapping, wrapped, Template.builder()
                .objectClass(CKO_SECRET_KEY).keyType(CKK_AES).set(AttributeType.TOKEN, false)
                .set(AttributeType.ENCRYPT, true).set(AttributeType.DECRYPT, true).label("unwrapped").build());
        assertThat(unwrapped).isNotEqualTo(original);
        byte[] iv = bytes(16, 14);
        byte[] pt = bytes(48, 15);
        byte[] ct = s.encrypt(Mechanism.aesCbcPad(iv), original, pt);
        assertThat(s.decrypt(Mechanism.aesCbcPad(iv), unwrapped, ct)).isEqualTo(pt);
        // Unwrapped again as a readable key, it holds exactly the original bytes. (SoftHSM2 2.6.1 leaves
        // CKA_VALUE_LEN of an unwrapped key at 0, and makes it non-extractable unless the template says.)
        long readable = s.unwrapKey(Mechanism.of(CKM_AES_KEY_WRAP), wrapping, wrapped, Template.builder()
                .objectClass(CKO_SECRET_KEY).keyType(CKK_AES).set(AttributeType.TOKEN, false)
                .set(AttributeType.SENSITIVE, false).set(AttributeType.EXTRACTABLE, true).build());
        assertThat(s.getAttribute(readable, AttributeType.VALUE)).hasValueSatisfying(v -> assertThat(v).isEqualTo(keyValue));
        assertThat(s.getAttributes(unwrapped, AttributeType.VALUE).unavailable(AttributeType.VALUE))
                .contains(AttributeValues.Unavailable.SENSITIVE);

        // A non-extractable key cannot be wrapped: CKR_KEY_UNEXTRACTABLE, typed as KeyInvalidException.
        long locked = s.createObject(WrapperFixture.aesKeyTemplate(keyValue).set(AttributeType.EXTRACTABLE, false).build());
        Pkcs11Errors.KeyInvalidException e = assertThrows(Pkcs11Errors.KeyInvalidException.class,
                () -> s.wrapKey(Mechanism.of(CKM_AES_KEY_WRAP), wrapping, locked));
        assertThat(e.rv()).isEqualTo(CKR_KEY_UNEXTRACTABLE);
        // Corrupted wrapped bytes fail the RFC 3394 integrity check.
        byte[] bad = wrapped.clone();
        bad[3] ^= 1;
        // SoftHSM2 2.6.1 answers CKR_GENERAL_ERROR (a DeviceException), not CKR_WRAPPED_KEY_INVALID.
        Pkcs11Errors.DeviceException badUnwrap = assertThrows(Pkcs11Errors.DeviceException.class,
                () -> s.unwrapKey(Mechanism.of(CKM_AES_KEY_WRAP), wrapping, bad, Template.builder()
                        .objectClass(CKO_SECRET_KEY).keyType(CKK_AES).set(AttributeType.TOKEN, false).build()));
        assertThat(badUnwrap.rv()).isEqualTo(CKR_GENERAL_ERROR);
    }

    // ------------------------------------------------------------------ digest and random

    @Test
    void digestSingleAndMultiPartAgainstTheJdk() throws Exception {
        byte[] data = bytes(10_000, 16);
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
        assertThat(s.digest(Mechanism.of(CKM_SHA256), data)).isEqualTo(expected);

        s.digestInit(Mechanism.of(CKM_SHA256));
        s.digestUpdate(data, 0, 3);
        s.digestUpdate(data, 3, 0);
        s.digestUpdate(data, 3, 9000);
        s.digestUpdate(data, 9003, 997);
        assertThat(s.digestFinal()).isEqualTo(expected);

        assertThat(s.digest(Mechanism.of(CKM_SHA512), data)).isEqualTo(MessageDigest.getInstance("SHA-512").digest(data));
        assertThat(s.digest(Mechanism.of(CKM_SHA256), new byte[0]))
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(new byte[0]));
    }

    @Test
    void digestKeyHashesTheKeyValue() throws Exception {
        byte[] prefix = utf8("prefix:");
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(prefix);
        md.update(AES_256);
        byte[] expected = md.digest();

        long extractable = WrapperFixture.aesKey(s, AES_256);
        s.digestInit(Mechanism.of(CKM_SHA256));
        s.digestUpdate(prefix, 0, prefix.length);
        s.digestKey(extractable);
        assertThat(s.digestFinal()).isEqualTo(expected);

        // SoftHSM2 2.6.1 digests a sensitive, non-extractable key as well with SHA-256; it refuses
        // such a key only for the weak hashes (MD5 here: CKR_KEY_INDIGESTIBLE, untyped).
        long locked = s.createObject(WrapperFixture.aesKeyTemplate(AES_256).set(AttributeType.SENSITIVE, true)
                .set(AttributeType.EXTRACTABLE, false).build());
        s.digestInit(Mechanism.of(CKM_SHA256));
        s.digestUpdate(prefix, 0, prefix.length);
        s.digestKey(locked);
        assertThat(s.digestFinal()).isEqualTo(expected);

        s.digestInit(Mechanism.of(CKM_MD5));
        io.p11j.sys.Pkcs11Exception e = assertThrows(io.p11j.sys.Pkcs11Exception.class, () -> s.digestKey(locked));
        assertThat(e.rv()).isEqualTo(CKR_KEY_INDIGESTIBLE);
        // SoftHSM2 keeps the digest going after that refusal (PKCS#11 would end it): finish it.
        assertThat(s.digestFinal()).isEqualTo(MessageDigest.getInstance("MD5").digest());
        s.digestInit(Mechanism.of(CKM_MD5));
        s.digestKey(extractable); // an extractable, non-sensitive key is fine even for MD5
        assertThat(s.digestFinal()).isEqualTo(MessageDigest.getInstance("MD5").digest(AES_256));
    }

    @Test
    void randomAndSeed() throws Exception {
        byte[] a = s.generateRandom(32);
        byte[] b = s.generateRandom(32);
        assertThat(a).hasSize(32).isNotEqualTo(b).isNotEqualTo(new byte[32]);
        assertThat(s.generateRandom(0)).isEmpty();
        byte[] filled = new byte[1000];
        s.generateRandom(filled);
        assertThat(filled).isNotEqualTo(new byte[1000]);
        s.seedRandom(utf8("more entropy, or at least no harm"));
        assertThat(s.generateRandom(16)).hasSize(16);
    }
}
