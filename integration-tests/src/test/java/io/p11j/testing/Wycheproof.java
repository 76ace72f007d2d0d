// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECPoint;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Project Wycheproof test-vector files, read from the class path ({@code /wycheproof/<name>}) into
 * typed records, hex already decoded.
 *
 * <p>The files are copies (see {@code integration-tests/src/test/resources/wycheproof/README.md});
 * the build reads nothing outside the project. One {@link Group} record serves every schema the
 * copied files use: the key parts a schema does not have are {@code null}.
 *
 * <table>
 *   <caption>Schemas and where their keys are</caption>
 *   <tr><th>schema</th><th>group type</th><th>key</th></tr>
 *   <tr><td>ecdsa_verify_schema_v1, ecdsa_p1363_verify_schema_v1</td><td>EcdsaVerify,
 *       EcdsaP1363Verify</td><td>{@link Group#ecKey()}</td></tr>
 *   <tr><td>rsassa_pkcs1_verify_schema_v1</td><td>RsassaPkcs1Verify</td><td>{@link Group#rsaKey()}</td></tr>
 *   <tr><td>rsassa_pss_verify_schema_v1</td><td>RsassaPssVerify</td><td>{@link Group#rsaKey()},
 *       {@link Group#pss()}</td></tr>
 *   <tr><td>eddsa_verify_schema_v1</td><td>EddsaVerify</td><td>{@link Group#edKey()}</td></tr>
 * </table>
 *
 * <p>All of these are verification vectors: each group has a public key ({@code publicKeyDer}, an
 * X.509 {@code SubjectPublicKeyInfo}, and its parts), no private key.
 */
public final class Wycheproof {

    private static final HexFormat HEX = HexFormat.of();

    private Wycheproof() {
    }

    /** A whole file. */
    public record TestFile(String algorithm, String schema, int numberOfTests, List<Group> groups) {

        public TestFile {
            groups = List.copyOf(groups);
        }

        /** Every test of every group. */
        public Stream<TestCase> tests() {
            return groups.stream().flatMap(g -> g.tests().stream());
        }
    }

    /**
     * A test group: one key, its parameters, and the tests made with it.
     *
     * @param type the group type, e.g. {@code EcdsaVerify}
     * @param sha the message digest, e.g. {@code SHA-256} (null for EdDSA)
     * @param publicKeyDer the X.509 {@code SubjectPublicKeyInfo} of the public key
     * @param ecKey the EC public key, or null
     * @param rsaKey the RSA public key, or null
     * @param edKey the EdDSA public key, or null
     * @param pss the RSASSA-PSS parameters, or null
     */
    public record Group(String type, String sha, byte[] publicKeyDer, EcKey ecKey, RsaKey rsaKey, EdKey edKey,
            Pss pss, List<TestCase> tests) {

        public Group {
            tests = List.copyOf(tests);
        }

        /**
         * The group's public key, decoded by the JDK's {@link KeyFactory} ({@code EC}, {@code RSA} or
         * {@code EdDSA}, by group type) from {@link #publicKeyDer()}.
         */
        public PublicKey publicKey() throws GeneralSecurityException {
            String algorithm;
            if (type.startsWith("Ecdsa")) {
                algorithm = "EC";
            } else if (type.startsWith("Rsassa")) {
                algorithm = "RSA";
            } else if (type.startsWith("Eddsa")) {
                algorithm = "EdDSA";
            } else {
                throw new IllegalStateException("no KeyFactory for Wycheproof group type " + type);
            }
            return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(publicKeyDer));
        }
    }

    /**
     * An EC public key.
     *
     * @param curve e.g. {@code secp256r1}
     * @param uncompressed the X9.62 uncompressed point {@code 04‖X‖Y}
     */
    public record EcKey(String curve, int keySize, BigInteger wx, BigInteger wy, byte[] uncompressed) {

        public ECPoint w() {
            return new ECPoint(wx, wy);
        }
    }

    /** An RSA public key: modulus {@code n}, public exponent {@code e}. */
    public record RsaKey(int keySize, BigInteger n, BigInteger e) {
    }

    /**
     * An EdDSA public key.
     *
     * @param curve e.g. {@code edwards25519}
     * @param pk the RFC 8032 encoded point
     */
    public record EdKey(String curve, int keySize, byte[] pk) {
    }

    /**
     * RSASSA-PSS parameters.
     *
     * @param mgf the mask generation function, {@code MGF1}
     * @param mgfSha MGF1's digest, e.g. {@code SHA-256}
     * @param sLen the salt length in bytes
     */
    public record Pss(String mgf, String mgfSha, int sLen) {
    }

    /**
     * One test.
     *
     * @param result {@code valid}, {@code invalid} or {@code acceptable}
     * @param flags the edge cases it exercises, described in the file's {@code notes}
     */
    public record TestCase(int tcId, String comment, byte[] msg, byte[] sig, String result, List<String> flags) {

        public TestCase {
            flags = List.copyOf(flags);
        }

        public boolean valid() {
            return result.equals("valid");
        }

        public boolean invalid() {
            return result.equals("invalid");
        }

        public boolean acceptable() {
            return result.equals("acceptable");
        }

        public boolean hasFlag(String flag) {
            return flags.contains(flag);
        }
    }

    /**
     * Reads {@code /wycheproof/<name>} from the class path.
     *
     * @throws IllegalArgumentException if there is no such resource
     * @throws UncheckedIOException if it cannot be read
     */
    public static TestFile load(String name) {
        String resource = "/wycheproof/" + name;
        try (InputStream in = Wycheproof.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test-vector resource " + resource);
            }
            try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                return file(JsonParser.parseReader(reader).getAsJsonObject());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    private static TestFile file(JsonObject o) {
        List<Group> groups = new ArrayList<>();
        for (JsonElement g : o.getAsJsonArray("testGroups")) {
            groups.add(group(g.getAsJsonObject()));
        }
        return new TestFile(string(o, "algorithm"), string(o, "schema"), o.get("numberOfTests").getAsInt(), groups);
    }

    private static Group group(JsonObject g) {
        JsonObject pub = g.has("publicKey") && g.get("publicKey").isJsonObject() ? g.getAsJsonObject("publicKey") : null;
        EcKey ec = null;
        RsaKey rsa = null;
        EdKey ed = null;
        if (pub != null && pub.has("wx")) {
            ec = new EcKey(string(pub, "curve"), integer(pub, "keySize"), unsigned(pub, "wx"), unsigned(pub, "wy"),
                    hex(pub, "uncompressed"));
        } else if (pub != null && pub.has("modulus")) {
            rsa = new RsaKey(integer(g, "keySize"), unsigned(pub, "modulus"), unsigned(pub, "publicExponent"));
        } else if (pub != null && pub.has("pk")) {
            ed = new EdKey(string(pub, "curve"), integer(pub, "keySize"), hex(pub, "pk"));
        }
        Pss pss = g.has("mgf") ? new Pss(string(g, "mgf"), string(g, "mgfSha"), integer(g, "sLen")) : null;
        List<TestCase> tests = new ArrayList<>();
        for (JsonElement t : g.getAsJsonArray("tests")) {
            tests.add(test(t.getAsJsonObject()));
        }
        return new Group(string(g, "type"), string(g, "sha"), hex(g, "publicKeyDer"), ec, rsa, ed, pss, tests);
    }

    private static TestCase test(JsonObject t) {
        List<String> flags = new ArrayList<>();
        JsonArray f = t.getAsJsonArray("flags");
        if (f != null) {
            f.forEach(e -> flags.add(e.getAsString()));
        }
        return new TestCase(t.get("tcId").getAsInt(), string(t, "comment"), hex(t, "msg"), hex(t, "sig"),
                string(t, "result"), flags);
    }

    private static String string(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    /** keySize is a number in RSA groups and a string in EC and EdDSA keys. */
    private static int integer(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e == null || e.isJsonNull() ? 0 : Integer.parseInt(e.getAsString());
    }

    private static byte[] hex(JsonObject o, String name) {
        String s = string(o, name);
        return s == null ? null : HEX.parseHex(s);
    }

    /** Wycheproof writes integers as signed big-endian hex (a leading 00 when the top bit is set). */
    private static BigInteger unsigned(JsonObject o, String name) {
        String s = string(o, name);
        return s == null ? null : new BigInteger(1, HEX.parseHex(s));
    }
}
