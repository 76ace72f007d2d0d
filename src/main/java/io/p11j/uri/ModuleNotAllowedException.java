// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@code pkcs11:} URI asked for a module that the {@link ModuleAllowList} does not allow, so it
 * is not loaded. The message names the module, its real path when it has one, and how to allow it.
 *
 * <p>Checked, like {@code io.p11j.sys.ModuleLoadException}: refusing a module is an expected
 * outcome of a URI that came from outside, and the caller must turn it into its own error (a
 * {@code KeyStoreException}, a configuration error).
 */
public final class ModuleNotAllowedException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the module is refused. */
    public enum Reason {
        /** {@code module-name} matches no registered module and no file in the module directories. */
        UNKNOWN_MODULE_NAME,
        /** The path is relative; module paths are never searched for. */
        RELATIVE_PATH,
        /** There is no regular file at the path. */
        NO_SUCH_MODULE,
        /** The module exists but is not on the allow-list. */
        NOT_ALLOWED
    }

    private final Reason reason;
    private final String requested;
    private final transient Path realPath;

    ModuleNotAllowedException(Reason reason, String requested, Path realPath, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.requested = Objects.requireNonNull(requested, "requested");
        this.realPath = realPath;
    }

    /** Why the module is refused. */
    public Reason reason() {
        return reason;
    }

    /** The module as the URI asked for it: the module-path or module-name value. */
    public String requested() {
        return requested;
    }

    /** The module's real path (symbolic links resolved), when it exists. */
    public Optional<Path> realPath() {
        return Optional.ofNullable(realPath);
    }
}
