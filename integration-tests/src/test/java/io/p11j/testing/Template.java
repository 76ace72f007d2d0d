// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import com.sun.jna.Memory;
import io.p11j.sys.Abi;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code CK_ATTRIBUTE} array in native memory, built for tests that drive the sys layer directly.
 * Holds every value buffer, so they live as long as the template.
 */
public final class Template {

    private static final StructLayout LAYOUT = Structs.CK_ATTRIBUTE.layout();
    private static final Abi ABI = Abi.NATIVE;

    private final List<Long> types = new ArrayList<>();
    private final List<byte[]> values = new ArrayList<>();
    private Memory array;
    private final List<Memory> keep = new ArrayList<>();

    public Template bool(long type, boolean value) {
        return bytes(type, new byte[] {(byte) (value ? 1 : 0)});
    }

    public Template ulong(long type, long value) {
        Memory m = new Memory(ABI.ulongSize());
        ABI.setULong(m, 0, value);
        return bytes(type, m.getByteArray(0, ABI.ulongSize()));
    }

    public Template utf8(long type, String value) {
        return bytes(type, value.getBytes(StandardCharsets.UTF_8));
    }

    public Template bytes(long type, byte[] value) {
        types.add(type);
        values.add(value);
        array = null;
        return this;
    }

    public int size() {
        return types.size();
    }

    /** The CK_ATTRIBUTE array (null when empty), built on first use. */
    public Memory pointer() {
        if (types.isEmpty()) {
            return null;
        }
        if (array == null) {
            array = LAYOUT.allocate(types.size());
            for (int i = 0; i < types.size(); i++) {
                Memory entry = (Memory) array.share(i * LAYOUT.size(), LAYOUT.size());
                LAYOUT.field("type").setULong(entry, types.get(i));
                byte[] v = values.get(i);
                if (v.length > 0) {
                    Memory value = new Memory(v.length);
                    value.write(0, v, 0, v.length);
                    keep.add(value);
                    LAYOUT.field("pValue").setPointer(entry, value);
                }
                LAYOUT.field("ulValueLen").setULong(entry, v.length);
            }
        }
        return array;
    }
}
