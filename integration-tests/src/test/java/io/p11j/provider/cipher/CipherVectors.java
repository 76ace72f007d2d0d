// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Wycheproof symmetric cipher vectors ({@code aead_test_schema_v1}: AES-GCM;
 * {@code ind_cpa_test_schema_v1}: AES-CBC-PKCS5), read from the class path copies
 * ({@code /wycheproof/<name>}), hex decoded. One record per test, carrying its group's sizes.
 */
final class CipherVectors {

    private static final HexFormat HEX = HexFormat.of();

    private CipherVectors() {
    }

    /** One test: key, IV, AAD (empty for non-AEAD), message, ciphertext, tag (empty for non-AEAD), result, flags. */
    record Vector(int tcId, String comment, int ivBits, int tagBits, byte[] key, byte[] iv, byte[] aad, byte[] msg,
                  byte[] ct, byte[] tag, String result, Set<String> flags) {

        /** Ciphertext followed by the tag: what the JCA's AEAD ciphers produce. */
        byte[] ctAndTag() {
            byte[] out = new byte[ct.length + tag.length];
            System.arraycopy(ct, 0, out, 0, ct.length);
            System.arraycopy(tag, 0, out, ct.length, tag.length);
            return out;
        }

        @Override
        public String toString() {
            return "tcId " + tcId + " (" + comment + ", " + flags + ")";
        }
    }

    /** The file's declared test count and its tests. */
    record File(String algorithm, String schema, int numberOfTests, List<Vector> tests) {
    }

    static File load(String name) {
        try (InputStream in = CipherVectors.class.getResourceAsStream("/wycheproof/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test vector file /wycheproof/" + name + " on the class path");
            }
            JsonObject root = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
            List<Vector> tests = new ArrayList<>();
            for (JsonElement ge : root.getAsJsonArray("testGroups")) {
                JsonObject g = ge.getAsJsonObject();
                int ivBits = g.get("ivSize").getAsInt();
                int tagBits = g.has("tagSize") ? g.get("tagSize").getAsInt() : 0;
                for (JsonElement te : g.getAsJsonArray("tests")) {
                    JsonObject t = te.getAsJsonObject();
                    Set<String> flags = new TreeSet<>();
                    t.getAsJsonArray("flags").forEach(f -> flags.add(f.getAsString()));
                    tests.add(new Vector(t.get("tcId").getAsInt(), t.get("comment").getAsString(), ivBits, tagBits,
                            hex(t, "key"), hex(t, "iv"), hex(t, "aad"), hex(t, "msg"), hex(t, "ct"), hex(t, "tag"),
                            t.get("result").getAsString(), flags));
                }
            }
            return new File(root.get("algorithm").getAsString(), root.get("schema").getAsString(),
                    root.get("numberOfTests").getAsInt(), tests);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] hex(JsonObject o, String field) {
        return o.has(field) ? HEX.parseHex(o.get(field).getAsString()) : new byte[0];
    }
}
