// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.P11jKey;
import io.p11j.provider.key.P11PublicKey;
import io.p11j.provider.signature.SignatureFixtures.Kind;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.p11j.provider.signature.SignatureFixtures.jdk;
import static io.p11j.provider.signature.SignatureFixtures.kindFor;
import static io.p11j.provider.signature.SignatureFixtures.message;
import static io.p11j.provider.signature.SignatureFixtures.p11j;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every signature service the provider registers on SoftHSM2, both ways round: signed on the token
 * and verified by the JDK's own providers (SunRsaSign, SunEC, SunJCE), signed by the JDK and
 * verified on the token — with the token's public key object and with a software key the provider
 * imports — over messages of every size that changes the data path.
 */
@ExtendWith(SoftHsmExtension.class)
class SignatureRoundTripIT {

    /** The sizes around the single-part/multi-part switch, and a large one. */
    private static final int[] SIZES = {0, 1, 1024, P11Signature.SINGLE_PART_LIMIT, P11Signature.SINGLE_PART_LIMIT + 1, 1 << 20};

    @TempDir
    static Path dir;
    static Provider provider;
    static final Map<Kind, KeyPair> TOKEN_KEYS = new EnumMap<>(Kind.class);
    static final Map<Kind, KeyPair> SOFTWARE_KEYS = new EnumMap<>(Kind.class);

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        for (Kind k : Kind.values()) {
            TOKEN_KEYS.put(k, k.generate(provider));
            SOFTWARE_KEYS.put(k, k.generate(null));
        }
    }

    static Stream<String> registered() {
        return provider.getServices().stream().filter(s -> s.getType().equals("Signature"))
                .map(Provider.Service::getAlgorithm).sorted();
    }

    /** The algorithms whose messages may be of any length (not the NONEwith… ones). */
    static Stream<String> hashing() {
        return registered().filter(a -> !a.startsWith("NONE"));
    }

    static Stream<Arguments> hashingBySize() {
        List<Arguments> out = new ArrayList<>();
        for (String a : hashing().toList()) {
            for (int size : SIZES) {
                out.add(Arguments.of(a, size));
            }
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("registered")
    void signedOnTheTokenVerifiedByTheJdk(String algorithm) throws Exception {
        KeyPair kp = TOKEN_KEYS.get(kindFor(algorithm));
        byte[] msg = message(algorithm, 1024, 1);
        Signature signer = p11j(algorithm, provider);
        signer.initSign(kp.getPrivate());
        signer.update(msg);
        byte[] sig = signer.sign();

        Signature verifier = jdk(algorithm);
        verifier.initVerify(kp.getPublic());
        verifier.update(msg);
        assertThat(verifier.verify(sig)).as("JDK verifies P11J's %s", algorithm).isTrue();
        verifier.update(message(algorithm, 1024, 2));
        assertThat(verifier.verify(sig)).as("JDK rejects it for another message").isFalse();
    }

    @ParameterizedTest
    @MethodSource("registered")
    void signedByTheJdkVerifiedOnTheToken(String algorithm) throws Exception {
        KeyPair kp = SOFTWARE_KEYS.get(kindFor(algorithm));
        byte[] msg = message(algorithm, 1024, 3);
        Signature signer = jdk(algorithm);
        signer.initSign(kp.getPrivate());
        signer.update(msg);
        byte[] sig = signer.sign();

        // A software public key: the configured provider imports it onto its token.
        Signature verifier = p11j(algorithm, provider);
        verifier.initVerify(kp.getPublic());
        verifier.update(msg);
        assertThat(verifier.verify(sig)).as("P11J verifies the JDK's %s", algorithm).isTrue();
        verifier.update(message(algorithm, 1024, 4));
        assertThat(verifier.verify(sig)).as("and rejects it for another message").isFalse();
        verifier.update(msg);
        assertThat(verifier.verify(sig)).as("the same engine again, after a false").isTrue();
    }

    @ParameterizedTest
    @MethodSource("registered")
    void verifiedWithTheTokensPublicKeyObject(String algorithm) throws Exception {
        KeyPair kp = TOKEN_KEYS.get(kindFor(algorithm));
        assertThat(kp.getPublic()).isInstanceOf(P11PublicKey.class);
        byte[] msg = message(algorithm, 1024, 5);
        Signature signer = p11j(algorithm, provider);
        signer.initSign(kp.getPrivate());
        signer.update(msg);
        byte[] sig = signer.sign();

        Signature verifier = p11j(algorithm, provider);
        verifier.initVerify(kp.getPublic());
        verifier.update(msg);
        assertThat(verifier.verify(sig)).isTrue();
        byte[] bad = sig.clone();
        bad[bad.length / 2] ^= 0x01;
        verifier.update(msg);
        assertThat(verifier.verify(bad)).as("a flipped bit: false, not an exception").isFalse();
    }

    @ParameterizedTest
    @MethodSource("hashingBySize")
    void everySizeThroughBothDataPaths(String algorithm, int size) throws Exception {
        KeyPair kp = TOKEN_KEYS.get(kindFor(algorithm));
        byte[] msg = message(algorithm, size, size);
        Signature signer = p11j(algorithm, provider);
        signer.initSign(kp.getPrivate());
        feedInPieces(signer, msg, size);
        byte[] sig = signer.sign();

        Signature jdkVerifier = jdk(algorithm);
        jdkVerifier.initVerify(kp.getPublic());
        jdkVerifier.update(msg);
        assertThat(jdkVerifier.verify(sig)).as("%s over %d bytes", algorithm, size).isTrue();

        for (PublicKey pub : List.of(kp.getPublic(), software(kp.getPublic()))) {
            Signature verifier = p11j(algorithm, provider);
            verifier.initVerify(pub);
            feedInPieces(verifier, msg, size + 7);
            assertThat(verifier.verify(sig)).as("%s over %d bytes verified with %s", algorithm, size,
                    pub.getClass().getSimpleName()).isTrue();
            if (size > 0) {
                byte[] other = msg.clone();
                other[size - 1] ^= 0x40;
                verifier.update(other);
                assertThat(verifier.verify(sig)).isFalse();
            }
        }
    }

    /** Updates of uneven sizes, byte by byte at the start, so that every update path is taken. */
    private static void feedInPieces(Signature s, byte[] msg, int seed) throws SignatureException {
        int off = 0;
        for (int i = 0; i < 3 && off < msg.length; i++) {
            s.update(msg[off++]);
        }
        int piece = 1 + Math.floorMod(seed * 31, 40_000);
        while (off < msg.length) {
            int n = Math.min(piece, msg.length - off);
            s.update(msg, off, n);
            off += n;
            piece = piece * 3 / 2 + 1;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"SHA256withRSA", "SHA3-256withRSA", "SHA384withRSA/PSS", "SHA256withECDSA", "Ed25519", "Ed448"})
    void byteBuffersOfEveryKind(String algorithm) throws Exception {
        KeyPair kp = TOKEN_KEYS.get(kindFor(algorithm));
        byte[] msg = message(algorithm, 3 * P11Signature.SINGLE_PART_LIMIT / 2, 7);
        ByteBuffer heap = ByteBuffer.allocate(msg.length + 10).position(5);
        heap.put(msg).flip().position(5);
        ByteBuffer direct = ByteBuffer.allocateDirect(msg.length).put(msg).flip();
        ByteBuffer readOnly = ByteBuffer.wrap(msg).asReadOnlyBuffer();
        ByteBuffer small = ByteBuffer.allocateDirect(100).put(msg, 0, 100).flip();

        for (ByteBuffer b : List.of(heap, direct, readOnly)) {
            Signature signer = p11j(algorithm, provider);
            signer.initSign(kp.getPrivate());
            signer.update(b.duplicate());
            byte[] sig = signer.sign();
            Signature verifier = jdk(algorithm);
            verifier.initVerify(kp.getPublic());
            verifier.update(msg);
            assertThat(verifier.verify(sig)).as("%s from a %s buffer", algorithm, b.isDirect() ? "direct" : "heap").isTrue();

            Signature tokenVerifier = p11j(algorithm, provider);
            tokenVerifier.initVerify(kp.getPublic());
            tokenVerifier.update(b.duplicate());
            assertThat(tokenVerifier.verify(sig)).isTrue();
        }
        Signature signer = p11j(algorithm, provider);
        signer.initSign(kp.getPrivate());
        ByteBuffer s = small.duplicate();
        signer.update(s);
        assertThat(s.hasRemaining()).as("update consumes the buffer").isFalse();
        Signature verifier = jdk(algorithm);
        verifier.initVerify(kp.getPublic());
        verifier.update(msg, 0, 100);
        assertThat(verifier.verify(signer.sign())).isTrue();
    }

    @ParameterizedTest
    @MethodSource("registered")
    void oneEngineSignsMessageAfterMessage(String algorithm) throws Exception {
        KeyPair kp = TOKEN_KEYS.get(kindFor(algorithm));
        Signature signer = p11j(algorithm, provider);
        signer.initSign(kp.getPrivate());
        Signature verifier = jdk(algorithm);
        verifier.initVerify(kp.getPublic());
        int[] sizes = algorithm.startsWith("NONE") ? new int[] {10, 20, 30}
                : new int[] {10, P11Signature.SINGLE_PART_LIMIT + 100, 0, 20};
        for (int i = 0; i < sizes.length; i++) {
            byte[] msg = message(algorithm, sizes[i], 100 + i);
            signer.update(msg);
            byte[] sig = signer.sign();
            verifier.update(msg);
            assertThat(verifier.verify(sig)).as("signature %d of one engine", i).isTrue();
        }
    }

    @Test
    void pssParametersBeforeOrAfterInitAndReadBack() throws Exception {
        KeyPair kp = TOKEN_KEYS.get(Kind.RSA);
        byte[] msg = message("RSASSA-PSS", 500, 11);
        PSSParameterSpec sha512 = new PSSParameterSpec("SHA-512", "MGF1", MGF1ParameterSpec.SHA512, 20, 1);

        Signature before = Signature.getInstance("RSASSA-PSS", provider);
        before.setParameter(sha512);
        before.initSign(kp.getPrivate());
        before.update(msg);
        byte[] sig1 = before.sign();

        Signature after = Signature.getInstance("RSASSA-PSS", provider);
        after.initSign(kp.getPrivate());
        assertThat(after.getParameters()).as("no parameters yet").isNull();
        assertThatThrownBy(() -> after.update(msg)).isInstanceOf(SignatureException.class)
                .hasMessageContaining("Parameters required");
        after.setParameter(sha512);
        after.update(msg);
        byte[] sig2 = after.sign();

        AlgorithmParameters ap = after.getParameters();
        PSSParameterSpec back = ap.getParameterSpec(PSSParameterSpec.class);
        assertThat(back.getDigestAlgorithm()).isEqualTo("SHA-512");
        assertThat(((MGF1ParameterSpec) back.getMGFParameters()).getDigestAlgorithm()).isEqualTo("SHA-512");
        assertThat(back.getSaltLength()).isEqualTo(20);

        Signature jdk = Signature.getInstance("RSASSA-PSS", "SunRsaSign");
        jdk.setParameter(sha512);
        jdk.initVerify(kp.getPublic());
        for (byte[] sig : List.of(sig1, sig2)) {
            jdk.update(msg);
            assertThat(jdk.verify(sig)).isTrue();
        }

        // The parameters change with setParameter between signatures (SHA-256 now), on the same engine.
        after.setParameter(SignatureFixtures.PSS_SHA256);
        after.update(msg);
        byte[] sig3 = after.sign();
        Signature jdk256 = jdk("RSASSA-PSS");
        jdk256.initVerify(kp.getPublic());
        jdk256.update(msg);
        assertThat(jdk256.verify(sig3)).isTrue();

        // A PSS verifier initialized first and given its parameters afterwards.
        Signature verifier = Signature.getInstance("RSASSA-PSS", provider);
        verifier.initVerify(kp.getPublic());
        verifier.setParameter(sha512);
        verifier.update(msg);
        assertThat(verifier.verify(sig1)).isTrue();
    }

    @Test
    void fixedPssNamesReportTheirParameters() throws Exception {
        Signature s = Signature.getInstance("SHA384withRSA/PSS", provider);
        PSSParameterSpec p = s.getParameters().getParameterSpec(PSSParameterSpec.class);
        assertThat(p.getDigestAlgorithm()).isEqualTo("SHA-384");
        assertThat(((MGF1ParameterSpec) p.getMGFParameters()).getDigestAlgorithm()).isEqualTo("SHA-384");
        assertThat(p.getSaltLength()).isEqualTo(48);
        s.setParameter(new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA384, 48, 1)); // the same: fine
        assertThat(Signature.getInstance("SHA256withRSAandMGF1", provider).getAlgorithm()).isEqualTo("SHA256withRSAandMGF1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"P256", "P384", "P521"})
    void p1363SignaturesAreTwiceTheOrderLengthAndMatchTheDerOnes(Kind kind) throws Exception {
        int order = switch (kind) {
            case P256 -> 32;
            case P384 -> 48;
            default -> 66;
        };
        KeyPair kp = TOKEN_KEYS.get(kind);
        byte[] msg = message("SHA256withECDSA", 200, 13);
        for (int i = 0; i < 20; i++) { // some r or s with leading zero bytes among them
            Signature p1363 = Signature.getInstance("SHA256withECDSAinP1363Format", provider);
            p1363.initSign(kp.getPrivate());
            p1363.update(msg);
            byte[] raw = p1363.sign();
            assertThat(raw).hasSize(2 * order);

            // The same r and s in DER verify under the DER name, and the JDK agrees on both forms.
            byte[] der = io.p11j.provider.codec.EcdsaSignatures.rawToDer(raw);
            Signature derVerifier = Signature.getInstance("SHA256withECDSA", provider);
            derVerifier.initVerify(kp.getPublic());
            derVerifier.update(msg);
            assertThat(derVerifier.verify(der)).isTrue();
            Signature jdk = Signature.getInstance("SHA256withECDSAinP1363Format", "SunEC");
            jdk.initVerify(kp.getPublic());
            jdk.update(msg);
            assertThat(jdk.verify(raw)).isTrue();

            Signature verifier = Signature.getInstance("SHA256withECDSAinP1363Format", provider);
            verifier.initVerify(kp.getPublic());
            verifier.update(msg);
            assertThat(verifier.verify(Arrays.copyOf(raw, raw.length - 1))).as("one byte short").isFalse();
            verifier.update(msg);
            assertThat(verifier.verify(Arrays.copyOf(raw, raw.length + 1))).as("one byte long").isFalse();
            verifier.update(msg);
            assertThat(verifier.verify(raw)).isTrue();
        }
    }

    @Test
    void derEncodingOfTheTokensSignaturesIsTheCodecs() throws Exception {
        // P11J encodes r‖s itself on the signing hot path; it must be byte for byte the codec's DER.
        for (Kind kind : List.of(Kind.P256, Kind.P384, Kind.P521)) {
            KeyPair kp = TOKEN_KEYS.get(kind);
            Signature p1363 = Signature.getInstance("NONEwithECDSAinP1363Format", provider);
            p1363.initSign(kp.getPrivate());
            for (int i = 0; i < 200; i++) {
                p1363.update(BigInteger.valueOf(i).toByteArray());
                byte[] raw = p1363.sign();
                assertThat(EcdsaDer.encode(raw)).isEqualTo(io.p11j.provider.codec.EcdsaSignatures.rawToDer(raw));
            }
        }
    }

    @Test
    void aP11jKeyIsAlsoAnOrdinaryPublicKey() throws Exception {
        KeyPair kp = TOKEN_KEYS.get(Kind.P256);
        assertThat(kp.getPublic()).isInstanceOf(P11jKey.class);
        PublicKey soft = software(kp.getPublic());
        assertThat(soft).isNotInstanceOf(P11jKey.class).isEqualTo(kp.getPublic());
    }

    /** The same public key as a plain JDK key (so P11J must import it to verify on the token). */
    static PublicKey software(PublicKey key) throws GeneralSecurityException {
        String alg = key.getAlgorithm().equals("EdDSA") ? "EdDSA" : key.getAlgorithm();
        return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(key.getEncoded()));
    }
}
