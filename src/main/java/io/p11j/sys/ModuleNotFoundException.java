// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import java.nio.file.Path;

/** There is no readable file at the module path. */
public class ModuleNotFoundException extends ModuleLoadException {

    private static final long serialVersionUID = 1L;

    public ModuleNotFoundException(Path path, String message) {
        super(path, message, null);
    }
}
