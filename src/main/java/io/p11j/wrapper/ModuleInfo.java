// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Pointer;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;

/** {@code CK_INFO}: what {@code C_GetInfo} says about a module. Text fields are trimmed. */
public record ModuleInfo(Version cryptokiVersion, String manufacturerId, long flags, String libraryDescription,
                         Version libraryVersion) {

    static ModuleInfo read(Pointer p) {
        StructLayout l = Structs.CK_INFO.layout();
        return new ModuleInfo(Infos.version(l, "cryptokiVersion", p), Infos.text(l, "manufacturerID", p),
                l.field("flags").getULong(p), Infos.text(l, "libraryDescription", p),
                Infos.version(l, "libraryVersion", p));
    }
}
