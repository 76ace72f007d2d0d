// SPDX-License-Identifier: Apache-2.0
package io.p11j.tools;

import io.p11j.testing.Tools;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JDK whose command-line tools (keytool, jarsigner) the tool tests drive as a user would: JDK 17, the
 * project's, and Temurin 25, which the machine image ships in {@code /usr/lib/jvm} (Debian bookworm has
 * no JDK 25 package, so the test command cannot install one; {@code P11J_JDK25_HOME} names another).
 * A JDK that is not found is still a test case, whose tests fail: never skipped.
 */
record Jdk(String name, int feature, Path home) {

    static final String JDK25_ENV = "P11J_JDK25_HOME";

    /** The JDKs to test, for {@code @MethodSource}. */
    static Stream<Jdk> all() {
        return Stream.of(find("JDK 17", 17, null, "java-17-openjdk"), find("Temurin 25", 25, JDK25_ENV, "temurin-25"));
    }

    private static Jdk find(String name, int feature, String env, String dirPrefix) {
        List<Path> candidates = new ArrayList<>();
        if (env != null && System.getenv(env) != null) {
            candidates.add(Path.of(System.getenv(env)));
        }
        if (Runtime.version().feature() == feature) {
            candidates.add(Path.of(System.getProperty("java.home")));
        }
        try (Stream<Path> jvms = Files.list(Path.of("/usr/lib/jvm"))) {
            jvms.filter(p -> p.getFileName().toString().startsWith(dirPrefix)).sorted().forEach(candidates::add);
        } catch (IOException e) {
            // no /usr/lib/jvm: only the other candidates
        }
        for (Path home : candidates) {
            if (Files.isExecutable(home.resolve("bin/jarsigner")) && releaseFeature(home) == feature) {
                return new Jdk(name, feature, home);
            }
        }
        return new Jdk(name, feature, null);
    }

    /** The feature version in {@code <home>/release} ({@code JAVA_VERSION="25.0.3"}), or 0. */
    private static int releaseFeature(Path home) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(home.resolve("release"))) {
            p.load(in);
        } catch (IOException e) {
            return 0;
        }
        String v = p.getProperty("JAVA_VERSION", "\"0\"").replace("\"", "");
        return Integer.parseInt(v.split("[.+-]")[0]);
    }

    /** This JDK's home; fails the test, naming where it was looked for, if the JDK is absent. */
    Path require() {
        assertThat(home).as(name + " not found (looked in /usr/lib/jvm" + (feature == 25 ? " and $" + JDK25_ENV : "")
                + "); the project's machines ship it in /usr/lib/jvm, and the tool tests run on it").isNotNull();
        return home;
    }

    /** Short, for file names and aliases. */
    String tag() {
        return "jdk" + feature;
    }

    /** Runs {@code bin/<tool>} in {@code dir}, in English, with JNA's native access granted where the JDK asks for it. */
    Tools.Result run(Path dir, String tool, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(require().resolve("bin").resolve(tool).toString(),
                "-J-Duser.language=en", "-J-Duser.country=US",
                // A tool run lasts a second: C1 alone and the serial collector spend about a third less CPU on it.
                "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
        if (feature >= 22) {
            // Without it JDK 22+ warns on every JNA load (and will refuse in a future release).
            cmd.add("-J--enable-native-access=ALL-UNNAMED");
        }
        cmd.addAll(args);
        return Tools.run(dir, cmd);
    }

    /**
     * A {@code java.security} fragment (for {@code -Djava.security.properties}) that puts {@code entry} at
     * position 1 and shifts this JDK's own providers, read from its {@code conf/security/java.security}
     * (the default lists of JDK releases differ), down by one.
     */
    Path providerFirst(String entry, Path dir) {
        Properties master = new Properties();
        try (InputStream in = Files.newInputStream(require().resolve("conf/security/java.security"))) {
            master.load(in);
            Map<Integer, String> jdkProviders = new TreeMap<>();
            for (String key : master.stringPropertyNames()) {
                if (key.matches("security\\.provider\\.\\d+")) {
                    jdkProviders.put(Integer.parseInt(key.substring("security.provider.".length())), master.getProperty(key).strip());
                }
            }
            assertThat(jdkProviders).as("providers in " + name + "'s java.security").containsKey(1);
            StringBuilder sb = new StringBuilder("security.provider.1=" + entry + "\n");
            int n = 2;
            for (String p : jdkProviders.values()) {
                sb.append("security.provider.").append(n++).append('=').append(p).append('\n');
            }
            Path f = dir.resolve(tag() + "-p11j-first.security");
            Files.writeString(f, sb.toString());
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return name + (home == null ? " (absent)" : " " + home);
    }

    // ---- what the tools load P11J from ----

    /** {@code target/p11j-<version>-all.jar}: p11j with JNA and Bouncy Castle, built by the package phase. */
    static Path allJar() {
        Path target = Path.of(System.getProperty("project.build.directory", "target")).toAbsolutePath();
        try (Stream<Path> files = Files.list(target)) {
            List<Path> jars = files.filter(p -> p.getFileName().toString().matches("p11j-.*-all\\.jar")).toList();
            assertThat(jars).as("the self-contained jar built by the package phase in " + target).hasSize(1);
            return jars.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A {@code --module-path}: the module jar io.p11j and the JNA and Bouncy Castle jars it requires. */
    static String modulePath() {
        Path target = Path.of(System.getProperty("project.build.directory", "target")).toAbsolutePath();
        List<String> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(target)) {
            files.filter(p -> p.getFileName().toString().matches("p11j-.*\\.jar")
                    && !p.getFileName().toString().endsWith("-all.jar")
                    && !p.getFileName().toString().contains("sources")).forEach(p -> jars.add(p.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(e).getFileName().toString();
            if (name.startsWith("jna-") || name.startsWith("bcprov-")) {
                jars.add(e);
            }
        }
        assertThat(jars).as("module jar, JNA and bcprov").hasSize(3);
        return String.join(File.pathSeparator, jars);
    }
}
