// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which modules a {@code pkcs11:} URI may make the process load.
 *
 * <p>Loading a module is running its native code, in this process, with its privileges. A URI
 * that arrives from outside (a KeyStore alias, a user's input, a configuration value someone else
 * wrote) must therefore not be able to name an arbitrary library: {@code module-path=/tmp/evil.so}
 * is refused unless the configuration allowed it. The allow-list belongs to the configuration and
 * holds:
 * <ul>
 *   <li>modules allowed by path: the configured module, and any other the configuration lists;</li>
 *   <li>optionally, the modules registered with p11-kit ({@link ModuleResolver#registeredModules()}),
 *       which the system administrator installed;</li>
 *   <li>directories: a module anywhere beneath one is allowed.</li>
 * </ul>
 *
 * <p>Every comparison is between real paths: symbolic links resolved and {@code ..} gone, for the
 * allowed entries (when the list is built) and for the module asked for (when it is checked). So
 * {@code /allowed/dir/../../tmp/evil.so} and a symbolic link in an allowed directory that points
 * out of it are both refused, and the path returned is the real one, which is what the caller
 * should load. A module that does not exist is refused before anything else is decided.
 *
 * <p>Immutable and thread-safe; the registered modules are read once, when the list is built.
 */
public final class ModuleAllowList {

    private final ModuleResolver resolver;
    private final List<Path> modules;
    private final List<Path> directories;
    private final boolean registeredModulesAllowed;

    private ModuleAllowList(Builder b) {
        this.resolver = b.resolver;
        this.modules = List.copyOf(b.modules);
        this.directories = List.copyOf(b.directories);
        this.registeredModulesAllowed = b.registered;
    }

    /**
     * A builder; {@code resolver} resolves {@code module-name} and, if asked, gives the
     * registered modules. With nothing added, the list allows no module.
     */
    public static Builder builder(ModuleResolver resolver) {
        return new Builder(resolver);
    }

    /** The real paths of the modules allowed by path (registered ones included, if allowed). */
    public List<Path> allowedModules() {
        return modules;
    }

    /** The real paths of the allowed directories. */
    public List<Path> allowedDirectories() {
        return directories;
    }

    /**
     * The real path of the module a URI names, if the list allows it: its {@code module-path}
     * when it has one (that wins), else its {@code module-name} resolved by the resolver. Empty
     * when the URI names no module, in which case the caller uses its configured one.
     *
     * @throws ModuleNotAllowedException when the module is unknown, missing or not allowed
     */
    public Optional<Path> resolve(Pkcs11Uri uri) throws ModuleNotAllowedException {
        Optional<String> path = uri.modulePath();
        if (path.isPresent()) {
            Path p;
            try {
                p = Path.of(path.get());
            } catch (InvalidPathException e) {
                throw new ModuleNotAllowedException(ModuleNotAllowedException.Reason.NO_SUCH_MODULE, path.get(), null,
                        "module-path " + path.get() + " is not a valid path here: " + e.getReason());
            }
            return Optional.of(check(p, path.get(), "module-path " + path.get()));
        }
        Optional<String> name = uri.moduleName();
        if (name.isEmpty()) {
            return Optional.empty();
        }
        Optional<Path> found;
        try {
            found = resolver.resolveName(name.get());
        } catch (IllegalArgumentException e) {
            throw new ModuleNotAllowedException(ModuleNotAllowedException.Reason.UNKNOWN_MODULE_NAME, name.get(), null,
                    e.getMessage());
        }
        if (found.isEmpty()) {
            throw new ModuleNotAllowedException(ModuleNotAllowedException.Reason.UNKNOWN_MODULE_NAME, name.get(), null,
                    "module-name " + name.get() + " matches no module registered with p11-kit (in "
                            + resolver.configDirectories() + ") and no NAME.so or libNAME.so in "
                            + resolver.moduleDirectories());
        }
        return Optional.of(check(found.get(), name.get(), "module-name " + name.get() + " (" + found.get() + ")"));
    }

    /**
     * The real path of {@code module} if the list allows it.
     *
     * @throws ModuleNotAllowedException when the path is relative, there is no module there, or it
     *                                   is not allowed
     */
    public Path check(Path module) throws ModuleNotAllowedException {
        Objects.requireNonNull(module, "module");
        return check(module, module.toString(), "module " + module);
    }

    /**
     * @param requested the module as the URI or caller wrote it, for {@link ModuleNotAllowedException#requested()}
     * @param what      the module described for the message
     */
    private Path check(Path module, String requested, String what) throws ModuleNotAllowedException {
        if (!module.isAbsolute()) {
            throw new ModuleNotAllowedException(ModuleNotAllowedException.Reason.RELATIVE_PATH, requested, null,
                    what + " is a relative path; a module path must be absolute and is never searched for");
        }
        Path real;
        try {
            real = module.toRealPath();
        } catch (IOException e) {
            throw new ModuleNotAllowedException(ModuleNotAllowedException.Reason.NO_SUCH_MODULE, requested, null,
                    what + ": there is no such module (" + e.getClass().getSimpleName() + ")");
        }
        if (!Files.isRegularFile(real)) {
            throw new ModuleNotAllowedException(ModuleNotAllowedException.Reason.NO_SUCH_MODULE, requested, real,
                    what + ": " + real + " is not a regular file");
        }
        if (modules.contains(real)) {
            return real;
        }
        for (Path dir : directories) {
            if (real.startsWith(dir)) {
                return real;
            }
        }
        throw new ModuleNotAllowedException(ModuleNotAllowedException.Reason.NOT_ALLOWED, requested, real,
                what + (real.equals(module) ? "" : " (real path " + real + ")")
                        + " is not on the module allow-list, so it is not loaded: a pkcs11: URI may only load"
                        + " the configured module" + (registeredModulesAllowed ? ", the modules registered with p11-kit" : "")
                        + " and modules under the allowed directories " + directories + ". To allow it, configure "
                        + real + " as the module, " + (registeredModulesAllowed
                                ? "register it with p11-kit (a .module file in " + resolver.configDirectories() + "), "
                                : "")
                        + "or add " + real.getParent() + " to the allowed module directories");
    }

    @Override
    public String toString() {
        return "ModuleAllowList[modules " + modules + ", directories " + directories + "]";
    }

    /** Builds a {@link ModuleAllowList}. Not thread-safe. */
    public static final class Builder {

        private final ModuleResolver resolver;
        private final Set<Path> modules = new LinkedHashSet<>();
        private final Set<Path> directories = new LinkedHashSet<>();
        private boolean registered;

        private Builder(ModuleResolver resolver) {
            this.resolver = Objects.requireNonNull(resolver, "resolver");
        }

        /**
         * Allows one module, such as the configured one.
         *
         * @throws IllegalArgumentException when the path is relative
         */
        public Builder allowModule(Path module) {
            modules.add(real(module));
            return this;
        }

        /** Allows the modules registered with p11-kit, as the resolver reads them now. */
        public Builder allowRegisteredModules() {
            registered = true;
            for (ModuleResolver.RegisteredModule m : resolver.registeredModules()) {
                modules.add(real(m.path()));
            }
            return this;
        }

        /**
         * Allows every module beneath a directory (by real path).
         *
         * @throws IllegalArgumentException when the path is relative
         */
        public Builder allowDirectory(Path directory) {
            directories.add(real(directory));
            return this;
        }

        /** The allow-list: the entries added so far, as real paths. */
        public ModuleAllowList build() {
            return new ModuleAllowList(this);
        }

        /**
         * The real path, or, for one that does not exist (yet), the normalized path: it can then
         * only match a module whose real path is exactly that.
         */
        private static Path real(Path p) {
            Objects.requireNonNull(p, "path");
            if (!p.isAbsolute()) {
                throw new IllegalArgumentException("an allowed module or directory must be an absolute path: " + p);
            }
            try {
                return p.toRealPath();
            } catch (IOException e) {
                return p.normalize();
            }
        }
    }
}
