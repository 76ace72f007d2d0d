// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code p11-kit server} that serves one token of a PKCS#11 module over a Unix socket, and that a
 * test can kill and start again — a real outage for the {@code p11-kit-client.so} module in the
 * test JVM.
 *
 * <p>The server serves each connection from a {@code p11-kit-remote} process it forks; killing the
 * server alone leaves the connections up. So the server starts in a session and process group of its
 * own ({@code setsid}) and {@link #stop()} ends the whole group, which is what an outage of the
 * server's machine or container looks like to the client.
 *
 * <p>The client reads {@value #ADDRESS_ENV} once, when it is loaded ({@code C_GetFunctionList}), so
 * the socket path is fixed before the JVM starts: the build sets it for the {@code forked-module}
 * test JVMs, and {@link #socketFromEnvironment()} reads it back.
 */
public final class P11KitServer implements AutoCloseable {

    /** The variable the client module reads the server's address from. */
    public static final String ADDRESS_ENV = "P11_KIT_SERVER_ADDRESS";

    /** Longest path a Unix socket address holds ({@code sun_path} is 108 bytes with its NUL on Linux). */
    private static final int MAX_SOCKET_PATH = 107;
    private static final Pattern PID_LINE = Pattern.compile("P11_KIT_SERVER_PID=(\\d+)");
    private static final long START_TIMEOUT_MILLIS = 10_000;
    private static final long STOP_TIMEOUT_MILLIS = 5_000;

    private final Path provider;
    private final Path softhsmConf;
    private final Path socket;
    private final String tokenUri;
    private final Path logDir;
    private Process process;
    private long pgid = -1;
    private int starts;

    /**
     * A server (not started yet) of the token {@code tokenUri} of {@code provider} on {@code socket};
     * the server's environment gets {@code SOFTHSM2_CONF=softhsmConf}. Its output goes to files in {@code logDir}.
     */
    public P11KitServer(Path provider, Path softhsmConf, Path socket, String tokenUri, Path logDir) {
        this.provider = provider;
        this.softhsmConf = softhsmConf;
        this.socket = socket;
        this.tokenUri = tokenUri;
        this.logDir = logDir;
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new IllegalStateException("socket path " + socket + " is longer than a Unix socket address holds ("
                    + MAX_SOCKET_PATH + " bytes): build from a shorter directory");
        }
    }

    /** The {@code p11-kit-client.so} module installed on this machine, whatever its multiarch directory. */
    public static Path clientModule() {
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/usr/lib"))) {
            for (Path d : dirs) {
                candidates.add(d.resolve("pkcs11/p11-kit-client.so")); // /usr/lib/<multiarch>/pkcs11
            }
        } catch (IOException e) {
            // no /usr/lib: only the fixed candidates below
        }
        candidates.add(Path.of("/usr/lib64/pkcs11/p11-kit-client.so"));
        candidates.add(Path.of("/usr/lib/pkcs11/p11-kit-client.so"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("p11-kit-client.so is not installed (looked in /usr/lib/*/pkcs11,"
                + " /usr/lib64/pkcs11, /usr/lib/pkcs11); install it: apt-get install p11-kit-modules");
    }

    /** The socket path in {@value #ADDRESS_ENV} ({@code unix:path=<socket>}), which the build sets for forked test JVMs. */
    public static Path socketFromEnvironment() {
        String address = System.getenv(ADDRESS_ENV);
        if (address == null || address.isBlank()) {
            throw new IllegalStateException(ADDRESS_ENV + " is not set: run the test through Maven (the forked-module"
                    + " execution sets it), or set it to unix:path=<socket> before the JVM starts");
        }
        String a = address.strip();
        if (a.endsWith(";")) {
            a = a.substring(0, a.length() - 1);
        }
        if (!a.startsWith("unix:path=")) {
            throw new IllegalStateException(ADDRESS_ENV + "=" + address + " is not a unix:path= address");
        }
        return Path.of(a.substring("unix:path=".length()));
    }

    public Path socket() {
        return socket;
    }

    /** Whether the server has been started and not stopped since. */
    public synchronized boolean running() {
        return process != null;
    }

    /** Starts the server and waits until it listens (it prints its address and pid once it does). */
    public synchronized void start() {
        if (process != null) {
            throw new IllegalStateException("p11-kit server is already running");
        }
        Path p11kit = Tools.require("p11-kit", "p11-kit");
        Path setsid = Tools.require("setsid", "util-linux");
        Path log = logDir.resolve("p11-kit-server-" + (++starts) + ".log");
        try {
            Files.createDirectories(socket.toAbsolutePath().getParent());
            Files.deleteIfExists(log);
            ProcessBuilder pb = new ProcessBuilder(setsid.toString(), p11kit.toString(), "server",
                    "--provider", provider.toString(), "-f", "-n", socket.toString(), tokenUri)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Map<String, String> env = pb.environment();
            env.put("SOFTHSM2_CONF", softhsmConf.toString());
            env.remove(ADDRESS_ENV);
            Process p = pb.start();
            long deadline = System.currentTimeMillis() + START_TIMEOUT_MILLIS;
            while (true) {
                String out = Files.readString(log, StandardCharsets.UTF_8);
                Matcher m = PID_LINE.matcher(out);
                if (m.find()) {
                    long pid = Long.parseLong(m.group(1));
                    long group = processGroup(pid).orElseThrow(() ->
                            new IllegalStateException("p11-kit server " + pid + " exited right after starting:\n" + out));
                    if (group != pid) {
                        throw new IllegalStateException("p11-kit server " + pid + " is not the leader of its own"
                                + " process group (group " + group + "): setsid did not take effect");
                    }
                    process = p;
                    pgid = group;
                    return;
                }
                // (setsid forks and exits 0 when it is a group leader already: then keep waiting for the server's lines)
                if (!p.isAlive() && p.exitValue() != 0) {
                    throw new IllegalStateException("p11-kit server did not start (exit " + p.exitValue() + "):\n" + out);
                }
                if (System.currentTimeMillis() > deadline) {
                    p.destroyForcibly();
                    throw new IllegalStateException("p11-kit server did not report listening on " + socket
                            + " within " + START_TIMEOUT_MILLIS + " ms:\n" + out);
                }
                Thread.sleep(5);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start p11-kit server", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting p11-kit server", e);
        }
    }

    /**
     * Ends the server and every connection it serves: {@code SIGTERM} to each process of its group
     * (then {@code SIGKILL} to any left after a few seconds), and waits until they are gone.
     *
     * @return how many processes the group had (the server and one {@code p11-kit-remote} per connection)
     */
    public synchronized int stop() {
        if (process == null) {
            return 0;
        }
        List<Long> members = groupMembers(pgid);
        for (long pid : members) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
        long deadline = System.currentTimeMillis() + STOP_TIMEOUT_MILLIS;
        try {
            while (!groupMembers(pgid).isEmpty()) {
                if (System.currentTimeMillis() > deadline) {
                    for (long pid : groupMembers(pgid)) {
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    }
                    deadline = Long.MAX_VALUE;
                }
                Thread.sleep(5);
            }
            process.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping p11-kit server", e);
        } finally {
            process = null;
            pgid = -1;
        }
        return members.size();
    }

    /** The text the server printed at its last start. */
    public String lastLog() {
        try {
            return Files.readString(logDir.resolve("p11-kit-server-" + starts + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public synchronized void close() {
        stop();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // a stale socket file does no harm: the next server binds over it
        }
    }

    /** The live (not zombie) processes whose process group is {@code group}. */
    static List<Long> groupMembers(long group) {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                long pid = Long.parseLong(p.getFileName().toString());
                String[] stat = stat(pid);
                if (stat != null && !stat[0].equals("Z") && Long.parseLong(stat[2]) == group) {
                    out.add(pid);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list /proc", e);
        }
        return out;
    }

    /** The process group of live process {@code pid}, if it is alive. */
    static Optional<Long> processGroup(long pid) {
        String[] stat = stat(pid);
        return stat == null || stat[0].equals("Z") ? Optional.empty() : Optional.of(Long.parseLong(stat[2]));
    }

    /** The fields of {@code /proc/<pid>/stat} after the command name: state, ppid, pgrp, …; null when gone. */
    private static String[] stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            return s.substring(s.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null; // exited meanwhile
        }
    }
}
