// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.p11j.testing.Nss;
import io.p11j.testing.P11KitServer;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.Sys;
import io.p11j.testing.Template;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The direct-call path of {@link JnaFunctionList}: the hot functions called through JNA direct mapping
 * of the module's exported symbols, only where those are the function list's own pointers.
 *
 * <p>On SoftHSM2 (whose list points at its exported {@code C_*} functions) the path is on, and every hot
 * function gives the same results as the generic path (the same module loaded with
 * {@code io.p11j.sys.directCalls=false}) and as the JDK. Where the list points elsewhere (NSS softokn,
 * which exports no {@code C_*} functions; p11-kit's client; a list with swapped entries) the path is off. A second copy of SoftHSM2 in
 * the same process gets its own binding: its calls reach the copy, not the first module.
 */
@ExtendWith(SoftHsmExtension.class)
class DirectCallsIT {

    private static final byte[] AES_KEY = hex("000102030405060708090a0b0c0d0e0f");
    private static final byte[] HMAC_KEY = "a key for HMAC-SHA256, 32 bytes!".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] IV = hex("f0e0d0c0b0a090807060504030201000");
    private static final byte[] DATA = "the same bytes through both call paths, 48 bytes".getBytes(StandardCharsets.US_ASCII);

    private final TestToken token;
    private final JnaFunctionList direct;
    private final JnaFunctionList generic;
    private long session;
    private long aesKey;
    private long hmacKey;

    DirectCallsIT(TestToken token) throws ModuleLoadException {
        this.token = token;
        this.direct = (JnaFunctionList) token.functions();
        this.generic = (JnaFunctionList) loadWithoutDirectCalls(token.library().path()).functions();
    }

    /** The same module (dlopen hands out the same handle), its function list read again, direct calls off. */
    private static Pkcs11Library loadWithoutDirectCalls(Path module) throws ModuleLoadException {
        String before = System.getProperty(DirectCallBinder.PROPERTY);
        System.setProperty(DirectCallBinder.PROPERTY, "false");
        try {
            return Pkcs11Library.load(module);
        } finally {
            if (before == null) {
                System.clearProperty(DirectCallBinder.PROPERTY);
            } else {
                System.setProperty(DirectCallBinder.PROPERTY, before);
            }
        }
    }

    @BeforeEach
    void openSession() throws Pkcs11Exception {
        session = Sys.openSession(direct, token.slotId(), true);
        Sys.login(direct, session, CKU_USER, token.userPinChars());
        aesKey = createSecretKey(CKK_AES, AES_KEY, "aes");
        hmacKey = createSecretKey(CKK_GENERIC_SECRET, HMAC_KEY, "hmac");
    }

    @AfterEach
    void closeSession() {
        assertThat(direct.C_CloseSession(session)).isEqualTo(CKR_OK);
    }

    @Test
    void softHsmIsCalledDirectlyAndTheGenericListIsNot() {
        assertThat(direct.usesDirectCalls()).isTrue();
        assertThat(generic.usesDirectCalls()).isFalse();
        NativeLibrary lib = token.library().nativeLibrary();
        Pointer[] pointers = listPointers(lib);
        assertThat(DirectCallBinder.firstMismatch(lib, pointers)).as("SoftHSM2's list points at its symbols").isNull();
    }

    @Test
    void digestIsTheSameThroughBothPathsAndTheJdks() throws Exception {
        byte[] expected = MessageDigest.getInstance("SHA-256", "SUN").digest(DATA);
        for (JnaFunctionList f : List.of(direct, generic)) {
            Memory mech = Sys.mechanism(CKM_SHA256);
            check(f.C_DigestInit(session, mech));
            assertThat(singlePart(f::C_Digest, DATA, 32)).isEqualTo(expected);

            check(f.C_DigestInit(session, mech));
            Memory part = Sys.bytes(Arrays.copyOf(DATA, 20));
            check(f.C_DigestUpdate(session, part, 20));
            Memory rest = Sys.bytes(Arrays.copyOfRange(DATA, 20, DATA.length));
            check(f.C_DigestUpdate(session, rest, DATA.length - 20));
            assertThat(finalPart(f::C_DigestFinal, 32)).isEqualTo(expected);
            Reference.reachabilityFence(mech);
        }
    }

    @Test
    void aesCbcIsTheSameThroughBothPathsAndSunJces() throws Exception {
        Cipher jdk = Cipher.getInstance("AES/CBC/NoPadding", "SunJCE");
        jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(AES_KEY, "AES"), new IvParameterSpec(IV));
        byte[] expected = jdk.doFinal(DATA);
        for (JnaFunctionList f : List.of(direct, generic)) {
            Memory iv = Sys.bytes(IV);
            Memory mech = Sys.mechanism(CKM_AES_CBC, iv, IV.length);

            check(f.C_EncryptInit(session, mech, aesKey));
            assertThat(singlePart(f::C_Encrypt, DATA, DATA.length)).isEqualTo(expected);
            check(f.C_DecryptInit(session, mech, aesKey));
            assertThat(singlePart(f::C_Decrypt, expected, DATA.length)).isEqualTo(DATA);

            check(f.C_EncryptInit(session, mech, aesKey));
            byte[] multi = concat(singlePart(f::C_EncryptUpdate, DATA, DATA.length), finalPart(f::C_EncryptFinal, 16));
            assertThat(multi).isEqualTo(expected);
            check(f.C_DecryptInit(session, mech, aesKey));
            byte[] back = concat(singlePart(f::C_DecryptUpdate, expected, DATA.length), finalPart(f::C_DecryptFinal, 16));
            assertThat(back).isEqualTo(DATA);
            Reference.reachabilityFence(iv);
            Reference.reachabilityFence(mech);
        }
    }

    @Test
    void hmacSignAndVerifyAreTheSameThroughBothPathsAndSunJces() throws Exception {
        Mac jdk = Mac.getInstance("HmacSHA256", "SunJCE");
        jdk.init(new SecretKeySpec(HMAC_KEY, "HmacSHA256"));
        byte[] expected = jdk.doFinal(DATA);
        for (JnaFunctionList f : List.of(direct, generic)) {
            Memory mech = Sys.mechanism(CKM_SHA256_HMAC);
            check(f.C_SignInit(session, mech, hmacKey));
            assertThat(singlePart(f::C_Sign, DATA, 32)).isEqualTo(expected);

            check(f.C_SignInit(session, mech, hmacKey));
            check(f.C_SignUpdate(session, Sys.bytes(DATA), DATA.length));
            assertThat(finalPart(f::C_SignFinal, 32)).isEqualTo(expected);

            Memory data = Sys.bytes(DATA);
            check(f.C_VerifyInit(session, mech, hmacKey));
            assertThat(f.C_Verify(session, data, DATA.length, Sys.bytes(expected), expected.length)).isEqualTo(CKR_OK);
            byte[] wrong = expected.clone();
            wrong[0] ^= 1;
            check(f.C_VerifyInit(session, mech, hmacKey));
            assertThat(f.C_Verify(session, data, DATA.length, Sys.bytes(wrong), wrong.length))
                    .isEqualTo(CKR_SIGNATURE_INVALID);

            check(f.C_VerifyInit(session, mech, hmacKey));
            check(f.C_VerifyUpdate(session, data, DATA.length));
            assertThat(f.C_VerifyFinal(session, Sys.bytes(expected), expected.length)).isEqualTo(CKR_OK);
            Reference.reachabilityFence(mech);
        }
    }

    @Test
    void objectSearchAttributesRandomAndSessionInfoAreTheSameThroughBothPaths() throws Exception {
        Template byLabel = new Template().utf8(CKA_LABEL, "aes");
        assertThat(Sys.findObjects(direct, session, byLabel)).containsExactly(aesKey);
        assertThat(Sys.findObjects(generic, session, byLabel)).containsExactly(aesKey);
        assertThat(Sys.ulongAttribute(direct, session, hmacKey, CKA_KEY_TYPE)).isEqualTo(CKK_GENERIC_SECRET);
        assertThat(Sys.attribute(direct, session, aesKey, CKA_LABEL))
                .isEqualTo(Sys.attribute(generic, session, aesKey, CKA_LABEL))
                .isEqualTo("aes".getBytes(StandardCharsets.UTF_8));
        // A sensitive value is refused the same way by both.
        StructLayout l = Structs.CK_ATTRIBUTE.layout();
        for (JnaFunctionList f : List.of(direct, generic)) {
            Memory attr = l.allocate();
            l.field("type").setULong(attr, CKA_VALUE);
            assertThat(f.C_GetAttributeValue(session, aesKey, attr, 1)).isEqualTo(CKR_ATTRIBUTE_SENSITIVE);
            assertThat(l.field("ulValueLen").getULong(attr)).isEqualTo(CK_UNAVAILABLE_INFORMATION);

            Memory random = new Memory(64);
            random.clear();
            check(f.C_GenerateRandom(session, random, 64));
            assertThat(random.getByteArray(0, 64)).isNotEqualTo(new byte[64]);

            StructLayout si = Structs.CK_SESSION_INFO.layout();
            Memory info = si.allocate();
            check(f.C_GetSessionInfo(session, info));
            assertThat(si.field("slotID").getULong(info)).isEqualTo(token.slotId());
            assertThat(si.field("state").getULong(info)).isEqualTo(CKS_RW_USER_FUNCTIONS);
        }
    }

    @Test
    void errorsAndFullWidthArgumentsAreTheSameThroughBothPaths() {
        // A handle no session has, with high bits set: a truncated or sign-mangled CK_ULONG would differ.
        long bogus = 0x7fff_0000_0000_1234L;
        Memory out = new Memory(64);
        Memory len = Sys.ulongOut();
        for (JnaFunctionList f : List.of(direct, generic)) {
            assertThat(f.C_GenerateRandom(bogus, out, 64)).isEqualTo(CKR_SESSION_HANDLE_INVALID);
            assertThat(f.C_DigestInit(bogus, Sys.mechanism(CKM_SHA256))).isEqualTo(CKR_SESSION_HANDLE_INVALID);
            assertThat(f.C_FindObjectsFinal(bogus)).isEqualTo(CKR_SESSION_HANDLE_INVALID);
            // An operation that was never initialized.
            assertThat(f.C_Encrypt(session, out, 16, out, len)).isEqualTo(CKR_OPERATION_NOT_INITIALIZED);
            assertThat(f.C_SignFinal(session, out, len)).isEqualTo(CKR_OPERATION_NOT_INITIALIZED);
        }
    }

    @Test
    void decoratorsStillSeeEveryCall() throws Exception {
        int[] calls = new int[1];
        Pkcs11Functions counted = new ForwardingFunctions(direct) {
            @Override
            public long C_DigestUpdate(long hSession, Pointer pPart, long ulPartLen) {
                calls[0]++;
                return super.C_DigestUpdate(hSession, pPart, ulPartLen);
            }
        };
        Memory mech = Sys.mechanism(CKM_SHA256);
        check(counted.C_DigestInit(session, mech));
        check(counted.C_DigestUpdate(session, Sys.bytes(DATA), DATA.length));
        check(counted.C_DigestUpdate(session, Sys.bytes(DATA), DATA.length));
        Memory digest = new Memory(32);
        Memory len = Sys.ulongOut();
        Abi.NATIVE.setULong(len, 0, 32);
        check(counted.C_DigestFinal(session, digest, len));
        assertThat(calls[0]).isEqualTo(2);
        byte[] twice = concat(DATA, DATA);
        assertThat(digest.getByteArray(0, 32)).isEqualTo(MessageDigest.getInstance("SHA-256", "SUN").digest(twice));
    }

    @Test
    void nssSoftoknAndP11KitClientKeepTheGenericPath() throws Exception {
        // softokn exports C_GetFunctionList and C_GetInterface but no C_Encrypt etc.: its lists point at NSC_*.
        for (Pkcs11Library.InterfaceChoice choice : Pkcs11Library.InterfaceChoice.values()) {
            Pkcs11Library nss = Pkcs11Library.load(Nss.findSoftokn(), choice);
            assertThat(((JnaFunctionList) nss.functions()).usesDirectCalls()).as("softokn, %s", choice).isFalse();
            NativeLibrary lib = nss.nativeLibrary();
            assertThat(DirectCallBinder.firstMismatch(lib, listPointers(lib))).endsWith("is not exported");
        }
        // p11-kit's client module hands out a list of its own stubs, which talk to the server.
        Path client = P11KitServer.clientModule();
        Pkcs11Library p = Pkcs11Library.load(client);
        assertThat(((JnaFunctionList) p.functions()).usesDirectCalls()).as("%s", client).isFalse();
    }

    @Test
    void aListThatPointsElsewhereThanTheSymbolsIsNotBound() {
        // What a decorating module or a proxy that also exports C_* looks like: a listed pointer that is
        // not the exported function of that name. Made here from SoftHSM2's own list, two entries swapped.
        NativeLibrary lib = token.library().nativeLibrary();
        Pointer[] pointers = listPointers(lib);
        assertThat(DirectCallBinder.bind(lib, Abi.NATIVE, pointers)).as("the list as it is").isNotNull();

        int encrypt = Pkcs11Function.C_Encrypt.ordinal();
        int decrypt = Pkcs11Function.C_Decrypt.ordinal();
        Pointer[] swapped = pointers.clone();
        swapped[encrypt] = pointers[decrypt];
        swapped[decrypt] = pointers[encrypt];
        assertThat(DirectCallBinder.firstMismatch(lib, swapped))
                .isEqualTo("C_Decrypt is exported at another address than the function list's");
        assertThat(DirectCallBinder.bind(lib, Abi.NATIVE, swapped)).isNull();

        Pointer[] missing = pointers.clone();
        missing[Pkcs11Function.C_GenerateRandom.ordinal()] = null;
        assertThat(DirectCallBinder.firstMismatch(lib, missing)).isEqualTo("C_GenerateRandom is not in the function list");
        assertThat(DirectCallBinder.bind(lib, Abi.NATIVE, missing)).isNull();

        // Where CK_ULONG is 4 bytes (64-bit Windows, 32-bit platforms) a Java long would be the wrong width.
        assertThat(DirectCallBinder.bind(lib, Abi.of(4, 8, true), pointers)).isNull();
        assertThat(DirectCallBinder.bind(lib, Abi.of(4, 4, false), pointers)).isNull();
    }

    @Test
    void aSecondModuleGetsItsOwnBinding(@TempDir Path dir) throws Exception {
        // A copy of SoftHSM2 under another name is another library to the dynamic loader: its own code
        // and globals, not initialized. Calls through its direct binding must reach it, not the first one.
        Path copy = dir.resolve("libsofthsm2-copy.so");
        Files.copy(SoftHsm.get().modulePath(), copy);
        Pkcs11Library second = Pkcs11Library.load(copy, Pkcs11Library.InterfaceChoice.ONLY_2_X);
        JnaFunctionList f2 = (JnaFunctionList) second.functions();
        assertThat(f2.usesDirectCalls()).isTrue();
        assertThat(f2).isNotSameAs(direct);

        Memory out = new Memory(32);
        Memory len = Sys.ulongOut();
        Memory mech = Sys.mechanism(CKM_SHA256);
        JnaFunctionList secondGeneric = (JnaFunctionList) loadWithoutDirectCalls(copy).functions();
        for (JnaFunctionList f : List.of(f2, secondGeneric)) {
            assertThat(f.C_GenerateRandom(session, out, 32)).isEqualTo(CKR_CRYPTOKI_NOT_INITIALIZED);
            assertThat(f.C_DigestInit(session, mech)).isEqualTo(CKR_CRYPTOKI_NOT_INITIALIZED);
            assertThat(f.C_GetSessionInfo(session, out)).isEqualTo(CKR_CRYPTOKI_NOT_INITIALIZED);
            assertThat(f.C_SignFinal(session, out, len)).isEqualTo(CKR_CRYPTOKI_NOT_INITIALIZED);
        }
        // ...while the same calls through the first module's binding still reach the first module.
        assertThat(direct.C_GenerateRandom(session, out, 32)).isEqualTo(CKR_OK);
        check(direct.C_DigestInit(session, mech));
        check(direct.C_DigestUpdate(session, Sys.bytes(DATA), DATA.length));
        Abi.NATIVE.setULong(len, 0, 32);
        check(direct.C_DigestFinal(session, out, len));
        assertThat(out.getByteArray(0, 32)).isEqualTo(MessageDigest.getInstance("SHA-256", "SUN").digest(DATA));
        Reference.reachabilityFence(mech);
    }

    // -- helpers

    @FunctionalInterface
    private interface SinglePart {
        long call(long session, Pointer in, long inLen, Pointer out, Pointer outLen);
    }

    @FunctionalInterface
    private interface FinalPart {
        long call(long session, Pointer out, Pointer outLen);
    }

    private byte[] singlePart(SinglePart call, byte[] in, int outCapacity) throws Pkcs11Exception {
        Memory input = Sys.bytes(in);
        Memory output = new Memory(Math.max(outCapacity, 1));
        Memory len = Sys.ulongOut();
        Abi.NATIVE.setULong(len, 0, outCapacity);
        check(call.call(session, input, in.length, output, len));
        return output.getByteArray(0, (int) Abi.NATIVE.getULong(len, 0));
    }

    private byte[] finalPart(FinalPart call, int outCapacity) throws Pkcs11Exception {
        Memory output = new Memory(Math.max(outCapacity, 1));
        Memory len = Sys.ulongOut();
        Abi.NATIVE.setULong(len, 0, outCapacity);
        check(call.call(session, output, len));
        return output.getByteArray(0, (int) Abi.NATIVE.getULong(len, 0));
    }

    private long createSecretKey(long keyType, byte[] value, String label) throws Pkcs11Exception {
        Template t = new Template()
                .ulong(CKA_CLASS, CKO_SECRET_KEY)
                .ulong(CKA_KEY_TYPE, keyType)
                .bytes(CKA_VALUE, value)
                .utf8(CKA_LABEL, label)
                .bool(CKA_TOKEN, false)
                .bool(CKA_SENSITIVE, true)
                .bool(CKA_ENCRYPT, true)
                .bool(CKA_DECRYPT, true)
                .bool(CKA_SIGN, true)
                .bool(CKA_VERIFY, true);
        Memory h = Sys.ulongOut();
        check(direct.C_CreateObject(session, t.pointer(), t.size(), h));
        Reference.reachabilityFence(t);
        return Abi.NATIVE.getULong(h, 0);
    }

    /** The module's 2.x function list, read through its exported C_GetFunctionList. */
    private static Pointer[] listPointers(NativeLibrary lib) {
        Memory pp = new Memory(com.sun.jna.Native.POINTER_SIZE);
        pp.setPointer(0, null);
        assertThat(lib.getFunction("C_GetFunctionList").invokeLong(new Object[] {pp})).isEqualTo(CKR_OK);
        Pointer list = pp.getPointer(0);
        StructLayout layout = Structs.CK_FUNCTION_LIST.layout();
        Pkcs11Function[] all = Pkcs11Function.values();
        Pointer[] out = new Pointer[Pkcs11Function.COUNT_V2];
        for (int i = 0; i < out.length; i++) {
            out[i] = layout.field(all[i].name()).getPointer(list);
        }
        return out;
    }

    private static void check(long rv) {
        assertThat(Pkcs11Constants.rvName(rv)).isEqualTo("CKR_OK");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] hex(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }
}
