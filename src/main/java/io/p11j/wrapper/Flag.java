// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import java.util.EnumSet;
import java.util.Set;

/** A flag enum whose constants stand for {@code CKF_*} bits. */
interface Flag {

    long bit();

    /** The flags of {@code type} set in {@code bits}. */
    static <E extends Enum<E> & Flag> Set<E> decode(Class<E> type, long bits) {
        EnumSet<E> out = EnumSet.noneOf(type);
        for (E e : type.getEnumConstants()) {
            if ((bits & e.bit()) != 0) {
                out.add(e);
            }
        }
        return java.util.Collections.unmodifiableSet(out);
    }
}
