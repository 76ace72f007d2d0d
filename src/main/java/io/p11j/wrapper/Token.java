// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;
import io.p11j.sys.TwoCall;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.sys.NativeArena;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.CKF_RW_SESSION;
import static io.p11j.sys.Pkcs11Constants.CKF_SERIAL_SESSION;

/** The token in a slot: its info, its mechanisms, and sessions on it. A value; thread-safe. */
public final class Token {

    private final Slot slot;

    Token(Slot slot) {
        this.slot = slot;
    }

    public Slot slot() {
        return slot;
    }

    public Pkcs11Module module() {
        return slot.module();
    }

    /** {@code C_GetTokenInfo}. */
    public TokenInfo info() throws Pkcs11Exception {
        Memory m = Structs.CK_TOKEN_INFO.layout().allocate();
        Pkcs11Errors.check(Pkcs11Function.C_GetTokenInfo, module().functions().C_GetTokenInfo(slot.id(), m));
        return TokenInfo.read(m);
    }

    /** This token's {@code pkcs11:} URI: label, manufacturer, model and serial, as {@code p11tool --list-tokens} prints. */
    public Pkcs11Uri uri() throws Pkcs11Exception {
        return Pkcs11Uri.forToken(uriInfo(info()));
    }

    static Pkcs11Uri.TokenInfo uriInfo(TokenInfo i) {
        return new Pkcs11Uri.TokenInfo(i.label(), i.manufacturerId(), i.model(), i.serialNumber());
    }

    /** {@code C_GetMechanismList}. */
    public long[] mechanismTypes() throws Pkcs11Exception {
        Pkcs11Functions f = module().functions();
        try {
            return TwoCall.ulongs(Pkcs11Function.C_GetMechanismList, f.abi(), (buf, len) -> f.C_GetMechanismList(slot.id(), buf, len));
        } catch (Pkcs11Exception e) {
            throw Pkcs11Errors.typed(e);
        }
    }

    /** {@code C_GetMechanismInfo} of one mechanism. */
    public MechanismInfo mechanismInfo(long type) throws Pkcs11Exception {
        Memory m = Structs.CK_MECHANISM_INFO.layout().allocate();
        Pkcs11Errors.check(Pkcs11Function.C_GetMechanismInfo, module().functions().C_GetMechanismInfo(slot.id(), type, m));
        return MechanismInfo.read(type, m);
    }

    /** Every mechanism of the token with its info. */
    public List<MechanismInfo> mechanisms() throws Pkcs11Exception {
        long[] types = mechanismTypes();
        List<MechanismInfo> out = new ArrayList<>(types.length);
        StructLayout l = Structs.CK_MECHANISM_INFO.layout();
        Memory m = l.allocate();
        Pkcs11Functions f = module().functions();
        for (long t : types) {
            Pkcs11Errors.check(Pkcs11Function.C_GetMechanismInfo, f.C_GetMechanismInfo(slot.id(), t, m));
            out.add(MechanismInfo.read(t, m));
        }
        return out;
    }

    /** {@code C_OpenSession}: a serial session, read-write or read-only. The caller closes it. */
    public Session openSession(boolean readWrite) throws Pkcs11Exception {
        Pkcs11Functions f = module().functions();
        long generation = module().context().generation();
        Memory handle = new Memory(f.abi().ulongSize());
        handle.clear();
        long flags = CKF_SERIAL_SESSION | (readWrite ? CKF_RW_SESSION : 0);
        Pkcs11Errors.check(Pkcs11Function.C_OpenSession, f.C_OpenSession(slot.id(), flags, Pointer.NULL, Pointer.NULL, handle));
        return new Session(this, f.abi().getULong(handle, 0), readWrite, generation);
    }

    /** {@code C_CloseAllSessions}: closes every session of this process on the token. */
    public void closeAllSessions() throws Pkcs11Exception {
        Pkcs11Errors.check(Pkcs11Function.C_CloseAllSessions, module().functions().C_CloseAllSessions(slot.id()));
    }

    /**
     * {@code C_InitToken}: (re)initializes the token with an SO PIN and a label (at most 32 bytes
     * of UTF-8). Destroys everything on it. The caller's {@code soPin} array is left as it is;
     * the copies made for the call are wiped.
     */
    public void initialize(char[] soPin, String label) throws Pkcs11Exception {
        byte[] l = label.getBytes(StandardCharsets.UTF_8);
        if (l.length > 32) {
            throw new IllegalArgumentException("a token label is at most 32 bytes of UTF-8, this one is " + l.length);
        }
        try (NativeArena arena = new NativeArena(module().functions().abi())) {
            Pointer padded = arena.allocate(32);
            for (int i = 0; i < 32; i++) {
                padded.setByte(i, i < l.length ? l[i] : (byte) ' ');
            }
            NativeArena.Bytes pin = arena.utf8(soPin);
            Pkcs11Errors.check(Pkcs11Function.C_InitToken,
                    module().functions().C_InitToken(slot.id(), pin.memory(), pin.length(), padded));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Token t && t.slot.equals(slot);
    }

    @Override
    public int hashCode() {
        return slot.hashCode();
    }

    @Override
    public String toString() {
        return "Token[slot " + slot.id() + "]";
    }
}
