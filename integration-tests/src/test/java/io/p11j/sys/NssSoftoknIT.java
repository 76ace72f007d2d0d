// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;
import io.p11j.testing.Nss;
import io.p11j.testing.Sys;
import io.p11j.testing.Template;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PKCS#11 3.0 path against a real 3.0 module, NSS's softokn: the 3.0 function list through
 * {@code C_GetInterface}, {@code C_GetInterfaceList}, the 2.x list of the same module for contrast,
 * and the 3.0-only functions that softokn implements ({@code C_SessionCancel}, {@code C_LoginUser},
 * the AES-GCM message-based encryption API), checked against the JDK's AES/GCM.
 *
 * <p>softokn is initialized once for this class, on a fresh empty-password database made with
 * {@code certutil}, and finalized after it. (A module is process-global; SoftHSM2, which other test
 * classes of the same JVM use, is a different module.)
 */
class NssSoftoknIT {

    private static final String DB_SLOT = "NSS User Private Key and Certificate Services";
    private static final String DB_TOKEN = "NSS Certificate DB";

    private static final byte[] KNOWN_KEY = hex("000102030405060708090a0b0c0d0e0f");
    private static final byte[] IV = hex("cafebabefacedbaddecaf888");
    private static final byte[] AAD = "header: not secret, but authenticated".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PLAINTEXT =
            "the PKCS#11 3.0 message API, through the 3.0 function list".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dbDir;

    private static Pkcs11Library nss;
    private static Pkcs11Functions f;
    private static String initParameters;
    private static long dbSlot;
    private static boolean initialized;

    private long session;

    @BeforeAll
    static void initializeSoftokn() throws Exception {
        Nss.createDatabase(dbDir);
        initParameters = Nss.initParameters(dbDir);
        nss = Pkcs11Library.load(Nss.findSoftokn());
        f = nss.functions();
        assertThat(nss.initialize(initParameters)).isEqualTo(Pkcs11Library.Initialization.INITIALIZED);
        initialized = true;
        dbSlot = slotByDescription(DB_SLOT);
    }

    @AfterAll
    static void finalizeSoftokn() throws Pkcs11Exception {
        if (initialized) {
            initialized = false;
            assertThat(nss.finalizeModule()).as("this class initialized softokn, so it finalizes it").isTrue();
        }
    }

    @BeforeEach
    void openSession() throws Pkcs11Exception {
        session = Sys.openSession(f, dbSlot, true);
    }

    @AfterEach
    void closeSession() {
        assertThat(f.C_CloseSession(session)).isEqualTo(CKR_OK);
    }

    @Test
    void loadsThe30FunctionList() {
        assertThat(nss.functionListVersion()).containsExactly(3, 0);
        assertThat(nss.path()).isAbsolute();
        assertThat(f.isSupported(Pkcs11Function.C_LoginUser)).isTrue();
        assertThat(f.isSupported(Pkcs11Function.C_SessionCancel)).isTrue();
        assertThat(f.isSupported(Pkcs11Function.C_EncryptMessage)).isTrue();
        // softokn fills every one of the 92 slots of CK_FUNCTION_LIST_3_0.
        assertThat(Pkcs11Function.values()).allSatisfy(fn -> assertThat(f.isSupported(fn)).as("%s", fn).isTrue());
    }

    @Test
    void interfaceListOffersPkcs1130And240() throws Pkcs11Exception {
        List<Pkcs11Library.InterfaceInfo> interfaces = nss.interfaces();
        assertThat(interfaces).containsExactlyInAnyOrder(
                new Pkcs11Library.InterfaceInfo("PKCS 11", 3, 0, CKF_INTERFACE_FORK_SAFE),
                new Pkcs11Library.InterfaceInfo("PKCS 11", 2, 40, CKF_INTERFACE_FORK_SAFE),
                new Pkcs11Library.InterfaceInfo("Vendor NSS Module Interface", 1, 0, CKF_INTERFACE_FORK_SAFE),
                new Pkcs11Library.InterfaceInfo("Vendor NSS FIPS Interface", 1, 0, CKF_INTERFACE_FORK_SAFE));
    }

    @Test
    void the2xFunctionListHasNo30Functions() throws Exception {
        Pkcs11Library v2 = Pkcs11Library.load(nss.path(), Pkcs11Library.InterfaceChoice.ONLY_2_X);
        Pkcs11Functions f2 = v2.functions();
        assertThat(v2.path()).isEqualTo(nss.path());
        // softokn's C_GetFunctionList hands out its 2.40 list (the one C_GetInterface names "PKCS 11" 2.40).
        assertThat(v2.functionListVersion()).containsExactly(2, 40);
        for (Pkcs11Function fn : Pkcs11Function.values()) {
            assertThat(f2.isSupported(fn)).as("%s in the 2.x list", fn).isEqualTo(fn.since() == Pkcs11Function.Since.V2);
        }
        byte[] user = "bob".getBytes(StandardCharsets.US_ASCII);
        assertThat(f2.C_LoginUser(session, CKU_USER, Sys.bytes(new byte[0]), 0, Sys.bytes(user), user.length))
                .isEqualTo(CKR_FUNCTION_NOT_SUPPORTED);

        StructLayout l = Structs.CK_INFO.layout();
        Memory info = l.allocate();
        assertThat(f2.C_GetInfo(info)).isEqualTo(CKR_OK);
        // A different C_GetInfo from the 3.0 list's: softokn answers 2.40 through its 2.x list.
        assertThat(l.field("cryptokiVersion").getBytes(info)).containsExactly(2, 40);
        assertThat(Sys.text(info, l, "manufacturerID")).isEqualTo("Mozilla Foundation");
        assertThat(v2.finalizeModule()).as("the 2.x view did not initialize softokn").isFalse();
    }

    @Test
    void getInfoThroughThe30List() {
        StructLayout l = Structs.CK_INFO.layout();
        Memory info = l.allocate();
        assertThat(f.C_GetInfo(info)).isEqualTo(CKR_OK);
        assertThat(l.field("cryptokiVersion").getBytes(info)).containsExactly(3, 0);
        assertThat(Sys.text(info, l, "manufacturerID")).isEqualTo("Mozilla Foundation");
        assertThat(Sys.text(info, l, "libraryDescription")).isEqualTo("NSS Internal Crypto Services");
        byte[] libraryVersion = l.field("libraryVersion").getBytes(info);
        assertThat(libraryVersion[0]).as("NSS major version").isEqualTo((byte) 3);
        assertThat(l.field("flags").getULong(info)).isZero();
    }

    @Test
    void dbSlotHoldsTheCertificateDbToken() throws Pkcs11Exception {
        assertThat(dbSlot).isEqualTo(2);
        assertThat(Sys.tokenLabel(Sys.tokenInfo(f, dbSlot))).isEqualTo(DB_TOKEN);
        assertThat(Sys.tokenLabel(Sys.tokenInfo(f, slotByDescription("NSS Internal Cryptographic Services"))))
                .isEqualTo("NSS Generic Crypto Services");
    }

    @Test
    void secondInitializeIsAlreadyInitialized() throws Pkcs11Exception {
        assertThat(nss.initialize(initParameters)).isEqualTo(Pkcs11Library.Initialization.ALREADY_INITIALIZED);
        StructLayout l = Structs.CK_C_INITIALIZE_ARGS.layout();
        Memory args = new Memory(l.size() + f.abi().pointerSize());
        args.clear();
        l.field("flags").setULong(args, CKF_OS_LOCKING_OK);
        Memory reserved = Sys.bytes((initParameters + "\0").getBytes(StandardCharsets.UTF_8));
        l.field("pReserved").setPointer(args, reserved);
        assertThat(f.C_Initialize(args)).isEqualTo(CKR_CRYPTOKI_ALREADY_INITIALIZED);
        Reference.reachabilityFence(reserved);
        // Still usable, and still ours to finalize (checked after all tests).
        assertThat(f.C_GetInfo(Structs.CK_INFO.layout().allocate())).isEqualTo(CKR_OK);
    }

    @Test
    void loginUserIsReachedThroughThe30List() {
        byte[] user = "bob".getBytes(StandardCharsets.US_ASCII);
        long rv = f.C_LoginUser(session, CKU_USER, Sys.bytes(new byte[0]), 0, Sys.bytes(user), user.length);
        // Reached the module's own C_LoginUser: not the CKR_FUNCTION_NOT_SUPPORTED of a missing slot.
        assertThat(rvName(rv)).isEqualTo("CKR_OPERATION_NOT_INITIALIZED");
    }

    @Test
    void sessionCancel() throws Pkcs11Exception {
        assertThat(f.C_SessionCancel(session, CKF_MESSAGE_ENCRYPT)).isEqualTo(CKR_OPERATION_CANCEL_FAILED);
        long key = generateAesKey();
        assertThat(f.C_MessageEncryptInit(session, Sys.mechanism(CKM_AES_GCM), key)).isEqualTo(CKR_OK);
        assertThat(f.C_SessionCancel(session, CKF_MESSAGE_ENCRYPT)).isEqualTo(CKR_OK);
        // The operation is gone: nothing to finalize, nothing left to cancel, a new one can start.
        assertThat(f.C_MessageEncryptFinal(session)).isEqualTo(CKR_OPERATION_NOT_INITIALIZED);
        assertThat(f.C_SessionCancel(session, CKF_MESSAGE_ENCRYPT)).isEqualTo(CKR_OPERATION_CANCEL_FAILED);
        assertThat(f.C_MessageEncryptInit(session, Sys.mechanism(CKM_AES_GCM), key)).isEqualTo(CKR_OK);
        assertThat(f.C_MessageEncryptInit(session, Sys.mechanism(CKM_AES_GCM), key)).isEqualTo(CKR_OPERATION_ACTIVE);
        assertThat(f.C_MessageEncryptFinal(session)).isEqualTo(CKR_OK);
    }

    @Test
    void gcmMessageRoundTrip() throws Exception {
        long key = generateAesKey();
        Encrypted enc = encryptMessage(key, IV, AAD, PLAINTEXT);
        assertThat(enc.ciphertext()).hasSize(PLAINTEXT.length).isNotEqualTo(PLAINTEXT);
        assertThat(enc.tag()).hasSize(16);

        assertThat(f.C_MessageDecryptInit(session, Sys.mechanism(CKM_AES_GCM), key)).isEqualTo(CKR_OK);
        Decrypted r = decryptMessage(IV, AAD, enc.ciphertext(), enc.tag());
        assertThat(r.rv()).isEqualTo(CKR_OK);
        assertThat(r.plaintext()).isEqualTo(PLAINTEXT);
        byte[] badTag = enc.tag().clone();
        badTag[0] ^= 1;
        Decrypted bad = decryptMessage(IV, AAD, enc.ciphertext(), badTag);
        assertThat(rvName(bad.rv())).isEqualTo("CKR_ENCRYPTED_DATA_INVALID");
        byte[] otherAad = AAD.clone();
        otherAad[0] ^= 1;
        assertThat(rvName(decryptMessage(IV, otherAad, enc.ciphertext(), enc.tag()).rv()))
                .as("the AAD is authenticated").isEqualTo("CKR_ENCRYPTED_DATA_INVALID");
        // One message failing does not end the message-based operation.
        Decrypted again = decryptMessage(IV, AAD, enc.ciphertext(), enc.tag());
        assertThat(again.rv()).isEqualTo(CKR_OK);
        assertThat(again.plaintext()).isEqualTo(PLAINTEXT);
        assertThat(f.C_MessageDecryptFinal(session)).isEqualTo(CKR_OK);

        Decrypted classic = decryptClassic(key, IV, AAD, concat(enc.ciphertext(), enc.tag()));
        assertThat(classic.rv()).isEqualTo(CKR_OK);
        assertThat(classic.plaintext()).isEqualTo(PLAINTEXT);
        Decrypted classicBad = decryptClassic(key, IV, AAD, concat(enc.ciphertext(), badTag));
        assertThat(rvName(classicBad.rv())).isEqualTo("CKR_ENCRYPTED_DATA_INVALID");
        // A failed single-part C_Decrypt ends the operation.
        Memory out = new Memory(PLAINTEXT.length + 16L);
        Memory outLen = Sys.ulongOut();
        f.abi().setULong(outLen, 0, PLAINTEXT.length + 16L);
        assertThat(f.C_Decrypt(session, Sys.bytes(enc.ciphertext()), enc.ciphertext().length, out, outLen))
                .isEqualTo(CKR_OPERATION_NOT_INITIALIZED);
    }

    @Test
    void gcmMessageMatchesTheJdk() throws Exception {
        Template t = new Template().ulong(CKA_CLASS, CKO_SECRET_KEY).ulong(CKA_KEY_TYPE, CKK_AES)
                .bytes(CKA_VALUE, KNOWN_KEY).bool(CKA_TOKEN, false).bool(CKA_ENCRYPT, true).bool(CKA_DECRYPT, true);
        Memory h = Sys.ulongOut();
        Sys.check(Pkcs11Function.C_CreateObject, f.C_CreateObject(session, t.pointer(), t.size(), h));
        Reference.reachabilityFence(t);
        long key = f.abi().getULong(h, 0);
        Encrypted enc = encryptMessage(key, IV, AAD, PLAINTEXT);

        Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KNOWN_KEY, "AES"), new GCMParameterSpec(128, IV));
        jdk.updateAAD(AAD);
        byte[] expected = jdk.doFinal(PLAINTEXT);
        assertThat(concat(enc.ciphertext(), enc.tag())).isEqualTo(expected);

        // And the other way: the JDK's ciphertext and tag decrypt on the token with the message API.
        assertThat(f.C_MessageDecryptInit(session, Sys.mechanism(CKM_AES_GCM), key)).isEqualTo(CKR_OK);
        Decrypted r = decryptMessage(IV, AAD, Arrays.copyOf(expected, PLAINTEXT.length),
                Arrays.copyOfRange(expected, PLAINTEXT.length, expected.length));
        assertThat(f.C_MessageDecryptFinal(session)).isEqualTo(CKR_OK);
        assertThat(r.rv()).isEqualTo(CKR_OK);
        assertThat(r.plaintext()).isEqualTo(PLAINTEXT);
    }

    // ---- helpers ----

    private long generateAesKey() throws Pkcs11Exception {
        Template t = new Template().ulong(CKA_VALUE_LEN, 16).bool(CKA_TOKEN, false)
                .bool(CKA_ENCRYPT, true).bool(CKA_DECRYPT, true);
        Memory h = Sys.ulongOut();
        Sys.check(Pkcs11Function.C_GenerateKey,
                f.C_GenerateKey(session, Sys.mechanism(CKM_AES_KEY_GEN), t.pointer(), t.size(), h));
        Reference.reachabilityFence(t);
        return f.abi().getULong(h, 0);
    }

    private Memory gcmMessageParams(Memory iv, int ivLen, Memory tag) {
        StructLayout l = Structs.CK_GCM_MESSAGE_PARAMS.layout();
        Memory p = l.allocate();
        l.field("pIv").setPointer(p, iv);
        l.field("ulIvLen").setULong(p, ivLen);
        l.field("ulIvFixedBits").setULong(p, 0);
        l.field("ivGenerator").setULong(p, CKG_NO_GENERATE);
        l.field("pTag").setPointer(p, tag);
        l.field("ulTagBits").setULong(p, 128);
        return p;
    }

    /** What C_EncryptMessage wrote: the ciphertext, and the tag into CK_GCM_MESSAGE_PARAMS.pTag. */
    private record Encrypted(byte[] ciphertext, byte[] tag) {
    }

    /** One C_EncryptMessage in a message-encryption operation of its own (init, encrypt, final). */
    private Encrypted encryptMessage(long key, byte[] iv, byte[] aad, byte[] plaintext) throws Pkcs11Exception {
        Sys.check(Pkcs11Function.C_MessageEncryptInit, f.C_MessageEncryptInit(session, Sys.mechanism(CKM_AES_GCM), key));
        Memory tag = new Memory(16);
        tag.clear();
        Memory ivMem = Sys.bytes(iv);
        Memory params = gcmMessageParams(ivMem, iv.length, tag);
        Memory out = new Memory(plaintext.length);
        Memory outLen = Sys.ulongOut();
        f.abi().setULong(outLen, 0, plaintext.length);
        Sys.check(Pkcs11Function.C_EncryptMessage, f.C_EncryptMessage(session, params,
                Structs.CK_GCM_MESSAGE_PARAMS.layout().size(), Sys.bytes(aad), aad.length,
                Sys.bytes(plaintext), plaintext.length, out, outLen));
        Reference.reachabilityFence(ivMem); // reached only through params: keep it alive across the call
        int n = (int) f.abi().getULong(outLen, 0);
        Sys.check(Pkcs11Function.C_MessageEncryptFinal, f.C_MessageEncryptFinal(session));
        return new Encrypted(out.getByteArray(0, n), tag.getByteArray(0, 16));
    }

    /** What a decryption returned: the CK_RV, and the plaintext when it is CKR_OK. */
    private record Decrypted(long rv, byte[] plaintext) {
    }

    /** One C_DecryptMessage in the active message-decryption operation. */
    private Decrypted decryptMessage(byte[] iv, byte[] aad, byte[] ciphertext, byte[] tag) {
        Memory ivMem = Sys.bytes(iv);
        Memory tagMem = Sys.bytes(tag);
        Memory params = gcmMessageParams(ivMem, iv.length, tagMem);
        Memory out = new Memory(ciphertext.length);
        Memory outLen = Sys.ulongOut();
        f.abi().setULong(outLen, 0, ciphertext.length);
        long rv = f.C_DecryptMessage(session, params, Structs.CK_GCM_MESSAGE_PARAMS.layout().size(),
                Sys.bytes(aad), aad.length, Sys.bytes(ciphertext), ciphertext.length, out, outLen);
        Reference.reachabilityFence(ivMem);
        Reference.reachabilityFence(tagMem);
        int n = (int) f.abi().getULong(outLen, 0);
        return new Decrypted(rv, rv == CKR_OK ? out.getByteArray(0, n) : null);
    }

    /** Classic single-part C_Decrypt with CKM_AES_GCM and CK_GCM_PARAMS. */
    private Decrypted decryptClassic(long key, byte[] iv, byte[] aad, byte[] ciphertextAndTag) throws Pkcs11Exception {
        StructLayout l = Structs.CK_GCM_PARAMS.layout();
        Memory p = l.allocate();
        Memory ivMem = Sys.bytes(iv);
        Memory aadMem = Sys.bytes(aad);
        l.field("pIv").setPointer(p, ivMem);
        l.field("ulIvLen").setULong(p, iv.length);
        l.field("ulIvBits").setULong(p, iv.length * 8L);
        l.field("pAAD").setPointer(p, aadMem);
        l.field("ulAADLen").setULong(p, aad.length);
        l.field("ulTagBits").setULong(p, 128);
        Sys.check(Pkcs11Function.C_DecryptInit, f.C_DecryptInit(session, Sys.mechanism(CKM_AES_GCM, p, l.size()), key));
        // The parameter, IV and AAD are reached only through native pointers.
        Reference.reachabilityFence(p);
        Reference.reachabilityFence(ivMem);
        Reference.reachabilityFence(aadMem);
        Memory out = new Memory(ciphertextAndTag.length);
        Memory outLen = Sys.ulongOut();
        f.abi().setULong(outLen, 0, ciphertextAndTag.length);
        long rv = f.C_Decrypt(session, Sys.bytes(ciphertextAndTag), ciphertextAndTag.length, out, outLen);
        int n = (int) f.abi().getULong(outLen, 0);
        return new Decrypted(rv, rv == CKR_OK ? out.getByteArray(0, n) : null);
    }

    private static long slotByDescription(String description) throws Pkcs11Exception {
        StructLayout l = Structs.CK_SLOT_INFO.layout();
        Memory info = l.allocate();
        for (long slot : Sys.slots(f, false)) {
            Sys.check(Pkcs11Function.C_GetSlotInfo, f.C_GetSlotInfo(slot, info));
            if (Sys.text(info, l, "slotDescription").equals(description)) {
                return slot;
            }
        }
        throw new AssertionError("softokn shows no slot '" + description + "'");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }
}
