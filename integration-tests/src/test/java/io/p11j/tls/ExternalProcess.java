// SPDX-License-Identifier: Apache-2.0
package io.p11j.tls;

import io.p11j.testing.SoftHsm;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An external program (openssl, curl) run against the test JVM's token: its standard input given,
 * its output (standard output and error, merged) kept in a file, and a time limit on everything, so
 * a hung handshake fails the test rather than the build. {@code io.p11j.testing.Tools} has no
 * standard input and no background programs, which TLS clients and {@code s_server} need.
 *
 * <p>The child gets {@code SOFTHSM2_CONF} set explicitly to this JVM's SoftHSM2 configuration, so an
 * OpenSSL engine in it sees the very tokens the test made, whatever the inherited environment says.
 */
public final class ExternalProcess implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final List<String> command;
    private final Process process;
    private final Path log;

    private ExternalProcess(List<String> command, Process process, Path log) {
        this.command = command;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command} in {@code dir} with {@code stdin} (null: none) and the token's SoftHSM2 configuration. */
    public static ExternalProcess start(Path dir, List<String> command, String stdin) {
        return start(dir, command, stdin, Map.of());
    }

    /** As {@link #start(Path, List, String)}, with {@code env} added to the environment. */
    public static ExternalProcess start(Path dir, List<String> command, String stdin, Map<String, String> env) {
        try {
            Path log = Files.createTempFile(dir, "process", ".log");
            Path in = stdin == null ? null : Files.writeString(Files.createTempFile(dir, "process", ".in"), stdin);
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(in == null ? ProcessBuilder.Redirect.from(new File("/dev/null")) : ProcessBuilder.Redirect.from(in.toFile()));
            pb.environment().put("SOFTHSM2_CONF", SoftHsm.get().configFile().toString());
            pb.environment().putAll(env);
            return new ExternalProcess(List.copyOf(command), pb.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        }
    }

    /** Runs {@code command} to its end (at most {@link #TIMEOUT}) and gives its exit code and output. */
    public static Result run(Path dir, List<String> command, String stdin) {
        return run(dir, command, stdin, Map.of());
    }

    /** As {@link #run(Path, List, String)}, with {@code env} added to the environment. */
    public static Result run(Path dir, List<String> command, String stdin, Map<String, String> env) {
        try (ExternalProcess p = start(dir, command, stdin, env)) {
            return p.await();
        }
    }

    /** Waits for the program to end (at most {@link #TIMEOUT}); a program still running then is killed and fails the test. */
    public Result await() {
        try {
            if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in " + TIMEOUT + ":\n" + output());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + command, e);
        }
        return new Result(command, process.exitValue(), output());
    }

    /** Waits (at most {@link #TIMEOUT}) until the output has a match for {@code pattern}, and gives its first group. */
    public String awaitOutput(Pattern pattern) {
        Instant end = Instant.now().plus(TIMEOUT);
        while (Instant.now().isBefore(end)) {
            Matcher m = pattern.matcher(output());
            if (m.find()) {
                return m.group(1);
            }
            if (!process.isAlive()) {
                break;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new IllegalStateException(String.join(" ", command) + " did not print " + pattern + ":\n" + output());
    }

    /** What the program printed so far. */
    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        // Only this process, by its own handle: never a broad kill.
        process.destroyForcibly();
    }

    /** What a program did: exit code and merged output. */
    public record Result(List<String> command, int exitCode, String output) {

        /** This result, or an {@link AssertionError} with the command and its output. */
        public Result orFail() {
            if (exitCode != 0) {
                throw new AssertionError(String.join(" ", command) + " exited with " + exitCode + ":\n" + output);
            }
            return this;
        }
    }
}
