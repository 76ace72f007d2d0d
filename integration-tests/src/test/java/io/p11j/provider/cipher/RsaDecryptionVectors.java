// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Wycheproof RSAES decryption vectors ({@code rsaes_pkcs1_decrypt_schema_v1},
 * {@code rsaes_oaep_decrypt_schema_v1}) from the class path ({@code /wycheproof/<name>}), hex decoded,
 * the group's PKCS#8 private key parsed (SunRsaSign). The signature loader ({@code io.p11j.testing.Wycheproof})
 * reads public keys only.
 */
final class RsaDecryptionVectors {

    private static final HexFormat HEX = HexFormat.of();

    /** A file. */
    record File(String algorithm, int numberOfTests, List<Group> groups) {
    }

    /** A key and its tests; the OAEP digests are null for PKCS#1 v1.5. */
    record Group(RSAPrivateCrtKey key, int keySize, String sha, String mgfSha, List<Case> tests) {
    }

    /** One ciphertext; {@code label} is empty for PKCS#1 v1.5. */
    record Case(int tcId, String comment, List<String> flags, byte[] msg, byte[] ct, byte[] label, String result) {
        @Override
        public String toString() {
            return "tcId " + tcId + " (" + comment + ", " + flags + ")";
        }
    }

    private RsaDecryptionVectors() {
    }

    static File load(String name) throws Exception {
        try (InputStream in = RsaDecryptionVectors.class.getResourceAsStream("/wycheproof/" + name)) {
            if (in == null) {
                throw new IOException("no /wycheproof/" + name + " on the class path");
            }
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                JsonObject root = JsonParser.parseReader(r).getAsJsonObject();
                KeyFactory kf = KeyFactory.getInstance("RSA", "SunRsaSign");
                List<Group> groups = new ArrayList<>();
                for (JsonElement ge : root.getAsJsonArray("testGroups")) {
                    JsonObject g = ge.getAsJsonObject();
                    RSAPrivateCrtKey key = (RSAPrivateCrtKey) kf.generatePrivate(
                            new PKCS8EncodedKeySpec(HEX.parseHex(g.get("privateKeyPkcs8").getAsString())));
                    List<Case> tests = new ArrayList<>();
                    for (JsonElement te : g.getAsJsonArray("tests")) {
                        JsonObject t = te.getAsJsonObject();
                        List<String> flags = new ArrayList<>();
                        t.getAsJsonArray("flags").forEach(f -> flags.add(f.getAsString()));
                        tests.add(new Case(t.get("tcId").getAsInt(), t.get("comment").getAsString(), List.copyOf(flags),
                                HEX.parseHex(t.get("msg").getAsString()), HEX.parseHex(t.get("ct").getAsString()),
                                t.has("label") ? HEX.parseHex(t.get("label").getAsString()) : new byte[0],
                                t.get("result").getAsString()));
                    }
                    groups.add(new Group(key, g.has("keySize") ? g.get("keySize").getAsInt() : key.getModulus().bitLength(),
                            g.has("sha") ? g.get("sha").getAsString() : null, g.has("mgfSha") ? g.get("mgfSha").getAsString() : null,
                            List.copyOf(tests)));
                }
                return new File(root.get("algorithm").getAsString(), root.get("numberOfTests").getAsInt(), List.copyOf(groups));
            }
        }
    }
}
