// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds the module a {@code pkcs11:} URI names, following p11-kit's conventions.
 *
 * <p>{@code module-path} wins when a URI has both: it is an absolute path (the parser refuses a
 * relative one, so nothing is ever searched for it) and is returned as it is.
 *
 * <p>{@code module-name} is looked up, first match wins:
 * <ol>
 *   <li>among the modules registered with p11-kit: each {@code NAME.module} file of the config
 *       directories registers the module {@code NAME} at the path its {@code module:} line gives.
 *       A relative {@code module:} path is taken in p11-kit's module directory (Debian:
 *       {@code /usr/lib/<multiarch>/pkcs11}). A file in an earlier config directory replaces one of
 *       the same name in a later one, as {@code /etc/pkcs11/modules} overrides
 *       {@code /usr/share/p11-kit/modules};</li>
 *   <li>among the files of the module directories, as {@code NAME.so} or {@code libNAME.so}.</li>
 * </ol>
 * Names are compared after dropping a {@code lib} prefix and a {@code .so} suffix (with any
 * version, {@code .so.1}), on both sides, so {@code softhsm2}, {@code libsofthsm2} and
 * {@code libsofthsm2.so} all find {@code softhsm2.module} whose module is
 * {@code libsofthsm2.so}. A module name is a plain file name: one holding a path separator is
 * refused, and directories are listed and compared, never joined with the name, so a name cannot
 * reach outside them.
 *
 * <p>The per-user configuration ({@code ~/.config/pkcs11/modules}) is not read: the modules a URI
 * may name are the system's. Config files are read on each call, so a module registered while the
 * process runs is found. Nothing here runs a program ({@code pkg-config} and the like): the
 * directories are given, or are the distributions' well-known ones.
 */
public final class ModuleResolver {

    /**
     * A module registered with p11-kit.
     *
     * @param name       the config file's name without {@code .module}
     * @param path       the module's absolute path ({@code module:}, resolved)
     * @param configFile the {@code .module} file
     */
    public record RegisteredModule(String name, Path path, Path configFile) {
    }

    private final List<Path> configDirectories;
    private final List<Path> p11KitModuleDirectories;
    private final List<Path> moduleDirectories;

    /**
     * A resolver over the given directories; for tests, and for systems laid out differently.
     *
     * @param configDirectories       p11-kit module config directories, highest priority first
     * @param p11KitModuleDirectories where a relative {@code module:} path is taken; the first
     *                                directory holding the file wins, else the first one
     * @param moduleDirectories       directories searched for {@code NAME.so} and {@code libNAME.so}
     */
    public ModuleResolver(List<Path> configDirectories, List<Path> p11KitModuleDirectories,
                          List<Path> moduleDirectories) {
        this.configDirectories = List.copyOf(configDirectories);
        this.p11KitModuleDirectories = List.copyOf(p11KitModuleDirectories);
        this.moduleDirectories = List.copyOf(moduleDirectories);
    }

    /**
     * The system's resolver: config directories {@code /etc/pkcs11/modules} then
     * {@code /usr/share/p11-kit/modules}; module directories {@link #systemModuleDirectories()}.
     */
    public static ModuleResolver system() {
        List<Path> modules = systemModuleDirectories();
        return new ModuleResolver(List.of(Path.of("/etc/pkcs11/modules"), Path.of("/usr/share/p11-kit/modules")),
                modules, modules);
    }

    /**
     * The distributions' PKCS#11 module directories for this JVM's architecture:
     * {@code /usr/lib/<multiarch>/pkcs11} (Debian, Ubuntu: p11-kit's {@code p11_module_path}
     * there), {@code /usr/lib64/pkcs11} (Fedora, RHEL, SUSE), {@code /usr/lib/pkcs11} (Arch, and
     * 32-bit systems). Returned whether or not they exist.
     */
    public static List<Path> systemModuleDirectories() {
        List<Path> dirs = new ArrayList<>();
        multiarch(System.getProperty("os.arch", "")).ifPresent(triple -> dirs.add(Path.of("/usr/lib", triple, "pkcs11")));
        dirs.add(Path.of("/usr/lib64/pkcs11"));
        dirs.add(Path.of("/usr/lib/pkcs11"));
        return List.copyOf(dirs);
    }

    /** Debian's multiarch triple for a Java {@code os.arch}, as {@code dpkg-architecture} names it. */
    static Optional<String> multiarch(String osArch) {
        switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64": case "x86_64": return Optional.of("x86_64-linux-gnu");
            case "aarch64": case "arm64": return Optional.of("aarch64-linux-gnu");
            case "arm": case "armhf": return Optional.of("arm-linux-gnueabihf");
            case "x86": case "i386": case "i486": case "i586": case "i686": return Optional.of("i386-linux-gnu");
            case "ppc64le": return Optional.of("powerpc64le-linux-gnu");
            case "s390x": return Optional.of("s390x-linux-gnu");
            case "riscv64": return Optional.of("riscv64-linux-gnu");
            case "loongarch64": return Optional.of("loongarch64-linux-gnu");
            default: return Optional.empty();
        }
    }

    /** The config directories, highest priority first. */
    public List<Path> configDirectories() {
        return configDirectories;
    }

    /** The directories searched for {@code NAME.so} and {@code libNAME.so}. */
    public List<Path> moduleDirectories() {
        return moduleDirectories;
    }

    /**
     * The modules registered with p11-kit, one per name, sorted by name. A config file that cannot
     * be read or has no {@code module:} line registers nothing (p11-kit skips it too).
     */
    public List<RegisteredModule> registeredModules() {
        Set<String> seen = new HashSet<>();
        List<RegisteredModule> result = new ArrayList<>();
        for (Path dir : configDirectories) {
            for (Path file : list(dir)) {
                String fileName = file.getFileName().toString();
                if (!fileName.endsWith(".module") || fileName.startsWith(".")) {
                    continue;
                }
                String name = fileName.substring(0, fileName.length() - ".module".length());
                if (name.isEmpty() || !seen.add(name)) {
                    continue;
                }
                moduleLine(file).flatMap(this::modulePath)
                        .ifPresent(path -> result.add(new RegisteredModule(name, path, file)));
            }
        }
        result.sort((a, b) -> a.name().compareTo(b.name()));
        return List.copyOf(result);
    }

    /** The value of a config file's {@code module:} key, if any. */
    private static Optional<String> moduleLine(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        String module = null;
        for (String line : lines) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).strip().equals("module")) {
                // p11-kit keeps the last value of a repeated key.
                module = l.substring(colon + 1).strip();
            }
        }
        return module == null || module.isEmpty() ? Optional.empty() : Optional.of(module);
    }

    private Optional<Path> modulePath(String module) {
        Path path;
        try {
            path = Path.of(module);
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
        if (path.isAbsolute()) {
            return Optional.of(path.normalize());
        }
        for (Path dir : p11KitModuleDirectories) {
            Path candidate = dir.resolve(path).normalize();
            if (Files.exists(candidate)) {
                return Optional.of(candidate);
            }
        }
        return p11KitModuleDirectories.isEmpty() ? Optional.empty()
                : Optional.of(p11KitModuleDirectories.get(0).resolve(path).normalize());
    }

    /**
     * The module a {@code module-name} names, if any.
     *
     * @throws IllegalArgumentException when the name is empty or holds a path separator
     */
    public Optional<Path> resolveName(String moduleName) {
        Objects.requireNonNull(moduleName, "moduleName");
        String key = normalizedName(moduleName);
        if (key.isEmpty() || moduleName.indexOf('/') >= 0 || moduleName.indexOf('\\') >= 0
                || moduleName.indexOf('\0') >= 0 || moduleName.equals(".") || moduleName.equals("..")) {
            throw new IllegalArgumentException("module-name '" + moduleName
                    + "' is not a plain module name (such as softhsm2); give a path with module-path instead");
        }
        for (RegisteredModule m : registeredModules()) {
            if (normalizedName(m.name()).equals(key)
                    || normalizedName(m.path().getFileName().toString()).equals(key)) {
                return Optional.of(m.path());
            }
        }
        Set<String> wanted = Set.of(key + ".so", "lib" + key + ".so");
        for (Path dir : moduleDirectories) {
            for (Path file : list(dir)) {
                if (wanted.contains(file.getFileName().toString()) && Files.isRegularFile(file)) {
                    return Optional.of(file);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The module a URI names: its {@code module-path} when it has one, else what its
     * {@code module-name} resolves to. Empty when the URI names no module, or its
     * {@code module-name} matches none ({@link Pkcs11Uri#namesModule()} tells the two apart).
     *
     * @throws IllegalArgumentException when the module-name is not a plain name, or the
     *                                  module-path is not a valid path on this platform
     */
    public Optional<Path> resolve(Pkcs11Uri uri) {
        Optional<String> path = uri.modulePath();
        if (path.isPresent()) {
            return Optional.of(Path.of(path.get()));
        }
        Optional<String> name = uri.moduleName();
        return name.isPresent() ? resolveName(name.get()) : Optional.empty();
    }

    /** {@code libfoo.so.1} → {@code foo}: the part of a module's name that URIs spell several ways. */
    static String normalizedName(String name) {
        String n = name;
        n = n.replaceFirst("\\.so(\\.[0-9]+)*$", "");
        n = n.replaceFirst("\\.(dll|dylib)$", "");
        if (n.startsWith("lib") && n.length() > 3) {
            n = n.substring(3);
        }
        return n;
    }

    /** A directory's entries, sorted so that results do not depend on the file system's order; none if unreadable. */
    private static List<Path> list(Path dir) {
        Set<Path> entries = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                entries.add(p);
            }
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        return new ArrayList<>(entries);
    }

    @Override
    public String toString() {
        return "ModuleResolver[config " + configDirectories + ", modules " + moduleDirectories + "]";
    }
}
