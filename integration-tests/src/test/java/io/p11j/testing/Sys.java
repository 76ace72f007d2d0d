// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.p11j.sys.Abi;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;
import io.p11j.sys.TwoCall;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.CKF_RW_SESSION;
import static io.p11j.sys.Pkcs11Constants.CKF_SERIAL_SESSION;
import static io.p11j.sys.Pkcs11Constants.CKR_OK;
import static io.p11j.sys.Pkcs11Constants.CKR_USER_ALREADY_LOGGED_IN;

/**
 * Small conveniences over the raw sys layer for tests and the demonstration: they turn native
 * memory into Java values and throw {@link Pkcs11Exception} on any other {@code CK_RV} than
 * {@code CKR_OK}. (The wrapper layer is the real home of such things; these stay test-only.)
 */
public final class Sys {

    private static final Abi ABI = Abi.NATIVE;

    private Sys() {
    }

    public static void check(Pkcs11Function function, long rv) throws Pkcs11Exception {
        Pkcs11Exception.check(function, rv);
    }

    public static long[] slots(Pkcs11Functions f, boolean tokenPresent) throws Pkcs11Exception {
        byte present = (byte) (tokenPresent ? 1 : 0);
        return TwoCall.ulongs(Pkcs11Function.C_GetSlotList, f.abi(), (buf, len) -> f.C_GetSlotList(present, buf, len));
    }

    public static Memory tokenInfo(Pkcs11Functions f, long slot) throws Pkcs11Exception {
        Memory info = Structs.CK_TOKEN_INFO.layout().allocate();
        check(Pkcs11Function.C_GetTokenInfo, f.C_GetTokenInfo(slot, info));
        return info;
    }

    /** A blank-padded fixed-size text field of a structure, trimmed. */
    public static String text(Pointer struct, StructLayout layout, String member) {
        return new String(layout.field(member).getBytes(struct), StandardCharsets.UTF_8).stripTrailing();
    }

    public static String tokenLabel(Memory tokenInfo) {
        return text(tokenInfo, Structs.CK_TOKEN_INFO.layout(), "label");
    }

    public static long tokenFlags(Memory tokenInfo) {
        return Structs.CK_TOKEN_INFO.layout().field("flags").getULong(tokenInfo);
    }

    /** A blank-padded field of {@code size} bytes, as C_InitToken's label wants it. */
    public static Memory padded(String s, int size) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > size) {
            throw new IllegalArgumentException("longer than " + size + " bytes: " + s);
        }
        Memory m = new Memory(size);
        for (int i = 0; i < size; i++) {
            m.setByte(i, i < b.length ? b[i] : (byte) ' ');
        }
        return m;
    }

    public static Memory bytes(byte[] b) {
        Memory m = new Memory(Math.max(1, b.length));
        m.write(0, b, 0, b.length);
        return m;
    }

    public static Memory ulongOut() {
        Memory m = new Memory(ABI.ulongSize());
        ABI.setULong(m, 0, 0);
        return m;
    }

    public static long openSession(Pkcs11Functions f, long slot, boolean rw) throws Pkcs11Exception {
        Memory h = ulongOut();
        long flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
        check(Pkcs11Function.C_OpenSession, f.C_OpenSession(slot, flags, Pointer.NULL, Pointer.NULL, h));
        return ABI.getULong(h, 0);
    }

    /** C_Login; {@code CKR_USER_ALREADY_LOGGED_IN} counts as success (the login state is per token). */
    public static void login(Pkcs11Functions f, long session, long userType, char[] pin) throws Pkcs11Exception {
        byte[] b = new String(pin).getBytes(StandardCharsets.UTF_8);
        Memory m = bytes(b);
        try {
            long rv = f.C_Login(session, userType, m, b.length);
            if (rv != CKR_USER_ALREADY_LOGGED_IN) {
                check(Pkcs11Function.C_Login, rv);
            }
        } finally {
            m.clear();
            java.util.Arrays.fill(b, (byte) 0);
        }
    }

    public static List<Long> findObjects(Pkcs11Functions f, long session, Template template) throws Pkcs11Exception {
        check(Pkcs11Function.C_FindObjectsInit, f.C_FindObjectsInit(session, template.pointer(), template.size()));
        // The value buffers are reachable only through native pointers: keep the template alive past the call.
        java.lang.ref.Reference.reachabilityFence(template);
        List<Long> out = new ArrayList<>();
        try {
            int batch = 16;
            Memory handles = new Memory((long) batch * ABI.ulongSize());
            Memory count = ulongOut();
            while (true) {
                check(Pkcs11Function.C_FindObjects, f.C_FindObjects(session, handles, batch, count));
                int n = (int) ABI.getULong(count, 0);
                for (long h : ABI.getULongArray(handles, 0, n)) {
                    out.add(h);
                }
                if (n < batch) {
                    return out;
                }
            }
        } finally {
            check(Pkcs11Function.C_FindObjectsFinal, f.C_FindObjectsFinal(session));
        }
    }

    /** One attribute's value, by the two-call convention on its CK_ATTRIBUTE. */
    public static byte[] attribute(Pkcs11Functions f, long session, long object, long type) throws Pkcs11Exception {
        StructLayout l = Structs.CK_ATTRIBUTE.layout();
        Memory attr = l.allocate();
        l.field("type").setULong(attr, type);
        check(Pkcs11Function.C_GetAttributeValue, f.C_GetAttributeValue(session, object, attr, 1));
        long len = l.field("ulValueLen").getULong(attr);
        if (len == 0) {
            return new byte[0];
        }
        Memory value = new Memory(len);
        l.field("pValue").setPointer(attr, value);
        check(Pkcs11Function.C_GetAttributeValue, f.C_GetAttributeValue(session, object, attr, 1));
        return value.getByteArray(0, (int) l.field("ulValueLen").getULong(attr));
    }

    public static String utf8Attribute(Pkcs11Functions f, long session, long object, long type) throws Pkcs11Exception {
        return new String(attribute(f, session, object, type), StandardCharsets.UTF_8);
    }

    public static long ulongAttribute(Pkcs11Functions f, long session, long object, long type) throws Pkcs11Exception {
        byte[] b = attribute(f, session, object, type);
        return ABI.getULong(bytes(b), 0);
    }

    /** A CK_MECHANISM with no parameter, or with {@code parameter} (which must stay reachable for the call). */
    public static Memory mechanism(long type, Pointer parameter, long parameterLength) {
        StructLayout l = Structs.CK_MECHANISM.layout();
        Memory m = l.allocate();
        l.field("mechanism").setULong(m, type);
        l.field("pParameter").setPointer(m, parameter);
        l.field("ulParameterLen").setULong(m, parameterLength);
        return m;
    }

    public static Memory mechanism(long type) {
        return mechanism(type, Pointer.NULL, 0);
    }

    public static boolean ok(long rv) {
        return rv == CKR_OK;
    }
}
