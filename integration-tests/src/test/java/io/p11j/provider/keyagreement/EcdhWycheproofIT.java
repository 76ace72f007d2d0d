// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keyagreement;

import io.p11j.provider.codec.EcCurves;
import io.p11j.provider.key.Keys;
import io.p11j.provider.key.P11EcPrivateKey;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.token.TokenContext;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.testing.WycheproofEcdh;
import io.p11j.testing.WycheproofEcdh.TestCase;
import io.p11j.wrapper.attribute.Template;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import javax.crypto.KeyAgreement;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.EllipticCurve;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Wycheproof's ECDH P-256 vectors through P11J's {@code KeyAgreement "ECDH"} on SoftHSM2. Each test's
 * private key is imported onto the token with the wrapper (a sensitive, non-extractable EC private key
 * object with {@code CKA_DERIVE}), and its peer key — an X.509 public key — reaches the agreement two
 * ways:
 *
 * <ul>
 *   <li>{@code RAW}: decoded here without any check (Bouncy Castle's ASN.1, the point's coordinates
 *       as they are, compressed points decompressed by Bouncy Castle, which fails for x-coordinates of no
 *       point) into a bare {@code ECPublicKey} "of another provider", so that the provider's own peer key
 *       checks are what rejects bad points and curves;</li>
 *   <li>{@code KEY_FACTORY}: through P11J's {@code KeyFactory "EC"} ({@code X509EncodedKeySpec}), which
 *       uses the JDK's strict DER reading and adds compressed points.</li>
 * </ul>
 *
 * <p>Every {@code valid} case gives Wycheproof's shared secret (read as bytes, {@code generateSecret()})
 * and SunEC's for the same keys; every {@code invalid} one is rejected, at decoding or by
 * {@code doPhase}'s {@code InvalidKeyException}; an {@code acceptable} one is either rejected or gives the
 * right secret. The counts below are asserted exactly (612 tests: 330 valid, 52 invalid, 230 acceptable).
 * Invalid cases rejected at decoding: {@code RAW} 13 (no key Java can represent: an order of 0 or below, no
 * or a negative cofactor, a compressed point of no x, curves Bouncy Castle does not know), {@code KEY_FACTORY}
 * 40 (the JDK reads named curves only, and no compressed point of no x); the rest by {@code doPhase}: points
 * off the curve, other curves, modified explicit parameters. Acceptable cases on SoftHSM2 2.6.1, both ways:
 * <ul>
 *   <li>222 {@code InvalidAsn} (malformed DER around a valid key): 12 are read and give the right secret,
 *       210 are rejected at decoding;</li>
 *   <li>1 {@code CompressedPublic}: accepted, the right secret;</li>
 *   <li>7 {@code UnusedParam} (explicit curve parameters with a modified generator, order, cofactor or
 *       coefficient that ECDH does not use): rejected, since P11J wants the private key's exact curve.</li>
 * </ul>
 * No case is one the token cannot take: all private keys import, and every point that passes the checks
 * derives.
 */
@ExtendWith(SoftHsmExtension.class)
class EcdhWycheproofIT {

    @TempDir
    static Path dir;
    static Provider provider;
    static TokenContext context;
    static ECParameterSpec p256;
    static final Map<BigInteger, P11EcPrivateKey> PRIVATE_KEYS = new HashMap<>();
    static final List<Long> HANDLES = new ArrayList<>();

    enum Peer { RAW, KEY_FACTORY }

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        context = ((P11Key) KeyPairGenerator.getInstance("EC", provider).generateKeyPair().getPrivate()).context();
        p256 = EcCurves.byName("secp256r1");
    }

    @AfterAll
    static void destroyKeys() throws Exception {
        context.withObjectSession(s -> {
            for (long h : HANDLES) {
                s.destroyObject(h);
            }
            return null;
        });
    }

    @ParameterizedTest(name = "{0} peer keys")
    @CsvSource({
        // peer,        valid, invalid, invalid at decoding, acceptable accepted, acceptable rejected, unsupported
        "RAW,           330,   52,      13,                  13,                  217,                 0",
        "KEY_FACTORY,   330,   52,      40,                  13,                  217,                 0",
    })
    void everyVectorAsWycheproofSays(Peer peer, int valid, int invalid, int invalidAtDecoding, int acceptableAccepted,
                                     int acceptableRejected, int unsupported) throws Exception {
        WycheproofEcdh.TestFile file = WycheproofEcdh.load("ecdh_secp256r1_test.json");
        int validOk = 0;
        int invalidRejected = 0;
        int rejectedAtDecoding = 0;
        List<String> acceptedAcceptable = new ArrayList<>();
        List<String> rejectedAcceptable = new ArrayList<>();
        List<String> unsupportedSeen = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        KeyFactory p11jFactory = KeyFactory.getInstance("EC", provider);
        for (TestCase t : file.tests()) {
            String line = "tcId " + t.tcId() + " " + t.result() + " " + t.flags() + " '" + t.comment() + "'";
            PublicKey peerKey;
            try {
                peerKey = peer == Peer.RAW ? rawPublicKey(t.publicDer())
                        : p11jFactory.generatePublic(new X509EncodedKeySpec(t.publicDer()));
            } catch (Exception e) {
                if (t.valid()) {
                    wrong.add(line + " -> not decoded: " + e);
                } else if (t.invalid()) {
                    invalidRejected++;
                    rejectedAtDecoding++;
                } else {
                    rejectedAcceptable.add(line + " -> not decoded: " + e.getMessage());
                }
                continue;
            }
            KeyAgreement ka = KeyAgreement.getInstance("ECDH", provider);
            ka.init(privateKey(t.privateValue()));
            byte[] secret;
            try {
                ka.doPhase(peerKey, true);
                secret = ka.generateSecret();
            } catch (InvalidKeyException e) {
                if (t.valid()) {
                    wrong.add(line + " -> InvalidKeyException: " + e.getMessage());
                } else if (t.invalid()) {
                    invalidRejected++;
                } else {
                    rejectedAcceptable.add(line + " -> InvalidKeyException: " + e.getMessage());
                }
                continue;
            } catch (RuntimeException e) {
                unsupportedSeen.add(line + " -> " + e);
                continue;
            }
            if (t.invalid()) {
                wrong.add(line + " -> accepted");
            } else if (!java.util.Arrays.equals(secret, t.shared())) {
                wrong.add(line + " -> a different secret");
            } else if (t.acceptable()) {
                acceptedAcceptable.add(line);
            } else {
                validOk++;
                if (peer == Peer.RAW) {
                    assertThat(secret).as(line + ": SunEC for the same keys").isEqualTo(sunEc(t.privateValue(), (ECPublicKey) peerKey));
                }
            }
        }
        System.out.printf("Wycheproof ECDH P-256 (%s peer keys): valid %d, invalid rejected %d (%d at decoding), acceptable "
                + "accepted %d, acceptable rejected %d, unsupported %d%n", peer, validOk, invalidRejected, rejectedAtDecoding,
                acceptedAcceptable.size(), rejectedAcceptable.size(), unsupportedSeen.size());
        acceptedAcceptable.stream().filter(l -> !l.contains("InvalidAsn")).forEach(l -> System.out.println("  acceptable, accepted: " + l));
        rejectedAcceptable.stream().filter(l -> !l.contains("InvalidAsn")).forEach(l -> System.out.println("  acceptable, rejected: " + l));
        unsupportedSeen.forEach(l -> System.out.println("  unsupported: " + l));

        assertThat(wrong).as("cases decided against Wycheproof").isEmpty();
        assertThat(validOk).as("valid cases with the expected secret").isEqualTo(valid);
        assertThat(invalidRejected).as("invalid cases rejected").isEqualTo(invalid);
        assertThat(rejectedAtDecoding).as("invalid cases rejected at decoding").isEqualTo(invalidAtDecoding);
        assertThat(acceptedAcceptable).as("acceptable cases accepted").hasSize(acceptableAccepted);
        assertThat(rejectedAcceptable).as("acceptable cases rejected").hasSize(acceptableRejected);
        assertThat(unsupportedSeen).as("cases the token could not take").hasSize(unsupported);
        assertThat(valid + invalid + acceptableAccepted + acceptableRejected + unsupported).isEqualTo(file.numberOfTests());
    }

    /** The test's private key on the token: imported once per value with the wrapper, loaded as a P11J key. */
    private static P11EcPrivateKey privateKey(BigInteger s) throws Exception {
        P11EcPrivateKey cached = PRIVATE_KEYS.get(s);
        if (cached != null) {
            return cached;
        }
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        Template t = Template.builder().objectClass(CKO_PRIVATE_KEY).keyType(CKK_EC).flag(TOKEN, false).flag(PRIVATE, true)
                .flag(SENSITIVE, true).flag(EXTRACTABLE, false).flag(DERIVE, true).id(id)
                .set(EC_PARAMS, EcCurves.encodeParams(p256)).set(VALUE, fixed(s, 32)).build();
        P11EcPrivateKey key = context.withObjectSession(session -> {
            long h = session.createObject(t);
            HANDLES.add(h);
            try {
                return (P11EcPrivateKey) Keys.load(context, session, h);
            } catch (InvalidKeyException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(key.isSensitive()).isTrue();
        assertThat(key.isExtractable()).isFalse();
        PRIVATE_KEYS.put(s, key);
        return key;
    }

    private static byte[] sunEc(BigInteger s, ECPublicKey peer) throws Exception {
        KeyAgreement ka = KeyAgreement.getInstance("ECDH", "SunEC");
        ka.init(KeyFactory.getInstance("EC", "SunEC").generatePrivate(new ECPrivateKeySpec(s, p256)));
        ka.doPhase(KeyFactory.getInstance("EC", "SunEC").generatePublic(
                new java.security.spec.ECPublicKeySpec(peer.getW(), p256)), true);
        return ka.generateSecret();
    }

    /**
     * The peer key as written, without checks: named or explicit curve parameters, the point's raw
     * coordinates (compressed points decompressed by Bouncy Castle). Fails where Java cannot even
     * represent the key (no cofactor, a non-positive order, an unknown curve).
     */
    static PublicKey rawPublicKey(byte[] der) throws Exception {
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(ASN1Primitive.fromByteArray(der));
        if (!X9ObjectIdentifiers.id_ecPublicKey.equals(spki.getAlgorithm().getAlgorithm())) {
            throw new IllegalArgumentException("not an EC key");
        }
        ASN1Primitive params = spki.getAlgorithm().getParameters().toASN1Primitive();
        X9ECParameters x9 = params instanceof ASN1ObjectIdentifier oid ? ECNamedCurveTable.getByOID(oid)
                : X9ECParameters.getInstance(ASN1Sequence.getInstance(params));
        if (x9 == null) {
            throw new IllegalArgumentException("unknown curve " + params);
        }
        if (x9.getH() == null) {
            throw new IllegalArgumentException("no cofactor");
        }
        BigInteger p = x9.getCurve().getField().getCharacteristic();
        int n = (p.bitLength() + 7) / 8;
        EllipticCurve curve = new EllipticCurve(new ECFieldFp(p), x9.getCurve().getA().toBigInteger(),
                x9.getCurve().getB().toBigInteger());
        ECParameterSpec spec = new ECParameterSpec(curve, rawPoint(x9.getBaseEntry().getPointEncoding(), n, x9),
                x9.getN(), x9.getH().intValueExact());
        byte[] point = spki.getPublicKeyData().getOctets();
        return new RawEcPublicKey(rawPoint(point, n, x9), spec, der);
    }

    private static ECPoint rawPoint(byte[] encoded, int n, X9ECParameters x9) {
        if (encoded.length == 1 + 2 * n && encoded[0] == 4) {
            return new ECPoint(new BigInteger(1, encoded, 1, n), new BigInteger(1, encoded, 1 + n, n));
        }
        if (encoded.length == 1 + n && (encoded[0] == 2 || encoded[0] == 3)) {
            org.bouncycastle.math.ec.ECPoint q = x9.getCurve().decodePoint(encoded).normalize();
            return new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
        }
        throw new IllegalArgumentException("point of " + encoded.length + " bytes, form " + (encoded.length == 0 ? -1 : encoded[0]));
    }

    /** A peer key "of another provider" that checks nothing. */
    record RawEcPublicKey(ECPoint getW, ECParameterSpec getParams, byte[] der) implements ECPublicKey {
        private static final long serialVersionUID = 1L;

        @Override
        public String getAlgorithm() {
            return "EC";
        }

        @Override
        public String getFormat() {
            return "X.509";
        }

        @Override
        public byte[] getEncoded() {
            return der.clone();
        }
    }

    private static byte[] fixed(BigInteger v, int size) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[size];
        int k = Math.min(b.length, size);
        System.arraycopy(b, b.length - k, out, size - k, k);
        return out;
    }
}
