// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.P11jProvider;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.token.TokenContext;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.TestToken;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Locale;
import java.util.Random;

/** What the signature tests share: keys on the token and in software, and each algorithm's JDK counterpart. */
final class SignatureFixtures {

    /** The PSS parameters the tests use with {@code RSASSA-PSS}. */
    static final PSSParameterSpec PSS_SHA256 = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);

    private SignatureFixtures() {
    }

    /** The key kinds the tests sign with. */
    enum Kind {
        RSA("RSA", null, 2048), P256("EC", "secp256r1", 0), P384("EC", "secp384r1", 0), P521("EC", "secp521r1", 0),
        ED25519("Ed25519", null, 0), ED448("Ed448", null, 0);

        final String algorithm;
        final String curve;
        final int bits;

        Kind(String algorithm, String curve, int bits) {
            this.algorithm = algorithm;
            this.curve = curve;
            this.bits = bits;
        }

        /** A key pair on the token (through the provider's KeyPairGenerator), or in software (the JDK's). */
        KeyPair generate(Provider provider) throws GeneralSecurityException {
            KeyPairGenerator kpg = provider == null ? KeyPairGenerator.getInstance(algorithm)
                    : KeyPairGenerator.getInstance(algorithm, provider);
            if (curve != null) {
                kpg.initialize(new ECGenParameterSpec(curve));
            } else if (bits > 0) {
                kpg.initialize(bits);
            }
            return kpg.generateKeyPair();
        }
    }

    /** The key kind a test of {@code algorithm} uses by default. */
    static Kind kindFor(String algorithm) {
        String a = algorithm.toUpperCase(Locale.ROOT);
        if (a.contains("RSA") || a.contains("PSS")) {
            return Kind.RSA;
        }
        if (a.contains("ECDSA")) {
            return a.contains("384") ? Kind.P384 : a.contains("512") ? Kind.P521 : Kind.P256;
        }
        return a.equals("ED448") ? Kind.ED448 : Kind.ED25519;
    }

    /**
     * A JDK {@code Signature} doing what P11J's {@code algorithm} does, from the JDK's own providers:
     * fixed-PSS names become {@code RSASSA-PSS} with their parameters.
     */
    static Signature jdk(String algorithm) throws GeneralSecurityException {
        if (algorithm.endsWith("/PSS")) {
            String digest = algorithm.substring(0, algorithm.indexOf("with"));
            String name = digest.startsWith("SHA3") ? digest : digest.replace("SHA", "SHA-");
            int length = switch (digest) {
                case "SHA1" -> 20;
                case "SHA224" -> 28;
                case "SHA256" -> 32;
                case "SHA384" -> 48;
                default -> 64;
            };
            Signature s = Signature.getInstance("RSASSA-PSS", "SunRsaSign");
            s.setParameter(new PSSParameterSpec(name, "MGF1", new MGF1ParameterSpec(name), length, 1));
            return s;
        }
        if (algorithm.equals("RSASSA-PSS")) {
            Signature s = Signature.getInstance("RSASSA-PSS", "SunRsaSign");
            s.setParameter(PSS_SHA256);
            return s;
        }
        if (algorithm.equals("NONEwithRSA")) {
            // The JDK's NONEwithRSA is SunJCE's RSA/ECB/PKCS1Padding cipher behind the Signature API.
            return Signature.getInstance("NONEwithRSA", "SunJCE");
        }
        return Signature.getInstance(algorithm, algorithm.contains("RSA") ? "SunRsaSign" : "SunEC");
    }

    /** A P11J {@code Signature}, with the tests' PSS parameters for {@code RSASSA-PSS}. */
    static Signature p11j(String algorithm, Provider provider) throws GeneralSecurityException {
        Signature s = Signature.getInstance(algorithm, provider);
        if (algorithm.equals("RSASSA-PSS")) {
            s.setParameter(PSS_SHA256);
        }
        return s;
    }

    /**
     * A message {@code algorithm} can take: any length for the hashing ones, a digest for the
     * {@code NONEwith…} ones ({@code NONEwithRSA} signs a SHA-256 {@code DigestInfo}).
     */
    static byte[] message(String algorithm, int length, long seed) throws GeneralSecurityException {
        byte[] m = new byte[length];
        new Random(seed).nextBytes(m);
        if (algorithm.equals("NONEwithRSA")) {
            return io.p11j.provider.codec.DigestInfos.encode("SHA-256",
                    java.security.MessageDigest.getInstance("SHA-256", "SUN").digest(m));
        }
        if (algorithm.startsWith("NONEwithECDSA")) {
            return java.security.MessageDigest.getInstance("SHA-256", "SUN").digest(m);
        }
        return m;
    }

    /**
     * A provider for {@code token} configured by a file: the token URI of {@link ProviderFixture} (PIN
     * from a file) and the given {@code setting = value} lines.
     */
    static Provider configured(TestToken token, Path dir, String name, String... settings) throws IOException {
        StringBuilder text = new StringBuilder("name = " + name + "\ntoken = " + ProviderFixture.uri(token, dir) + "\n");
        for (String s : settings) {
            text.append(s).append('\n');
        }
        Path file = dir.resolve(name + ".conf");
        Files.writeString(file, text);
        return new P11jProvider().configure(file.toString());
    }

    /** The token of a key the provider generated: how a test reaches the wrapper under the provider. */
    static TokenContext contextOf(KeyPair tokenPair) {
        return ((P11Key) tokenPair.getPrivate()).context();
    }
}
