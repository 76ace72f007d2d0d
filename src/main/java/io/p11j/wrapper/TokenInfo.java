// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Pointer;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;

import java.util.Set;

/**
 * {@code CK_TOKEN_INFO}. Text fields are trimmed of their blank padding. Counts and sizes are as
 * the token reports them: {@code CK_UNAVAILABLE_INFORMATION} is -1, {@code CK_EFFECTIVELY_INFINITE} 0.
 */
public record TokenInfo(String label, String manufacturerId, String model, String serialNumber, Set<TokenFlag> flags,
                        long maxSessionCount, long sessionCount, long maxRwSessionCount, long rwSessionCount,
                        long maxPinLength, long minPinLength, long totalPublicMemory, long freePublicMemory,
                        long totalPrivateMemory, long freePrivateMemory, Version hardwareVersion,
                        Version firmwareVersion, String utcTime) {

    public boolean has(TokenFlag flag) {
        return flags.contains(flag);
    }

    static TokenInfo read(Pointer p) {
        StructLayout l = Structs.CK_TOKEN_INFO.layout();
        return new TokenInfo(Infos.text(l, "label", p), Infos.text(l, "manufacturerID", p),
                Infos.text(l, "model", p), Infos.text(l, "serialNumber", p),
                Flag.decode(TokenFlag.class, l.field("flags").getULong(p)),
                l.field("ulMaxSessionCount").getULong(p), l.field("ulSessionCount").getULong(p),
                l.field("ulMaxRwSessionCount").getULong(p), l.field("ulRwSessionCount").getULong(p),
                l.field("ulMaxPinLen").getULong(p), l.field("ulMinPinLen").getULong(p),
                l.field("ulTotalPublicMemory").getULong(p), l.field("ulFreePublicMemory").getULong(p),
                l.field("ulTotalPrivateMemory").getULong(p), l.field("ulFreePrivateMemory").getULong(p),
                Infos.version(l, "hardwareVersion", p), Infos.version(l, "firmwareVersion", p),
                Infos.text(l, "utcTime", p));
    }
}
