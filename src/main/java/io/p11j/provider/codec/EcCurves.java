// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import java.io.IOException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Null;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1PrintableString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.math.ec.ECAlgorithms;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;

/**
 * EC curves between the JCA's {@link ECParameterSpec} and PKCS#11's {@code CKA_EC_PARAMS}.
 *
 * <p>{@code CKA_EC_PARAMS} holds the DER of an X9.62 {@code ECParameters}; every token supports
 * the {@code namedCurve} choice, an OID, and that is what {@link #encodeParams} writes. A JCA
 * {@code ECParameterSpec} carries no name, only numbers, so a curve is recognized by comparing its
 * field, coefficients, generator, order and cofactor with those of the supported curves:
 * secp256r1 (P-256), secp384r1 (P-384) and secp521r1 (P-521).
 *
 * <p>The {@code ECParameterSpec} objects handed out are the JDK's own, from SunEC's
 * {@code AlgorithmParameters("EC")}, so that they are the very objects the JDK's EC keys carry and
 * compare equal, by value, with the parameters of any JDK key on the same curve.
 *
 * <p>PKCS#11 3.0 puts Edwards curves in the same attribute: {@link #edwardsParams} writes the RFC
 * 8410 OID and {@link #edwardsCurve} reads that or the 3.0 printable-string form.
 *
 * <p>Every "not a supported curve" problem is an {@link InvalidAlgorithmParameterException}; its
 * message names the curve or OID, which are public.
 */
public final class EcCurves {

    /*
     * RFC 8410 id-Ed25519 and id-Ed448. Bouncy Castle's EdECObjectIdentifiers is in bcutil, or in a
     * package bcprov's module does not export, so they are spelled out here.
     */
    private static final ASN1ObjectIdentifier ID_ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
    private static final ASN1ObjectIdentifier ID_ED448 = new ASN1ObjectIdentifier("1.3.101.113");

    /** GnuPG's OID for Ed25519, which some tokens (OpenSC's OpenPGP card driver) put in CKA_EC_PARAMS. */
    private static final ASN1ObjectIdentifier GNU_ED25519 = new ASN1ObjectIdentifier("1.3.6.1.4.1.11591.15.1");

    private enum Named {
        SECP256R1("secp256r1", "1.2.840.10045.3.1.7", "P-256", "prime256v1", "NIST P-256"),
        SECP384R1("secp384r1", "1.3.132.0.34", "P-384", "NIST P-384"),
        SECP521R1("secp521r1", "1.3.132.0.35", "P-521", "NIST P-521");

        final String curveName;
        final ASN1ObjectIdentifier oid;
        final List<String> aliases;

        Named(String curveName, String oid, String... aliases) {
            this.curveName = curveName;
            this.oid = new ASN1ObjectIdentifier(oid);
            this.aliases = List.of(aliases);
        }

        boolean isCalled(String name) {
            String n = name.trim();
            if (n.equalsIgnoreCase(curveName) || n.equals(oid.getId())) {
                return true;
            }
            for (String alias : aliases) {
                if (n.equalsIgnoreCase(alias)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final Map<Named, ECParameterSpec> SPECS = new ConcurrentHashMap<>();

    private EcCurves() {
    }

    /**
     * The JDK's parameters of a supported curve.
     *
     * @param name {@code secp256r1}, {@code secp384r1} or {@code secp521r1}, an alias
     *     ({@code P-256}, {@code prime256v1}, {@code NIST P-384}, ...; case-insensitive) or the
     *     curve's OID in dotted form
     * @throws InvalidAlgorithmParameterException if the name is none of these
     */
    public static ECParameterSpec byName(String name) throws InvalidAlgorithmParameterException {
        if (name != null) {
            for (Named c : Named.values()) {
                if (c.isCalled(name)) {
                    return spec(c);
                }
            }
        }
        throw new InvalidAlgorithmParameterException("unsupported EC curve: " + name);
    }

    /**
     * The value of {@code CKA_EC_PARAMS} for a curve: the DER of its named-curve OID.
     *
     * @throws InvalidAlgorithmParameterException if the parameters are not those of a supported curve
     */
    public static byte[] encodeParams(ECParameterSpec params) throws InvalidAlgorithmParameterException {
        return der(identify(params).oid);
    }

    /**
     * The curve named by a {@code CKA_EC_PARAMS} value.
     *
     * <p>Accepts the {@code namedCurve} choice (an OID) and, since some tokens write them, explicit
     * {@code ECParameters} whose numbers are exactly those of a supported curve.
     *
     * @throws InvalidAlgorithmParameterException if the value is not DER, names an unsupported or
     *     an Edwards curve (see {@link #edwardsCurve}), is {@code implicitlyCA}, or holds explicit
     *     parameters of no supported curve
     */
    public static ECParameterSpec decodeParams(byte[] ckaEcParams) throws InvalidAlgorithmParameterException {
        ASN1Primitive value = parse(ckaEcParams)
                .orElseThrow(() -> new InvalidAlgorithmParameterException("CKA_EC_PARAMS is not DER"));
        if (value instanceof ASN1ObjectIdentifier) {
            ASN1ObjectIdentifier oid = (ASN1ObjectIdentifier) value;
            for (Named c : Named.values()) {
                if (c.oid.equals(oid)) {
                    return spec(c);
                }
            }
            if (edwardsCurve(ckaEcParams).isPresent()) {
                throw new InvalidAlgorithmParameterException("CKA_EC_PARAMS names an Edwards curve, " + oid.getId());
            }
            throw new InvalidAlgorithmParameterException("CKA_EC_PARAMS names an unsupported curve, " + oid.getId());
        }
        if (value instanceof ASN1Sequence) {
            return explicit((ASN1Sequence) value);
        }
        if (value instanceof ASN1Null) {
            throw new InvalidAlgorithmParameterException("CKA_EC_PARAMS is implicitlyCA, which is not supported");
        }
        if (value instanceof ASN1PrintableString) {
            throw new InvalidAlgorithmParameterException(
                    "CKA_EC_PARAMS names curve \"" + ((ASN1PrintableString) value).getString()
                            + "\", which is not a supported Weierstrass curve");
        }
        throw new InvalidAlgorithmParameterException("CKA_EC_PARAMS is not an X9.62 ECParameters value");
    }

    /**
     * The standard name of a supported curve: {@code secp256r1}, {@code secp384r1} or
     * {@code secp521r1}.
     *
     * @throws InvalidAlgorithmParameterException if the parameters are not those of a supported curve
     */
    public static String name(ECParameterSpec params) throws InvalidAlgorithmParameterException {
        return identify(params).curveName;
    }

    /**
     * The dotted OID of a supported curve.
     *
     * @throws InvalidAlgorithmParameterException if the parameters are not those of a supported curve
     */
    public static String oid(ECParameterSpec params) throws InvalidAlgorithmParameterException {
        return identify(params).oid.getId();
    }

    /**
     * The length in bytes of a field element of the curve: the length of each coordinate in an
     * uncompressed point. For the supported curves it is also the length of the order, so of each
     * of {@code r} and {@code s} in a raw ECDSA signature (32, 48, 66). Works for any curve.
     */
    public static int fieldBytes(ECParameterSpec params) {
        return (params.getCurve().getField().getFieldSize() + 7) / 8;
    }

    /**
     * The value of {@code CKA_EC_PARAMS} for an Edwards curve: the DER of its RFC 8410 OID
     * ({@code id-Ed25519} 1.3.101.112, {@code id-Ed448} 1.3.101.113), one of the two forms PKCS#11
     * 3.0 allows and the one SoftHSM2 reads.
     *
     * @param curve {@code Ed25519} or {@code Ed448} (case-insensitive), {@code edwards25519} or
     *     {@code edwards448}, or the OID in dotted form
     * @throws InvalidAlgorithmParameterException for any other name
     */
    public static byte[] edwardsParams(String curve) throws InvalidAlgorithmParameterException {
        String c = curve == null ? "" : curve.trim().toLowerCase(Locale.ROOT);
        switch (c) {
            case "ed25519":
            case "edwards25519":
            case "1.3.101.112":
                return der(ID_ED25519);
            case "ed448":
            case "edwards448":
            case "1.3.101.113":
                return der(ID_ED448);
            default:
                throw new InvalidAlgorithmParameterException("unsupported Edwards curve: " + curve);
        }
    }

    /**
     * The Edwards curve a {@code CKA_EC_PARAMS} value names, if it names one.
     *
     * <p>Recognizes the RFC 8410 OIDs, the PKCS#11 3.0 printable strings {@code edwards25519} and
     * {@code edwards448}, and GnuPG's Ed25519 OID 1.3.6.1.4.1.11591.15.1.
     *
     * <p>Never throws: anything else, malformed DER included, is an empty result, so that a caller
     * classifying a key can ask this first and fall back to {@link #decodeParams}, which reports
     * what is wrong.
     *
     * @return {@code Ed25519} or {@code Ed448} (the JCA's names), or empty
     */
    public static Optional<String> edwardsCurve(byte[] ckaEcParams) {
        Optional<ASN1Primitive> value = parse(ckaEcParams);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        ASN1Primitive v = value.get();
        if (v instanceof ASN1ObjectIdentifier) {
            if (v.equals(ID_ED25519) || v.equals(GNU_ED25519)) {
                return Optional.of("Ed25519");
            }
            if (v.equals(ID_ED448)) {
                return Optional.of("Ed448");
            }
        } else if (v instanceof ASN1PrintableString) {
            String s = ((ASN1PrintableString) v).getString();
            if (s.equals("edwards25519")) {
                return Optional.of("Ed25519");
            }
            if (s.equals("edwards448")) {
                return Optional.of("Ed448");
            }
        }
        return Optional.empty();
    }

    private static Named identify(ECParameterSpec params) throws InvalidAlgorithmParameterException {
        if (params == null) {
            throw new InvalidAlgorithmParameterException("EC parameters are null");
        }
        for (Named c : Named.values()) {
            if (sameCurve(spec(c), params)) {
                return c;
            }
        }
        throw new InvalidAlgorithmParameterException(
                "EC parameters (" + params.getCurve().getField().getFieldSize()
                        + "-bit field) are not those of secp256r1, secp384r1 or secp521r1");
    }

    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a == b
                || (a.getCurve().equals(b.getCurve())
                        && a.getGenerator().equals(b.getGenerator())
                        && a.getOrder().equals(b.getOrder())
                        && a.getCofactor() == b.getCofactor());
    }

    /** Explicit X9.62 parameters, accepted only when every number is that of a supported curve. */
    private static ECParameterSpec explicit(ASN1Sequence seq) throws InvalidAlgorithmParameterException {
        X9ECParameters x9;
        try {
            x9 = X9ECParameters.getInstance(seq);
        } catch (RuntimeException e) {
            throw new InvalidAlgorithmParameterException("CKA_EC_PARAMS holds malformed explicit EC parameters", e);
        }
        ECCurve curve = x9.getCurve();
        if (!ECAlgorithms.isFpCurve(curve)) {
            throw new InvalidAlgorithmParameterException(
                    "CKA_EC_PARAMS holds explicit parameters of a binary-field curve, which is not supported");
        }
        ECPoint g = x9.getG().normalize();
        BigInteger h = x9.getH();
        for (Named c : Named.values()) {
            ECParameterSpec s = spec(c);
            boolean same = ((ECFieldFp) s.getCurve().getField()).getP().equals(curve.getField().getCharacteristic())
                    && s.getCurve().getA().equals(curve.getA().toBigInteger())
                    && s.getCurve().getB().equals(curve.getB().toBigInteger())
                    && s.getGenerator().getAffineX().equals(g.getAffineXCoord().toBigInteger())
                    && s.getGenerator().getAffineY().equals(g.getAffineYCoord().toBigInteger())
                    && s.getOrder().equals(x9.getN())
                    && (h == null || h.equals(BigInteger.valueOf(s.getCofactor())));
            if (same) {
                return s;
            }
        }
        throw new InvalidAlgorithmParameterException(
                "CKA_EC_PARAMS holds explicit EC parameters of no supported named curve");
    }

    private static ECParameterSpec spec(Named c) throws InvalidAlgorithmParameterException {
        ECParameterSpec cached = SPECS.get(c);
        if (cached != null) {
            return cached;
        }
        try {
            AlgorithmParameters ap = AlgorithmParameters.getInstance("EC", "SunEC");
            ap.init(new ECGenParameterSpec(c.curveName));
            ECParameterSpec spec = ap.getParameterSpec(ECParameterSpec.class);
            ECParameterSpec prior = SPECS.putIfAbsent(c, spec);
            return prior != null ? prior : spec;
        } catch (GeneralSecurityException e) {
            throw new InvalidAlgorithmParameterException("the JDK's SunEC provider does not know " + c.curveName, e);
        }
    }

    /** The single DER object {@code value} holds, or empty when it holds anything else. */
    private static Optional<ASN1Primitive> parse(byte[] value) {
        if (value == null || value.length == 0) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(ASN1Primitive.fromByteArray(value));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static byte[] der(ASN1ObjectIdentifier oid) {
        try {
            return oid.getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("cannot DER-encode OID " + oid.getId(), e);
        }
    }
}
