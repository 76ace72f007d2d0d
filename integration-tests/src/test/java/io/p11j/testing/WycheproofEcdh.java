// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Wycheproof's ECDH files ({@code ecdh_test_schema_v1}, group type {@code EcdhTest}, encoding
 * {@code asn}) from the class path ({@code /wycheproof/<name>}): per test the private key (an
 * integer), the peer's public key (X.509 DER, possibly malformed on purpose) and the expected
 * shared secret. {@link Wycheproof} reads the signature schemas; this schema has keys per test.
 */
public final class WycheproofEcdh {

    private static final HexFormat HEX = HexFormat.of();

    private WycheproofEcdh() {
    }

    /** A whole file. */
    public record TestFile(String schema, int numberOfTests, List<TestCase> tests) {
        public TestFile {
            tests = List.copyOf(tests);
        }
    }

    /**
     * One test.
     *
     * @param curve   the group's curve, e.g. {@code secp256r1}
     * @param publicDer the peer's public key as X.509 {@code SubjectPublicKeyInfo} bytes
     * @param privateValue the private key
     * @param shared  the expected shared secret (empty for invalid tests)
     */
    public record TestCase(int tcId, String curve, String comment, List<String> flags, byte[] publicDer,
                           BigInteger privateValue, byte[] shared, String result) {
        public boolean valid() {
            return result.equals("valid");
        }

        public boolean invalid() {
            return result.equals("invalid");
        }

        public boolean acceptable() {
            return result.equals("acceptable");
        }
    }

    public static TestFile load(String name) {
        try (InputStream in = WycheproofEcdh.class.getResourceAsStream("/wycheproof/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no Wycheproof file /wycheproof/" + name + " on the class path");
            }
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                JsonObject root = JsonParser.parseReader(r).getAsJsonObject();
                String schema = root.get("schema").getAsString();
                if (!schema.startsWith("ecdh_test_schema")) {
                    throw new IllegalArgumentException(name + " has schema " + schema + ", not ecdh_test_schema");
                }
                List<TestCase> tests = new ArrayList<>();
                for (JsonElement ge : root.getAsJsonArray("testGroups")) {
                    JsonObject g = ge.getAsJsonObject();
                    String curve = g.get("curve").getAsString();
                    for (JsonElement te : g.getAsJsonArray("tests")) {
                        JsonObject t = te.getAsJsonObject();
                        List<String> flags = new ArrayList<>();
                        t.getAsJsonArray("flags").forEach(f -> flags.add(f.getAsString()));
                        tests.add(new TestCase(t.get("tcId").getAsInt(), curve, t.get("comment").getAsString(), flags,
                                HEX.parseHex(t.get("public").getAsString()),
                                new BigInteger(HEX.parseHex(t.get("private").getAsString())),
                                HEX.parseHex(t.get("shared").getAsString()), t.get("result").getAsString()));
                    }
                }
                return new TestFile(schema, root.get("numberOfTests").getAsInt(), tests);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
