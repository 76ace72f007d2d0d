// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keyfactory;

import io.p11j.provider.codec.EcCurves;
import io.p11j.provider.codec.EcPoints;
import io.p11j.provider.key.KeyAttributes;
import io.p11j.provider.key.Keys;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.key.P11PrivateKey;
import io.p11j.provider.key.P11PublicKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.attribute.Template;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

import java.io.IOException;
import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyFactorySpi;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.KeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * {@code KeyFactory} for RSA, EC and EdDSA keys.
 *
 * <p><b>Public keys</b> are the JDK's own: P11J's public keys are ordinary X.509 public keys that
 * any provider can use, and P11J's {@code Signature} imports a software public key onto the token
 * when it verifies with one. So {@code generatePublic} (from {@code X509EncodedKeySpec},
 * {@code RSAPublicKeySpec}, {@code ECPublicKeySpec}, {@code EdECPublicKeySpec}) builds the key with
 * the JDK's provider for the family ({@code SunRsaSign}, {@code SunEC}, named explicitly), after
 * checking that an EC point lies on its curve, and decodes compressed EC points, which the JDK does
 * not. {@code getKeySpec} gives every one of those specifications for any public key.
 *
 * <p><b>Private keys</b> never leave the token. {@code generatePrivate} (from
 * {@code PKCS8EncodedKeySpec}, {@code RSAPrivateCrtKeySpec}, {@code ECPrivateKeySpec},
 * {@code EdECPrivateKeySpec}) and {@code translateKey} of a software private key import it onto the
 * token as a sensitive, non-extractable private key object — a session object, destroyed when the
 * returned key becomes unreachable, unless {@code generated-keys = token}; {@code KeyStore.setKeyEntry}
 * makes it persistent. {@code getKeySpec} of a token private key is refused: its value never leaves
 * the token.
 *
 * <p>Stateless after construction apart from the JDK factory it keeps; not meant to be shared
 * across threads, as every {@code KeyFactory}.
 */
public final class P11KeyFactory extends KeyFactorySpi {

    /** The key families, by the JCA's names. */
    enum Family {
        RSA("RSA", "SunRsaSign", List.of("1.2.840.113549.1.1.1", "OID.1.2.840.113549.1.1.1")),
        EC("EC", "SunEC", List.of("EllipticCurve", "1.2.840.10045.2.1", "OID.1.2.840.10045.2.1")),
        EDDSA("EdDSA", "SunEC", List.of()),
        ED25519("Ed25519", "SunEC", List.of("1.3.101.112", "OID.1.3.101.112")),
        ED448("Ed448", "SunEC", List.of("1.3.101.113", "OID.1.3.101.113"));

        final String jcaName;
        final String jdkProvider;
        final List<String> aliases;

        Family(String jcaName, String jdkProvider, List<String> aliases) {
            this.jcaName = jcaName;
            this.jdkProvider = jdkProvider;
            this.aliases = aliases;
        }

        boolean edwards() {
            return this == EDDSA || this == ED25519 || this == ED448;
        }

        /** Whether a key of algorithm {@code algorithm} (and, for EdDSA, curve) belongs to this family. */
        boolean takes(Key key) {
            String a = key.getAlgorithm() == null ? "" : key.getAlgorithm().toUpperCase(Locale.ROOT);
            return switch (this) {
                case RSA -> a.equals("RSA");
                case EC -> a.equals("EC") || a.equals("ECDSA") || a.equals("ECDH");
                case EDDSA -> a.equals("EDDSA") || a.equals("ED25519") || a.equals("ED448");
                case ED25519, ED448 -> (a.equals("EDDSA") || a.equals(jcaName.toUpperCase(Locale.ROOT)))
                        && (!(key instanceof EdECKey ed) || ed.getParams().getName().equalsIgnoreCase(jcaName));
            };
        }
    }

    private final TokenContext context;
    private final Family family;
    private KeyFactory jdk;

    P11KeyFactory(TokenContext context, Family family) {
        this.context = context;
        this.family = family;
    }

    /** The JDK's factory for this family, named explicitly so that P11J never asks itself. */
    private KeyFactory jdk() throws InvalidKeySpecException {
        if (jdk == null) {
            try {
                jdk = KeyFactory.getInstance(family.jcaName, family.jdkProvider);
            } catch (NoSuchAlgorithmException | NoSuchProviderException e) {
                throw new InvalidKeySpecException("the JDK's " + family.jdkProvider + " provider has no " + family.jcaName
                        + " KeyFactory", e);
            }
        }
        return jdk;
    }

    // ================================================================ public keys

    @Override
    protected PublicKey engineGeneratePublic(KeySpec spec) throws InvalidKeySpecException {
        if (spec == null) {
            throw new InvalidKeySpecException("the key specification is null");
        }
        PublicKey key;
        try {
            key = jdk().generatePublic(spec);
        } catch (InvalidKeySpecException e) {
            if (family == Family.EC && spec instanceof X509EncodedKeySpec x509) {
                key = compressedEc(x509.getEncoded(), e); // the JDK reads uncompressed points only
            } else {
                throw e;
            }
        }
        if (key instanceof ECPublicKey ec) {
            // The JDK does not check that the point is on the curve: an invalid-curve point is an attack.
            EcPoints.uncompressed(ec.getW(), ec.getParams());
        }
        if (family == Family.ED25519 || family == Family.ED448) {
            checkCurve(key);
        }
        return key;
    }

    /** An EC public key whose X.509 point is compressed, decompressed (and so checked) by Bouncy Castle. */
    private PublicKey compressedEc(byte[] der, InvalidKeySpecException jdkFailure) throws InvalidKeySpecException {
        SubjectPublicKeyInfo spki;
        try {
            spki = SubjectPublicKeyInfo.getInstance(der);
        } catch (RuntimeException e) {
            throw jdkFailure;
        }
        byte[] point = spki.getPublicKeyData().getOctets();
        if (!X9ObjectIdentifiers.id_ecPublicKey.equals(spki.getAlgorithm().getAlgorithm()) || point.length == 0
                || (point[0] != 2 && point[0] != 3) || spki.getAlgorithm().getParameters() == null) {
            throw jdkFailure;
        }
        try {
            ECParameterSpec params = EcCurves.decodeParams(spki.getAlgorithm().getParameters().toASN1Primitive()
                    .getEncoded(ASN1Encoding.DER));
            org.bouncycastle.math.ec.ECPoint p = ECNamedCurveTable.getByName(EcCurves.name(params)).getCurve()
                    .decodePoint(point).normalize();
            ECPoint w = new ECPoint(p.getAffineXCoord().toBigInteger(), p.getAffineYCoord().toBigInteger());
            return jdk().generatePublic(new ECPublicKeySpec(w, params));
        } catch (InvalidAlgorithmParameterException | IOException | IllegalArgumentException e) {
            throw new InvalidKeySpecException("invalid compressed EC public key: " + e.getMessage(), e);
        }
    }

    private void checkCurve(Key key) throws InvalidKeySpecException {
        if (!family.takes(key)) {
            throw new InvalidKeySpecException("not an " + family.jcaName + " key: "
                    + (key instanceof EdECKey ed ? ed.getParams().getName() : key.getAlgorithm()));
        }
    }

    // ================================================================ private keys

    @Override
    protected PrivateKey engineGeneratePrivate(KeySpec spec) throws InvalidKeySpecException {
        if (spec == null) {
            throw new InvalidKeySpecException("the key specification is null");
        }
        PrivateKey software = jdk().generatePrivate(spec);
        if (family.edwards()) {
            checkCurve(software);
        }
        try {
            return importPrivate(software);
        } catch (InvalidKeyException e) {
            throw new InvalidKeySpecException(e.getMessage(), e);
        }
    }

    /**
     * A software private key as a sensitive, non-extractable private key object on the token, a session
     * object unless {@code generated-keys = token}.
     */
    private P11PrivateKey importPrivate(PrivateKey key) throws InvalidKeyException {
        boolean tokenObject = context.config().tokenKeys();
        byte[] id = Keys.randomId();
        Template.Builder t = Template.builder().objectClass(CKO_PRIVATE_KEY).flag(TOKEN, tokenObject).flag(PRIVATE, true)
                .flag(SENSITIVE, true).flag(EXTRACTABLE, false).flag(SIGN, true).id(id);
        long keyType;
        BigInteger modulus = null;
        byte[] ecParams = null;
        byte[] value = null;
        try {
            if (key instanceof RSAPrivateCrtKey k && family == Family.RSA) {
                keyType = CKK_RSA;
                modulus = k.getModulus();
                t.keyType(CKK_RSA).flag(DECRYPT, true).flag(UNWRAP, true).bigInteger(MODULUS, modulus)
                        .bigInteger(PUBLIC_EXPONENT, k.getPublicExponent()).bigInteger(PRIVATE_EXPONENT, k.getPrivateExponent())
                        .bigInteger(PRIME_1, k.getPrimeP()).bigInteger(PRIME_2, k.getPrimeQ())
                        .bigInteger(EXPONENT_1, k.getPrimeExponentP()).bigInteger(EXPONENT_2, k.getPrimeExponentQ())
                        .bigInteger(COEFFICIENT, k.getCrtCoefficient());
            } else if (key instanceof ECPrivateKey k && family == Family.EC) {
                keyType = CKK_EC;
                ECParameterSpec params = k.getParams();
                ecParams = EcCurves.encodeParams(params);
                BigInteger s = k.getS();
                if (s.signum() <= 0 || s.compareTo(params.getOrder()) >= 0) {
                    throw new InvalidKeyException("the EC private value is not in [1, n-1]");
                }
                value = fixed(s, (params.getOrder().bitLength() + 7) / 8);
                t.keyType(CKK_EC).flag(DERIVE, true).set(EC_PARAMS, ecParams).set(VALUE, value);
            } else if (key instanceof EdECPrivateKey k && family.edwards() && k.getBytes().isPresent()) {
                keyType = CKK_EC_EDWARDS;
                ecParams = EcCurves.edwardsParams(k.getParams().getName());
                value = k.getBytes().get();
                t.keyType(CKK_EC_EDWARDS).set(EC_PARAMS, ecParams).set(VALUE, value);
            } else {
                throw new InvalidKeyException("P11J's " + family.jcaName + " KeyFactory cannot import a "
                        + key.getAlgorithm() + " private key of class " + key.getClass().getName()
                        + (key.getAlgorithm().equals("RSA") ? " (RSA keys need their CRT values: RSAPrivateCrtKeySpec or PKCS#8)" : ""));
            }
        } catch (InvalidAlgorithmParameterException e) {
            throw new InvalidKeyException("cannot put the " + key.getAlgorithm() + " private key on a token: " + e.getMessage(), e);
        }
        Template template = t.build();
        if (value != null) {
            Arrays.fill(value, (byte) 0); // the template holds its own copy
        }
        long handle;
        try {
            handle = context.withObjectSession(s -> s.createObject(template));
        } catch (Pkcs11Exception e) {
            throw new InvalidKeyException("the token " + context.tokenUri() + " refused to import the " + key.getAlgorithm()
                    + " private key: " + e.getMessage(), e);
        } finally {
            template.wipeSecrets(); // CKA_VALUE of EC/EdDSA keys (RSA's BigIntegers cannot be wiped)
        }
        ObjectRef ref = context.ref(handle, CKO_PRIVATE_KEY, id, null);
        KeyAttributes a = new KeyAttributes(CKO_PRIVATE_KEY, keyType, null, id, tokenObject, true, false, false);
        P11PrivateKey imported;
        try {
            imported = Keys.privateKey(context, ref, a, modulus, ecParams);
        } catch (InvalidKeyException e) {
            destroy(handle);
            throw e;
        }
        if (!tokenObject) {
            context.destroyWhenUnreachable(imported, ref);
        }
        return imported;
    }

    private void destroy(long handle) {
        try {
            context.withObjectSession(s -> {
                s.destroyObject(handle);
                return null;
            });
        } catch (Pkcs11Exception | RuntimeException ignored) {
            // reporting the first failure
        }
    }

    /** {@code v} as exactly {@code size} big-endian bytes. */
    private static byte[] fixed(BigInteger v, int size) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[size];
        int n = Math.min(b.length, size);
        System.arraycopy(b, b.length - n, out, size - n, n);
        Arrays.fill(b, (byte) 0);
        return out;
    }

    // ================================================================ specifications and translation

    @Override
    protected <T extends KeySpec> T engineGetKeySpec(Key key, Class<T> keySpec) throws InvalidKeySpecException {
        if (key == null || keySpec == null) {
            throw new InvalidKeySpecException("the key and the specification class must not be null");
        }
        if (key instanceof P11Key p) {
            throw new InvalidKeySpecException(p.uri() + " is a key on a token: its value never leaves the token, so it has no "
                    + keySpec.getSimpleName());
        }
        if (!family.takes(key)) {
            throw new InvalidKeySpecException("P11J's " + family.jcaName + " KeyFactory does not take a " + key.getAlgorithm() + " key");
        }
        if (key instanceof PublicKey pub) {
            if (keySpec.isAssignableFrom(X509EncodedKeySpec.class)) {
                return keySpec.cast(new X509EncodedKeySpec(pub.getEncoded()));
            }
            return jdk().getKeySpec(jdkPublic(pub), keySpec);
        }
        // A software private key: a conversion in software, nothing touches the token.
        return jdk().getKeySpec(key, keySpec);
    }

    @Override
    protected Key engineTranslateKey(Key key) throws InvalidKeyException {
        if (key == null) {
            throw new InvalidKeyException("the key is null");
        }
        if (!family.takes(key)) {
            throw new InvalidKeyException("P11J's " + family.jcaName + " KeyFactory does not take a " + key.getAlgorithm() + " key");
        }
        if (key instanceof P11Key || key instanceof P11PublicKey) {
            return key; // already P11J's
        }
        if (key instanceof PublicKey pub) {
            try {
                return jdkPublic(pub);
            } catch (InvalidKeySpecException e) {
                throw new InvalidKeyException(e.getMessage(), e);
            }
        }
        if (key instanceof PrivateKey priv) {
            PrivateKey software = priv;
            if (!(priv instanceof RSAPrivateCrtKey || priv instanceof ECPrivateKey || priv instanceof EdECPrivateKey)) {
                software = viaEncoding(priv); // another provider's class: read it through its PKCS#8 encoding
            }
            return importPrivate(software);
        }
        throw new InvalidKeyException("P11J's " + family.jcaName + " KeyFactory translates public and private keys, not a "
                + key.getClass().getName());
    }

    private PrivateKey viaEncoding(PrivateKey key) throws InvalidKeyException {
        byte[] der = key.getEncoded();
        if (der == null || !"PKCS#8".equalsIgnoreCase(key.getFormat())) {
            throw new InvalidKeyException("a " + key.getAlgorithm() + " private key without its PKCS#8 encoding cannot be imported");
        }
        try {
            return jdk().generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (InvalidKeySpecException e) {
            throw new InvalidKeyException("unreadable " + key.getAlgorithm() + " private key: " + e.getMessage(), e);
        } finally {
            Arrays.fill(der, (byte) 0);
        }
    }

    /** {@code key} as the JDK's own public key (P11J's and other providers' keys alike, through X.509). */
    private PublicKey jdkPublic(PublicKey key) throws InvalidKeySpecException {
        byte[] der = key.getEncoded();
        if (der == null) {
            throw new InvalidKeySpecException("a " + key.getAlgorithm() + " public key without an X.509 encoding");
        }
        return engineGeneratePublic(new X509EncodedKeySpec(der));
    }

    @Override
    public String toString() {
        return "P11KeyFactory[" + family.jcaName + ", " + context.tokenUri() + "]";
    }
}
