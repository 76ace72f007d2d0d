// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import java.nio.file.Path;

/** The module was built for another architecture or word size than this JVM (e.g. a 32-bit module in a 64-bit JVM). */
public class WrongArchitectureException extends ModuleLoadException {

    private static final long serialVersionUID = 1L;

    private final String found;
    private final String expected;

    public WrongArchitectureException(Path path, String found, String expected, Throwable cause) {
        super(path, "built for " + found + ", but this JVM is " + expected, cause);
        this.found = found;
        this.expected = expected;
    }

    /** The architecture the file was built for, e.g. {@code "ELF 32-bit i386"}. */
    public String found() {
        return found;
    }

    /** The architecture of this JVM, e.g. {@code "ELF 64-bit x86-64"}. */
    public String expected() {
        return expected;
    }
}
