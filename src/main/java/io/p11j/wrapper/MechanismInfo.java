// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Pointer;
import io.p11j.sys.Pkcs11Constants;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;

import java.util.Set;

/** A mechanism a token supports, with its {@code CK_MECHANISM_INFO}: key-size range (bits or bytes, per mechanism) and flags. */
public record MechanismInfo(long type, long minKeySize, long maxKeySize, Set<MechanismFlag> flags) {

    public boolean can(MechanismFlag flag) {
        return flags.contains(flag);
    }

    /** The {@code CKM_} name. */
    public String name() {
        return Pkcs11Constants.mechanismName(type);
    }

    static MechanismInfo read(long type, Pointer p) {
        StructLayout l = Structs.CK_MECHANISM_INFO.layout();
        return new MechanismInfo(type, l.field("ulMinKeySize").getULong(p), l.field("ulMaxKeySize").getULong(p),
                Flag.decode(MechanismFlag.class, l.field("flags").getULong(p)));
    }
}
