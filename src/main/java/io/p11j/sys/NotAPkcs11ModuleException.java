// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import java.nio.file.Path;

/**
 * The file is not a PKCS#11 module: not a shared library at all, or a library that exports neither
 * {@code C_GetFunctionList} nor {@code C_GetInterface}, or whose function list is NULL.
 */
public class NotAPkcs11ModuleException extends ModuleLoadException {

    private static final long serialVersionUID = 1L;

    public NotAPkcs11ModuleException(Path path, String message, Throwable cause) {
        super(path, message, cause);
    }
}
