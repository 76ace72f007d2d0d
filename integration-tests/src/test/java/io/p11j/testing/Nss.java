// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * NSS's software token (softokn, {@code libsoftokn3.so}) for integration tests: where the module is,
 * how to make a database for it with {@code certutil}, and the configuration string its
 * {@code C_Initialize} reads from {@code pReserved}.
 *
 * <p>The module path comes from {@code P11J_NSS_SOFTOKN} when set, else from the Debian multiarch
 * directory of the running architecture, then {@code /usr/lib64}, then {@code /usr/lib}.
 */
public final class Nss {

    /** Environment variable that overrides where softokn is. */
    public static final String MODULE_ENV = "P11J_NSS_SOFTOKN";

    /** The Debian package that ships softokn. */
    public static final String MODULE_PACKAGE = "libnss3";

    /** The Debian package that ships certutil. */
    public static final String TOOLS_PACKAGE = "libnss3-tools";

    private static final String LIBRARY = "libsoftokn3.so";

    private Nss() {
    }

    /** Where softokn is: {@code P11J_NSS_SOFTOKN}, else the first candidate directory that has it. */
    public static Path findSoftokn() {
        String env = System.getenv(MODULE_ENV);
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException(MODULE_ENV + "=" + env + " names no file; unset it to use the"
                        + " installed softokn (Debian: apt-get install " + MODULE_PACKAGE + ")");
            }
            return p;
        }
        List<Path> candidates = candidates();
        for (Path c : candidates) {
            if (Files.isRegularFile(c)) {
                return c;
            }
        }
        throw new IllegalStateException("NSS softokn is not installed: no " + LIBRARY + " in " + candidates
                + "; install it (Debian: apt-get install " + MODULE_PACKAGE + ") or set " + MODULE_ENV);
    }

    /** The places looked at, in order. */
    public static List<Path> candidates() {
        List<Path> out = new ArrayList<>();
        String triplet = debianMultiarch(System.getProperty("os.arch", ""));
        if (triplet != null) {
            out.add(Path.of("/usr/lib", triplet, LIBRARY));
        }
        out.add(Path.of("/usr/lib64", LIBRARY));
        out.add(Path.of("/usr/lib", LIBRARY));
        return out;
    }

    /** Debian's multiarch triplet for a JVM {@code os.arch}, or null when there is none. */
    static String debianMultiarch(String osArch) {
        switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64": case "x86_64": return "x86_64-linux-gnu";
            case "aarch64": case "arm64": return "aarch64-linux-gnu";
            case "x86": case "i386": case "i486": case "i586": case "i686": return "i386-linux-gnu";
            case "arm": return "arm-linux-gnueabihf";
            case "ppc64le": return "powerpc64le-linux-gnu";
            case "s390x": return "s390x-linux-gnu";
            case "riscv64": return "riscv64-linux-gnu";
            case "mips64el": return "mips64el-linux-gnuabi64";
            case "loongarch64": return "loongarch64-linux-gnu";
            default: return null;
        }
    }

    /**
     * Creates an empty NSS SQL database (no password) in {@code dir}, which must exist, with
     * {@code certutil -N -d sql:DIR --empty-password}.
     */
    public static void createDatabase(Path dir) {
        Path certutil = Tools.require("certutil", TOOLS_PACKAGE);
        Tools.run(dir, certutil.toString(), "-N", "-d", "sql:" + dir, "--empty-password").orThrow();
        if (!Files.isRegularFile(dir.resolve("key4.db")) || !Files.isRegularFile(dir.resolve("cert9.db"))) {
            throw new IllegalStateException("certutil -N made no key4.db/cert9.db in " + dir);
        }
    }

    /** The string softokn's {@code C_Initialize} wants in {@code pReserved} for the database in {@code dir}. */
    public static String initParameters(Path dir) {
        return "configdir='sql:" + dir + "' certPrefix='' keyPrefix='' secmod='secmod.db' flags=";
    }
}
