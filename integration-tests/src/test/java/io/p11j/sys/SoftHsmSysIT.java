// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.Sys;
import io.p11j.testing.Template;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.RSAPublicKeySpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sys layer against a real SoftHSM2 token: every call below goes through the function pointers
 * of the module's function list and is checked against what SoftHSM2 and the JDK know independently.
 */
@ExtendWith(SoftHsmExtension.class)
class SoftHsmSysIT {

    private final TestToken token;
    private final Pkcs11Functions f;
    private long session;

    SoftHsmSysIT(TestToken token) {
        this.token = token;
        this.f = token.functions();
    }

    @BeforeEach
    void openAndLogin() throws Pkcs11Exception {
        session = Sys.openSession(f, token.slotId(), true);
        Sys.login(f, session, CKU_USER, token.userPinChars());
    }

    @AfterEach
    void close() {
        assertThat(f.C_CloseSession(session)).isEqualTo(CKR_OK);
    }

    @Test
    void moduleInfoDescribesSoftHsm240() {
        assertThat(token.library().functionListVersion()).containsExactly(2, 40);
        assertThat(f.isSupported(Pkcs11Function.C_Sign)).isTrue();
        assertThat(f.isSupported(Pkcs11Function.C_LoginUser)).as("2.40 module has no 3.0 functions").isFalse();
        assertThat(f.C_LoginUser(session, CKU_USER, Pointer.NULL, 0, Pointer.NULL, 0))
                .isEqualTo(CKR_FUNCTION_NOT_SUPPORTED);

        StructLayout l = Structs.CK_INFO.layout();
        Memory info = l.allocate();
        assertThat(f.C_GetInfo(info)).isEqualTo(CKR_OK);
        assertThat(l.field("cryptokiVersion").getBytes(info)).containsExactly(2, 40);
        assertThat(Sys.text(info, l, "manufacturerID")).isEqualTo("SoftHSM");
        assertThat(Sys.text(info, l, "libraryDescription")).startsWith("Implementation of PKCS11");
    }

    @Test
    void slotAndTokenInfoShowTheFixturesToken() throws Pkcs11Exception {
        long[] present = Sys.slots(f, true);
        long[] all = Sys.slots(f, false);
        assertThat(present).contains(token.slotId());
        assertThat(all).contains(present);

        StructLayout sl = Structs.CK_SLOT_INFO.layout();
        Memory slotInfo = sl.allocate();
        assertThat(f.C_GetSlotInfo(token.slotId(), slotInfo)).isEqualTo(CKR_OK);
        assertThat(sl.field("flags").getULong(slotInfo) & CKF_TOKEN_PRESENT).isEqualTo(CKF_TOKEN_PRESENT);

        Memory ti = Sys.tokenInfo(f, token.slotId());
        StructLayout tl = Structs.CK_TOKEN_INFO.layout();
        assertThat(Sys.tokenLabel(ti)).isEqualTo(token.label());
        assertThat(Sys.text(ti, tl, "model")).isEqualTo("SoftHSM v2");
        long flags = Sys.tokenFlags(ti);
        assertThat(flags & (CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_RNG))
                .isEqualTo(CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED | CKF_RNG);
        assertThat(tl.field("ulMaxPinLen").getULong(ti)).isGreaterThanOrEqualTo(token.userPin().length());
        // SoftHSM2 sets no session limit and does not count: the two special values of the spec.
        assertThat(tl.field("ulMaxSessionCount").getULong(ti)).isEqualTo(CK_EFFECTIVELY_INFINITE);
        assertThat(tl.field("ulSessionCount").getULong(ti)).isEqualTo(CK_UNAVAILABLE_INFORMATION);
        // SoftHSM2 does not track memory: the all-ones sentinel must read as -1 on every platform.
        assertThat(tl.field("ulTotalPublicMemory").getULong(ti)).isEqualTo(CK_UNAVAILABLE_INFORMATION);
    }

    @Test
    void mechanismListAndInfo() throws Pkcs11Exception {
        long[] mechs = TwoCall.ulongs(Pkcs11Function.C_GetMechanismList, f.abi(),
                (buf, len) -> f.C_GetMechanismList(token.slotId(), buf, len));
        assertThat(mechs).contains(CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_SHA256_RSA_PKCS, CKM_EC_KEY_PAIR_GEN, CKM_ECDSA,
                CKM_SHA256, CKM_AES_GCM);
        Set<String> names = new HashSet<>();
        for (long m : mechs) {
            names.add(mechanismName(m));
        }
        assertThat(names).contains("CKM_RSA_PKCS_OAEP", "CKM_AES_KEY_WRAP");

        StructLayout l = Structs.CK_MECHANISM_INFO.layout();
        Memory info = l.allocate();
        assertThat(f.C_GetMechanismInfo(token.slotId(), CKM_RSA_PKCS_KEY_PAIR_GEN, info)).isEqualTo(CKR_OK);
        assertThat(l.field("ulMinKeySize").getULong(info)).isLessThanOrEqualTo(1024);
        assertThat(l.field("ulMaxKeySize").getULong(info)).isGreaterThanOrEqualTo(4096);
        assertThat(l.field("flags").getULong(info) & CKF_GENERATE_KEY_PAIR).isNotZero();
        assertThat(f.C_GetMechanismInfo(token.slotId(), CKM_VENDOR_DEFINED + 0x4242, info))
                .isEqualTo(CKR_MECHANISM_INVALID);
    }

    @Test
    void sessionInfoReportsLoggedInReadWrite() {
        StructLayout l = Structs.CK_SESSION_INFO.layout();
        Memory info = l.allocate();
        assertThat(f.C_GetSessionInfo(session, info)).isEqualTo(CKR_OK);
        assertThat(l.field("slotID").getULong(info)).isEqualTo(token.slotId());
        assertThat(l.field("state").getULong(info)).isEqualTo(CKS_RW_USER_FUNCTIONS);
        assertThat(l.field("flags").getULong(info)).isEqualTo(CKF_RW_SESSION | CKF_SERIAL_SESSION);
        assertThat(f.C_GetSessionInfo(session + 7777, info)).isEqualTo(CKR_SESSION_HANDLE_INVALID);
    }

    @Test
    void rsaKeyPairSignsAndTheJdkVerifies() throws Exception {
        long[] pair = generateRsa("sys-rsa", 2048);
        byte[] data = "signed through the sys layer".getBytes(StandardCharsets.UTF_8);

        Memory mech = Sys.mechanism(CKM_SHA256_RSA_PKCS);
        assertThat(f.C_SignInit(session, mech, pair[1])).isEqualTo(CKR_OK);
        Memory in = Sys.bytes(data);
        byte[] sig = TwoCall.bytes(Pkcs11Function.C_Sign, f.abi(), (buf, len) -> f.C_Sign(session, in, data.length, buf, len));
        assertThat(sig).hasSize(256);

        // The token verifies its own signature, and rejects a flipped bit.
        assertThat(verifyOnToken(CKM_SHA256_RSA_PKCS, pair[0], data, sig)).isEqualTo(CKR_OK);
        byte[] bad = sig.clone();
        bad[10] ^= 1;
        assertThat(verifyOnToken(CKM_SHA256_RSA_PKCS, pair[0], data, bad)).isEqualTo(CKR_SIGNATURE_INVALID);

        // The JDK, given the public key read back from the token, agrees.
        BigInteger n = new BigInteger(1, Sys.attribute(f, session, pair[0], CKA_MODULUS));
        BigInteger e = new BigInteger(1, Sys.attribute(f, session, pair[0], CKA_PUBLIC_EXPONENT));
        PublicKey pub = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
        Signature jdk = Signature.getInstance("SHA256withRSA");
        jdk.initVerify(pub);
        jdk.update(data);
        assertThat(jdk.verify(sig)).isTrue();
    }

    @Test
    void multiPartSignMatchesSinglePart() throws Exception {
        long[] pair = generateRsa("sys-rsa-multi", 2048);
        byte[] a = "first part, ".getBytes(StandardCharsets.UTF_8);
        byte[] b = "second part".getBytes(StandardCharsets.UTF_8);
        Memory mech = Sys.mechanism(CKM_SHA256_RSA_PKCS);
        assertThat(f.C_SignInit(session, mech, pair[1])).isEqualTo(CKR_OK);
        assertThat(f.C_SignUpdate(session, Sys.bytes(a), a.length)).isEqualTo(CKR_OK);
        assertThat(f.C_SignUpdate(session, Sys.bytes(b), b.length)).isEqualTo(CKR_OK);
        byte[] multi = TwoCall.bytes(Pkcs11Function.C_SignFinal, f.abi(), (buf, len) -> f.C_SignFinal(session, buf, len));

        byte[] whole = (new String(a, StandardCharsets.UTF_8) + new String(b, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
        assertThat(f.C_SignInit(session, mech, pair[1])).isEqualTo(CKR_OK);
        Memory in = Sys.bytes(whole);
        byte[] single = TwoCall.bytes(Pkcs11Function.C_Sign, f.abi(), (buf, len) -> f.C_Sign(session, in, whole.length, buf, len));
        assertThat(multi).isEqualTo(single); // PKCS#1 v1.5 is deterministic
    }

    @Test
    void ecKeyPairSignsWithEcdsaAndVerifies() throws Exception {
        // DER OID of prime256v1 / secp256r1
        byte[] p256 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
        Template pub = new Template().bool(CKA_TOKEN, true).bool(CKA_VERIFY, true).bytes(CKA_EC_PARAMS, p256)
                .utf8(CKA_LABEL, "sys-ec");
        Template priv = new Template().bool(CKA_TOKEN, true).bool(CKA_SIGN, true).bool(CKA_SENSITIVE, true)
                .bool(CKA_PRIVATE, true).utf8(CKA_LABEL, "sys-ec");
        long[] pair = generatePair(CKM_EC_KEY_PAIR_GEN, pub, priv);

        byte[] hash = MessageDigest.getInstance("SHA-256").digest("ec data".getBytes(StandardCharsets.UTF_8));
        assertThat(f.C_SignInit(session, Sys.mechanism(CKM_ECDSA), pair[1])).isEqualTo(CKR_OK);
        Memory in = Sys.bytes(hash);
        byte[] sig = TwoCall.bytes(Pkcs11Function.C_Sign, f.abi(), (buf, len) -> f.C_Sign(session, in, hash.length, buf, len));
        assertThat(sig).hasSize(64); // r || s, 32 bytes each
        assertThat(verifyOnToken(CKM_ECDSA, pair[0], hash, sig)).isEqualTo(CKR_OK);
        byte[] bad = sig.clone();
        bad[63] ^= 1;
        assertThat(verifyOnToken(CKM_ECDSA, pair[0], hash, bad)).isEqualTo(CKR_SIGNATURE_INVALID);
        assertThat(Sys.attribute(f, session, pair[0], CKA_EC_POINT)[0]).as("DER OCTET STRING").isEqualTo((byte) 0x04);
    }

    @Test
    void findObjectsByTemplate() throws Exception {
        generateRsa("find-me", 1024);
        generateRsa("find-me-too", 1024);
        List<Long> privs = Sys.findObjects(f, session, new Template()
                .ulong(CKA_CLASS, CKO_PRIVATE_KEY).utf8(CKA_LABEL, "find-me"));
        assertThat(privs).hasSize(1);
        assertThat(Sys.utf8Attribute(f, session, privs.get(0), CKA_LABEL)).isEqualTo("find-me");
        assertThat(Sys.ulongAttribute(f, session, privs.get(0), CKA_KEY_TYPE)).isEqualTo(CKK_RSA);

        List<Long> both = Sys.findObjects(f, session, new Template().ulong(CKA_CLASS, CKO_PUBLIC_KEY)
                .ulong(CKA_KEY_TYPE, CKK_RSA));
        assertThat(both.size()).isGreaterThanOrEqualTo(2);
        assertThat(Sys.findObjects(f, session, new Template().utf8(CKA_LABEL, "no such label"))).isEmpty();
    }

    @Test
    void sensitiveAttributeIsReportedNotRead() throws Exception {
        long[] pair = generateRsa("sys-sensitive", 1024);
        StructLayout l = Structs.CK_ATTRIBUTE.layout();
        Memory attrs = l.allocate(2);
        Pointer first = attrs;
        Pointer second = attrs.share(l.size());
        l.field("type").setULong(first, CKA_PRIVATE_EXPONENT);
        l.field("type").setULong(second, CKA_MODULUS);
        long rv = f.C_GetAttributeValue(session, pair[1], attrs, 2);
        assertThat(rvName(rv)).isEqualTo("CKR_ATTRIBUTE_SENSITIVE");
        assertThat(l.field("ulValueLen").getULong(first)).isEqualTo(CK_UNAVAILABLE_INFORMATION);
        assertThat(l.field("ulValueLen").getULong(second)).as("the readable one still reports its length").isEqualTo(128);
        Pkcs11Exception e = org.junit.jupiter.api.Assertions.assertThrows(Pkcs11Exception.class,
                () -> Sys.attribute(f, session, pair[1], CKA_PRIVATE_EXPONENT));
        assertThat(e).hasMessage("C_GetAttributeValue: CKR_ATTRIBUTE_SENSITIVE (0x00000011)");
        assertThat(e.rv()).isEqualTo(CKR_ATTRIBUTE_SENSITIVE);
    }

    @Test
    void digestMatchesTheJdk() throws Exception {
        byte[] data = new byte[10_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        assertThat(f.C_DigestInit(session, Sys.mechanism(CKM_SHA256))).isEqualTo(CKR_OK);
        Memory in = Sys.bytes(data);
        byte[] digest = TwoCall.bytes(Pkcs11Function.C_Digest, f.abi(), (buf, len) -> f.C_Digest(session, in, data.length, buf, len));
        assertThat(digest).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @Test
    void randomFillsTheBuffer() {
        Memory a = new Memory(64);
        Memory b = new Memory(64);
        a.clear();
        b.clear();
        assertThat(f.C_SeedRandom(session, Sys.bytes(new byte[] {1, 2, 3}), 3)).isIn(CKR_OK, CKR_RANDOM_SEED_NOT_SUPPORTED);
        assertThat(f.C_GenerateRandom(session, a, 64)).isEqualTo(CKR_OK);
        assertThat(f.C_GenerateRandom(session, b, 64)).isEqualTo(CKR_OK);
        assertThat(a.getByteArray(0, 64)).isNotEqualTo(new byte[64]).isNotEqualTo(b.getByteArray(0, 64));
    }

    @Test
    void logoutEndsTheLoginAndAWrongPinIsRefused() throws Exception {
        assertThat(f.C_Logout(session)).isEqualTo(CKR_OK);
        StructLayout l = Structs.CK_SESSION_INFO.layout();
        Memory info = l.allocate();
        assertThat(f.C_GetSessionInfo(session, info)).isEqualTo(CKR_OK);
        assertThat(l.field("state").getULong(info)).isEqualTo(CKS_RW_PUBLIC_SESSION);
        assertThat(Sys.findObjects(f, session, new Template().ulong(CKA_CLASS, CKO_PRIVATE_KEY)))
                .as("private objects are hidden once logged out").isEmpty();
        byte[] wrong = "not-the-pin".getBytes(StandardCharsets.UTF_8);
        long rv = f.C_Login(session, CKU_USER, Sys.bytes(wrong), wrong.length);
        assertThat(rvName(rv)).isEqualTo("CKR_PIN_INCORRECT");
        Pkcs11Exception e = new Pkcs11Exception(Pkcs11Function.C_Login, rv);
        assertThat(e.getMessage()).isEqualTo("C_Login: CKR_PIN_INCORRECT (0x000000A0)").doesNotContain("not-the-pin");
        Sys.login(f, session, CKU_USER, token.userPinChars());
    }

    private long[] generateRsa(String label, int bits) throws Pkcs11Exception {
        Template pub = new Template().bool(CKA_TOKEN, true).bool(CKA_VERIFY, true).ulong(CKA_MODULUS_BITS, bits)
                .bytes(CKA_PUBLIC_EXPONENT, new byte[] {1, 0, 1}).utf8(CKA_LABEL, label);
        Template priv = new Template().bool(CKA_TOKEN, true).bool(CKA_SIGN, true).bool(CKA_SENSITIVE, true)
                .bool(CKA_PRIVATE, true).utf8(CKA_LABEL, label);
        return generatePair(CKM_RSA_PKCS_KEY_PAIR_GEN, pub, priv);
    }

    private long[] generatePair(long mechanism, Template pub, Template priv) throws Pkcs11Exception {
        Memory hPub = Sys.ulongOut();
        Memory hPriv = Sys.ulongOut();
        Sys.check(Pkcs11Function.C_GenerateKeyPair, f.C_GenerateKeyPair(session, Sys.mechanism(mechanism),
                pub.pointer(), pub.size(), priv.pointer(), priv.size(), hPub, hPriv));
        // The templates' value buffers are reachable only through native pointers until here.
        java.lang.ref.Reference.reachabilityFence(pub);
        java.lang.ref.Reference.reachabilityFence(priv);
        Abi abi = f.abi();
        return new long[] {abi.getULong(hPub, 0), abi.getULong(hPriv, 0)};
    }

    private long verifyOnToken(long mechanism, long publicKey, byte[] data, byte[] signature) {
        long rv = f.C_VerifyInit(session, Sys.mechanism(mechanism), publicKey);
        if (rv != CKR_OK) {
            return rv;
        }
        return f.C_Verify(session, Sys.bytes(data), data.length, Sys.bytes(signature), signature.length);
    }
}
