// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import io.p11j.sys.ModuleLoadException;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Library;
import io.p11j.wrapper.Pkcs11Module;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * SoftHSM2 for one test JVM: its module, found at run time, and its configuration and token
 * directory, private to this JVM.
 *
 * <p>SoftHSM2 reads {@code SOFTHSM2_CONF} once, at {@code C_Initialize}, and a module is initialized
 * once per process, so the configuration path is fixed before the JVM starts (the build sets
 * {@code SOFTHSM2_CONF} for the test JVM). This class refuses to run unless that path lies in a
 * directory of its own, so no test can touch a machine-wide token. On first use it empties the token
 * directory, writes the configuration, loads and initializes the module; at JVM exit it deletes the
 * tokens it made.
 *
 * <p>The module path comes from {@code P11J_SOFTHSM2_MODULE} when set, else from the usual install
 * locations (Debian's first).
 */
public final class SoftHsm {

    /** Environment variable that overrides where the SoftHSM2 module is. */
    public static final String MODULE_ENV = "P11J_SOFTHSM2_MODULE";

    private static final List<String> MODULE_CANDIDATES = List.of(
            "/usr/lib/softhsm/libsofthsm2.so",
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
            "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
            "/usr/lib64/pkcs11/libsofthsm2.so",
            "/usr/lib/pkcs11/libsofthsm2.so",
            "/usr/local/lib/softhsm/libsofthsm2.so",
            "/opt/homebrew/lib/softhsm/libsofthsm2.so");

    private static SoftHsm instance;

    private final Path modulePath;
    private final Path configFile;
    private final Path tokenDir;
    private final Pkcs11Module module;

    private SoftHsm(Path modulePath, Path configFile, Path tokenDir, Pkcs11Module module) {
        this.modulePath = modulePath;
        this.configFile = configFile;
        this.tokenDir = tokenDir;
        this.module = module;
    }

    /** The JVM's SoftHSM2, set up and initialized on first use. */
    public static synchronized SoftHsm get() {
        if (instance == null) {
            instance = setUp();
        }
        return instance;
    }

    /** Where the SoftHSM2 module is: {@code P11J_SOFTHSM2_MODULE}, else the first install location that exists. */
    public static Path findModule() {
        String env = System.getenv(MODULE_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        for (String c : MODULE_CANDIDATES) {
            if (Files.isRegularFile(Path.of(c))) {
                return Path.of(c);
            }
        }
        throw new IllegalStateException("SoftHSM2 is not installed: no libsofthsm2.so in " + MODULE_CANDIDATES
                + "; install it (Debian: apt-get install softhsm2) or set " + MODULE_ENV);
    }

    private static SoftHsm setUp() {
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null || conf.isBlank()) {
            throw new IllegalStateException("SOFTHSM2_CONF is not set: run the tests through Maven"
                    + " (it points SOFTHSM2_CONF at target/softhsm), or set it to a file in a directory of its own");
        }
        Path configFile = Path.of(conf).toAbsolutePath();
        Path home = configFile.getParent();
        if (home == null || home.startsWith("/etc") || home.equals(Path.of(System.getProperty("user.home")))) {
            throw new IllegalStateException("refusing to use SOFTHSM2_CONF=" + conf + ": tests need a private directory");
        }
        Path tokenDir = home.resolve("tokens");
        try {
            deleteTree(tokenDir);
            Files.createDirectories(tokenDir);
            Files.writeString(configFile, String.join("\n",
                    "# Written by the p11j test fixture (io.p11j.testing.SoftHsm) for one test JVM.",
                    "directories.tokendir = " + tokenDir,
                    "objectstore.backend = file",
                    "log.level = ERROR",
                    "slots.removable = false",
                    ""), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + home, e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                deleteTree(tokenDir);
            } catch (IOException ignored) {
                // best effort: the directory is under the build's own target/ anyway
            }
        }, "softhsm-token-cleanup"));
        Path module = findModule();
        try {
            // Opened through the wrapper and held for the JVM's life: every Pkcs11Module a test opens on
            // the same file shares this initialization, which the wrapper owns (so recovery may re-initialize).
            return new SoftHsm(module, configFile, tokenDir, Pkcs11Module.open(module));
        } catch (ModuleLoadException | Pkcs11Exception e) {
            throw new IllegalStateException("cannot start SoftHSM2 from " + module + ": " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    public Path modulePath() {
        return modulePath;
    }

    public Path configFile() {
        return configFile;
    }

    public Path tokenDir() {
        return tokenDir;
    }

    /** The module's sys-layer library, loaded and initialized for this JVM. */
    public Pkcs11Library library() {
        return module.library();
    }

    /** The wrapper's handle on the module, open for the JVM's life. */
    public Pkcs11Module module() {
        return module;
    }
}
