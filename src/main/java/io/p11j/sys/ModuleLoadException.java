// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import java.nio.file.Path;

/**
 * A PKCS#11 module could not be loaded. The subtypes say why: the file is missing
 * ({@link ModuleNotFoundException}), it is not a PKCS#11 module ({@link NotAPkcs11ModuleException}),
 * or it was built for another architecture ({@link WrongArchitectureException}). This type itself
 * covers the rest, e.g. a module whose own dependencies are missing. Every message names the path.
 */
public class ModuleLoadException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient Path path;

    public ModuleLoadException(Path path, String message, Throwable cause) {
        super(path + ": " + message, cause);
        this.path = path;
    }

    /** The module path that was asked for. */
    public Path path() {
        return path;
    }
}
