// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

/** A {@code CK_VERSION}: major and minor, each 0..255. */
public record Version(int major, int minor) implements Comparable<Version> {

    static Version of(byte[] twoBytes) {
        return new Version(Byte.toUnsignedInt(twoBytes[0]), Byte.toUnsignedInt(twoBytes[1]));
    }

    @Override
    public int compareTo(Version o) {
        return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
