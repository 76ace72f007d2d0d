// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.config;

import io.p11j.provider.token.Quirk;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.uri.Pkcs11UriSyntaxException;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.InvalidParameterException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The parsed configuration of one P11J provider instance: what {@code configure(arg)} accepts, either
 * a {@code pkcs11:} URI or a file in the {@code provider-config} format (see
 * {@code provider-config/README.md}). Immutable; never holds a PIN itself (the URI may carry a
 * {@code pin-value}, which {@link #toString()} never prints).
 *
 * @param name           the instance name: the provider is {@code P11J-name}, or {@code P11J} when null
 * @param token          the token URI (module, token path attributes, PIN source)
 * @param initArgs       the module's {@code pReserved} initialization string (NSS softokn), or null
 * @param enabled        algorithm patterns to offer ({@code Type.Algorithm}, {@code Type.*}); empty = everything
 * @param disabled       algorithm patterns never to offer; wins over {@code enabled}
 * @param disabledMechanisms {@code CKM_*} codes never to use, even if the token lists them
 * @param maxSessions    session pool size (the token's own limit still applies)
 * @param tokenKeys      whether keys generated through the provider are token objects (else session objects)
 * @param allowedModules further modules that a URI alias may name (the configured one is always allowed)
 * @param messageDigests whether {@code MessageDigest} services are offered (off by default: see {@link #allows})
 * @param enabledQuirks  quirks to assume whatever the token's identity
 * @param disabledQuirks quirks never to assume, even where the quirk table says the token has them
 * @param source         where the configuration came from, for messages
 */
public record ProviderConfig(String name, Pkcs11Uri token, String initArgs, Set<String> enabled, Set<String> disabled,
                             Set<Long> disabledMechanisms, int maxSessions, boolean tokenKeys, List<Path> allowedModules,
                             boolean messageDigests, Set<Quirk> enabledQuirks, Set<Quirk> disabledQuirks,
                             String source) {

    /** Default pool size: enough for a busy server on a software token, well under SoftHSM2's limits. */
    public static final int DEFAULT_MAX_SESSIONS = 16;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Set<String> KEYS = Set.of("name", "token", "library", "init-args", "enabled-algorithms",
            "disabled-algorithms", "disabled-mechanisms", "max-sessions", "generated-keys", "allowed-modules", "message-digests",
            "enabled-quirks", "disabled-quirks");

    public ProviderConfig {
        Objects.requireNonNull(token, "token");
        enabled = Set.copyOf(enabled);
        disabled = Set.copyOf(disabled);
        disabledMechanisms = Set.copyOf(disabledMechanisms);
        allowedModules = List.copyOf(allowedModules);
        enabledQuirks = enabledQuirks.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(enabledQuirks));
        disabledQuirks = disabledQuirks.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(disabledQuirks));
        for (Quirk q : enabledQuirks) {
            if (disabledQuirks.contains(q)) {
                throw new InvalidParameterException(source + ": quirk '" + q.configName() + "' is both enabled and disabled");
            }
        }
    }

    /** A configuration that is only a token URI, everything else at its default. */
    public static ProviderConfig ofUri(Pkcs11Uri token) {
        return new ProviderConfig(null, token, null, Set.of(), Set.of(), Set.of(), DEFAULT_MAX_SESSIONS, false,
                List.of(), false, Set.of(), Set.of(), "URI");
    }

    /**
     * Parses {@code configure}'s argument: a {@code pkcs11:} URI, or the path of a configuration file.
     *
     * @throws InvalidParameterException naming what is wrong (never echoing a PIN)
     */
    public static ProviderConfig parse(String arg) {
        if (arg == null || arg.isBlank()) {
            throw new InvalidParameterException("P11J needs a pkcs11: URI or the path of a configuration file");
        }
        String a = arg.strip();
        if (a.regionMatches(true, 0, "pkcs11:", 0, 7)) {
            return ofUri(parseUri(a, "the configuration URI"));
        }
        Path file;
        try {
            file = Path.of(a);
        } catch (InvalidPathException e) {
            throw new InvalidParameterException("not a pkcs11: URI nor a file path: " + e.getMessage());
        }
        if (!Files.isRegularFile(file)) {
            throw new InvalidParameterException("P11J configuration file not found: " + file.toAbsolutePath()
                    + " (the argument must be a pkcs11: URI or a provider-config file)");
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(r, file.toAbsolutePath().getParent(), file.toString());
        } catch (IOException e) {
            throw new InvalidParameterException("cannot read P11J configuration " + file + ": " + e.getMessage());
        }
    }

    /** Parses the text of a configuration file; relative paths in it resolve against {@code baseDir}. */
    public static ProviderConfig parse(String text, Path baseDir) {
        try {
            return parse(new StringReader(text), baseDir, "configuration text");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ProviderConfig parse(Reader reader, Path baseDir, String source) throws IOException {
        Properties p = new Properties();
        p.load(reader);
        for (String k : p.stringPropertyNames()) {
            if (!KEYS.contains(k)) {
                throw new InvalidParameterException(source + ": unknown setting '" + k + "' (known: "
                        + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
            }
        }
        String name = value(p, "name");
        if (name != null && !NAME.matcher(name).matches()) {
            throw new InvalidParameterException(source + ": name must be 1-64 of A-Z a-z 0-9 . _ - (got '" + name + "')");
        }
        String tokenText = value(p, "token");
        Pkcs11Uri token = tokenText == null ? Pkcs11Uri.create("pkcs11:") : parseUri(tokenText, source + ": token");
        String library = value(p, "library");
        if (library != null) {
            if (token.namesModule()) {
                throw new InvalidParameterException(source + ": give the module either as 'library' or in the token URI, not both");
            }
            token = token.toBuilder().modulePath(resolve(baseDir, library).toString()).build();
        }
        if (!token.namesModule()) {
            throw new InvalidParameterException(source + ": no module: set 'library' or module-path/module-name in the token URI");
        }
        token = resolvePinSource(token, baseDir);
        int maxSessions = DEFAULT_MAX_SESSIONS;
        String ms = value(p, "max-sessions");
        if (ms != null) {
            try {
                maxSessions = Integer.parseInt(ms);
            } catch (NumberFormatException e) {
                maxSessions = 0;
            }
            if (maxSessions < 1 || maxSessions > 4096) {
                throw new InvalidParameterException(source + ": max-sessions must be 1..4096 (got '" + ms + "')");
            }
        }
        boolean tokenKeys = false;
        String gk = value(p, "generated-keys");
        if (gk != null) {
            switch (gk.toLowerCase(Locale.ROOT)) {
                case "session" -> tokenKeys = false;
                case "token" -> tokenKeys = true;
                default -> throw new InvalidParameterException(source + ": generated-keys must be 'session' or 'token' (got '" + gk + "')");
            }
        }
        List<Path> allowed = new ArrayList<>();
        for (String m : list(p, "allowed-modules")) {
            allowed.add(resolve(baseDir, m));
        }
        Set<Long> mechanisms = new LinkedHashSet<>();
        for (String m : list(p, "disabled-mechanisms")) {
            mechanisms.add(Mechanisms.parse(m, source));
        }
        return new ProviderConfig(name, token, value(p, "init-args"), patterns(p, "enabled-algorithms", source),
                patterns(p, "disabled-algorithms", source), mechanisms, maxSessions, tokenKeys, allowed,
                onOff(p, "message-digests", false, source), quirks(p, "enabled-quirks", source),
                quirks(p, "disabled-quirks", source), source);
    }

    private static boolean onOff(Properties p, String key, boolean dflt, String source) {
        String v = value(p, key);
        if (v == null) {
            return dflt;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new InvalidParameterException(source + ": " + key + " must be 'on' or 'off' (got '" + v + "')");
        };
    }

    private static Set<Quirk> quirks(Properties p, String key, String source) {
        Set<Quirk> out = EnumSet.noneOf(Quirk.class);
        for (String s : list(p, key)) {
            out.add(Quirk.byConfigName(s).orElseThrow(() -> new InvalidParameterException(source + ": " + key + ": unknown quirk '"
                    + s + "' (known: " + Arrays.stream(Quirk.values()).map(Quirk::configName).collect(Collectors.joining(", ")) + ")")));
        }
        return out;
    }

    private static Pkcs11Uri parseUri(String text, String what) {
        try {
            return Pkcs11Uri.parse(text);
        } catch (Pkcs11UriSyntaxException e) {
            throw new InvalidParameterException(what + " is not a valid pkcs11: URI: " + e.getMessage());
        }
    }

    /** A relative {@code pin-source} file in a configuration file means relative to that file. */
    private static Pkcs11Uri resolvePinSource(Pkcs11Uri token, Path baseDir) {
        String ps = token.pinSource().orElse(null);
        if (ps == null || baseDir == null || ps.startsWith("file:") || ps.startsWith("|") || Path.of(ps).isAbsolute()) {
            return token;
        }
        return token.toBuilder().pinSource(baseDir.resolve(ps).toString()).build();
    }

    private static Path resolve(Path baseDir, String path) {
        Path p = Path.of(path);
        return p.isAbsolute() || baseDir == null || !path.contains("/") ? p : baseDir.resolve(p).normalize();
    }

    private static String value(Properties p, String key) {
        String v = p.getProperty(key);
        return v == null || v.isBlank() ? null : v.strip();
    }

    private static List<String> list(Properties p, String key) {
        String v = value(p, key);
        List<String> out = new ArrayList<>();
        if (v != null) {
            for (String s : v.split("[,\\s]+")) {
                if (!s.isBlank()) {
                    out.add(s.strip());
                }
            }
        }
        return out;
    }

    private static Set<String> patterns(Properties p, String key, String source) {
        Set<String> out = new LinkedHashSet<>();
        for (String s : list(p, key)) {
            if (!s.matches("[A-Za-z]+(\\.[A-Za-z0-9*/_.-]+)?")) {
                throw new InvalidParameterException(source + ": " + key + ": '" + s
                        + "' is not Type or Type.Algorithm (e.g. MessageDigest, Signature.SHA1withRSA, Signature.*)");
            }
            out.add(s);
        }
        return out;
    }

    /** The provider's name: {@code P11J} or {@code P11J-name}. */
    public String providerName() {
        return name == null ? "P11J" : "P11J-" + name;
    }

    /**
     * Whether the service {@code type.algorithm} may be offered. {@code MessageDigest} services need
     * {@code message-digests = on}: digests hold no secret, so the token adds no protection, while a
     * token round trip costs far more than hashing in the JVM; and a provider early in the provider
     * list would otherwise take every digest in the JVM (JAR verification, TLS transcripts).
     */
    public boolean allows(String type, String algorithm) {
        if ("MessageDigest".equalsIgnoreCase(type) && !messageDigests) {
            return false;
        }
        if (matchesAny(disabled, type, algorithm)) {
            return false;
        }
        return enabled.isEmpty() || matchesAny(enabled, type, algorithm);
    }

    private static boolean matchesAny(Set<String> patterns, String type, String algorithm) {
        for (String pat : patterns) {
            int dot = pat.indexOf('.');
            String t = dot < 0 ? pat : pat.substring(0, dot);
            String a = dot < 0 ? "*" : pat.substring(dot + 1);
            if (t.equalsIgnoreCase(type) && (a.equals("*") || a.equalsIgnoreCase(algorithm))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "ProviderConfig[" + providerName() + ", token " + token + ", from " + source + "]"; // Pkcs11Uri.toString hides PINs
    }
}
