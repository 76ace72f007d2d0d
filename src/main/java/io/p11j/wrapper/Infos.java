// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Pointer;
import io.p11j.sys.StructLayout;

import java.nio.charset.StandardCharsets;

/** Reading the fixed-size, blank-padded text and version members of the info structures. */
final class Infos {

    private Infos() {
    }

    /** A blank-padded UTF-8 field, with the padding (and any NULs a careless module leaves) removed. */
    static String text(StructLayout layout, String member, Pointer struct) {
        byte[] raw = layout.field(member).getBytes(struct);
        int end = raw.length;
        while (end > 0 && (raw[end - 1] == ' ' || raw[end - 1] == 0)) {
            end--;
        }
        return new String(raw, 0, end, StandardCharsets.UTF_8);
    }

    static Version version(StructLayout layout, String member, Pointer struct) {
        return Version.of(layout.field(member).getBytes(struct));
    }
}
