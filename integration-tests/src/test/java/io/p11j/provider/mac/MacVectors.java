// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.mac;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Wycheproof MAC vectors ({@code mac_test_schema_v1}: groups of {@code keySize}/{@code tagSize} in
 * bits, tests of key, message, tag and result), read from the class path ({@code /wycheproof/<name>}).
 * The signature loader ({@code io.p11j.testing.Wycheproof}) knows only the verification schemas.
 */
final class MacVectors {

    private static final HexFormat HEX = HexFormat.of();

    private MacVectors() {
    }

    record TestFile(String algorithm, int numberOfTests, List<Group> groups) {
    }

    record Group(int keySize, int tagSize, List<TestCase> tests) {
    }

    record TestCase(int tcId, String comment, List<String> flags, byte[] key, byte[] msg, byte[] tag, String result) {

        boolean valid() {
            return result.equals("valid");
        }

        boolean invalid() {
            return result.equals("invalid");
        }
    }

    static TestFile load(String name) {
        try (InputStream in = MacVectors.class.getResourceAsStream("/wycheproof/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test vector file /wycheproof/" + name + " on the class path");
            }
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                JsonObject root = JsonParser.parseReader(r).getAsJsonObject();
                List<Group> groups = new ArrayList<>();
                for (JsonElement ge : root.getAsJsonArray("testGroups")) {
                    JsonObject g = ge.getAsJsonObject();
                    List<TestCase> tests = new ArrayList<>();
                    for (JsonElement te : g.getAsJsonArray("tests")) {
                        JsonObject t = te.getAsJsonObject();
                        List<String> flags = new ArrayList<>();
                        t.getAsJsonArray("flags").forEach(f -> flags.add(f.getAsString()));
                        tests.add(new TestCase(t.get("tcId").getAsInt(), t.get("comment").getAsString(), List.copyOf(flags),
                                HEX.parseHex(t.get("key").getAsString()), HEX.parseHex(t.get("msg").getAsString()),
                                HEX.parseHex(t.get("tag").getAsString()), t.get("result").getAsString()));
                    }
                    groups.add(new Group(g.get("keySize").getAsInt(), g.get("tagSize").getAsInt(), List.copyOf(tests)));
                }
                return new TestFile(root.get("algorithm").getAsString(), root.get("numberOfTests").getAsInt(), List.copyOf(groups));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
