// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * External programs that integration tests run (certutil, gcc): found on {@code PATH}, run with a
 * time limit, their output captured. A missing program is a failure that names the Debian package
 * to install, never a skipped test.
 */
public final class Tools {

    private static final long TIMEOUT_SECONDS = 60;

    private Tools() {
    }

    /** What a program did: its exit code and its standard output and error, merged. */
    public record Result(List<String> command, int exitCode, String output) {

        public boolean ok() {
            return exitCode == 0;
        }

        /** This result, or an {@link IllegalStateException} naming the command, its exit code and output. */
        public Result orThrow() {
            if (!ok()) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + exitCode + ":\n" + output);
            }
            return this;
        }
    }

    /** The program {@code name} on {@code PATH}, or an {@link IllegalStateException} naming {@code debianPackage}. */
    public static Path require(String name, String debianPackage) {
        String pathEnv = System.getenv("PATH");
        if (pathEnv != null) {
            for (String dir : pathEnv.split(java.io.File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        throw new IllegalStateException(name + " is not installed (not on PATH=" + pathEnv
                + "); install it: apt-get install " + debianPackage);
    }

    /** Runs {@code command} in {@code dir} and waits for it (at most a minute). */
    public static Result run(Path dir, List<String> command) {
        Path log = null;
        try {
            log = Files.createTempFile("p11j-tool", ".log");
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            return new Result(List.copyOf(command), p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a temporary file: best effort
                }
            }
        }
    }

    /** Runs {@code command} in {@code dir}. */
    public static Result run(Path dir, String... command) {
        return run(dir, new ArrayList<>(List.of(command)));
    }
}
