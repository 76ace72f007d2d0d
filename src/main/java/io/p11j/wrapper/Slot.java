// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Memory;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Structs;

/** A slot of a module: a value (module + slot id). Slot ids are the module's; they may change between runs. */
public final class Slot {

    private final Pkcs11Module module;
    private final long id;

    Slot(Pkcs11Module module, long id) {
        this.module = module;
        this.id = id;
    }

    public Pkcs11Module module() {
        return module;
    }

    /** The {@code CK_SLOT_ID}. */
    public long id() {
        return id;
    }

    /** {@code C_GetSlotInfo}. */
    public SlotInfo info() throws Pkcs11Exception {
        Memory m = Structs.CK_SLOT_INFO.layout().allocate();
        Pkcs11Errors.check(Pkcs11Function.C_GetSlotInfo, module.functions().C_GetSlotInfo(id, m));
        return SlotInfo.read(m);
    }

    /** The token in this slot (whether one is present is checked when it is used). */
    public Token token() {
        return new Token(this);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Slot s && s.id == id && s.module == module;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(id);
    }

    @Override
    public String toString() {
        return "Slot[" + id + "]";
    }
}
