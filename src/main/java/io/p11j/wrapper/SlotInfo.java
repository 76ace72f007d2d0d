// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Pointer;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;

import java.util.Set;

/** {@code CK_SLOT_INFO}. Text fields are trimmed. */
public record SlotInfo(String description, String manufacturerId, Set<SlotFlag> flags, Version hardwareVersion,
                       Version firmwareVersion) {

    public boolean tokenPresent() {
        return flags.contains(SlotFlag.TOKEN_PRESENT);
    }

    static SlotInfo read(Pointer p) {
        StructLayout l = Structs.CK_SLOT_INFO.layout();
        return new SlotInfo(Infos.text(l, "slotDescription", p), Infos.text(l, "manufacturerID", p),
                Flag.decode(SlotFlag.class, l.field("flags").getULong(p)),
                Infos.version(l, "hardwareVersion", p), Infos.version(l, "firmwareVersion", p));
    }
}
