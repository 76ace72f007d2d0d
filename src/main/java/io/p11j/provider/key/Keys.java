// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.codec.EcCurves;
import io.p11j.provider.codec.EcPoints;
import io.p11j.provider.token.JdkRandom;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Constants;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * Turns token objects into the provider's key objects, reading everything a key needs in one
 * {@code C_GetAttributeValue} call.
 */
public final class Keys {

    /** What a private or secret key needs; attributes a key type lacks come back unavailable, not as an error. */
    private static final AttributeType<?>[] KEY_ATTRIBUTES = {CLASS, KEY_TYPE, LABEL, ID, TOKEN, SENSITIVE, EXTRACTABLE,
            ALWAYS_AUTHENTICATE, MODULUS, EC_PARAMS};
    private static final AttributeType<?>[] PUBLIC_ATTRIBUTES = {CLASS, KEY_TYPE, LABEL, ID, TOKEN, MODULUS, PUBLIC_EXPONENT,
            EC_PARAMS, EC_POINT};

    private Keys() {
    }

    /** A new random 16-byte {@code CKA_ID} (the JDK's DRBG), so that a new object is never taken for another. */
    public static byte[] randomId() {
        return JdkRandom.bytes(16);
    }

    /**
     * The private or secret key {@code handle}.
     *
     * @throws InvalidKeyException the object is not a private or secret key, or of a type the provider does not know
     */
    public static P11Key load(TokenContext context, Session session, long handle) throws Pkcs11Exception, InvalidKeyException {
        AttributeValues v = session.getAttributes(handle, KEY_ATTRIBUTES);
        KeyAttributes a = attributes(v);
        ObjectRef ref = context.ref(handle, a.objectClass(), a.id(), a.label());
        if (a.objectClass() == CKO_SECRET_KEY) {
            return new P11SecretKey(context, ref, a, secretAlgorithm(a.keyType()));
        }
        if (a.objectClass() != CKO_PRIVATE_KEY) {
            throw new InvalidKeyException("not a key object: " + Pkcs11Constants.objectClassName(a.objectClass()));
        }
        return privateKey(context, ref, a, v.get(MODULUS).orElse(null), v.get(EC_PARAMS).orElse(null));
    }

    /** A private key object of known attributes; {@code modulus} for RSA, {@code ecParams} ({@code CKA_EC_PARAMS}) for EC keys. */
    public static P11PrivateKey privateKey(TokenContext context, ObjectRef ref, KeyAttributes a, BigInteger modulus,
                                           byte[] ecParams) throws InvalidKeyException {
        long type = a.keyType();
        if (type == CKK_RSA) {
            if (modulus == null) {
                throw new InvalidKeyException("RSA private key without a readable CKA_MODULUS: " + ref);
            }
            return new P11RsaPrivateKey(context, ref, a, modulus);
        } else if (type == CKK_EC) {
            return new P11EcPrivateKey(context, ref, a, ecParams(ecParams, ref));
        } else if (type == CKK_EC_EDWARDS) {
            return new P11EdPrivateKey(context, ref, a, edwardsParams(ecParams, ref));
        }
        return new P11PrivateKey(context, ref, a, Pkcs11Constants.keyTypeName(type).replaceFirst("^CKK_", ""));
    }

    /** An EC private key whose curve the caller knows (it just generated the key): no parameter decoding. */
    public static P11EcPrivateKey ecPrivateKey(TokenContext context, ObjectRef ref, KeyAttributes a, ECParameterSpec params) {
        return new P11EcPrivateKey(context, ref, a, params);
    }

    /** An EC public key whose curve the caller knows; {@code ecPoint} is the {@code CKA_EC_POINT} value. */
    public static P11EcPublicKey ecPublicKey(TokenContext context, ObjectRef ref, KeyAttributes a, ECParameterSpec params,
                                             byte[] ecPoint) throws InvalidKeyException {
        try {
            return new P11EcPublicKey(context, ref, a, params, EcPoints.decodeCkaEcPoint(ecPoint, params));
        } catch (GeneralSecurityException e) {
            throw new InvalidKeyException("unreadable public key " + ref + ": " + e.getMessage(), e);
        }
    }

    /** The public key {@code handle}, as an ordinary Java public key that also knows its token object. */
    public static P11PublicKey loadPublic(TokenContext context, Session session, long handle)
            throws Pkcs11Exception, InvalidKeyException {
        AttributeValues v = session.getAttributes(handle, PUBLIC_ATTRIBUTES);
        KeyAttributes a = attributes(v);
        if (a.objectClass() != CKO_PUBLIC_KEY) {
            throw new InvalidKeyException("not a public key object: " + Pkcs11Constants.objectClassName(a.objectClass()));
        }
        ObjectRef ref = context.ref(handle, a.objectClass(), a.id(), a.label());
        return publicKey(context, ref, a, v.get(MODULUS).orElse(null), v.get(PUBLIC_EXPONENT).orElse(null),
                v.get(EC_PARAMS).orElse(null), v.get(EC_POINT).orElse(null));
    }

    /** A public key object of known attributes. */
    public static P11PublicKey publicKey(TokenContext context, ObjectRef ref, KeyAttributes a, BigInteger modulus,
                                         BigInteger exponent, byte[] ecParams, byte[] ecPoint) throws InvalidKeyException {
        long type = a.keyType();
        if (type == CKK_RSA && modulus != null && exponent != null) {
            return new P11RsaPublicKey(context, ref, a, modulus, exponent);
        } else if (type == CKK_EC && ecPoint != null) {
            return ecPublicKey(context, ref, a, ecParams(ecParams, ref), ecPoint);
        } else if (type == CKK_EC_EDWARDS && ecPoint != null) {
            try {
                return new P11EdPublicKey(context, ref, a, edwardsParams(ecParams, ref), EcPoints.decodeOctetString(ecPoint));
            } catch (InvalidKeySpecException e) {
                throw new InvalidKeyException("unreadable public key " + ref + ": " + e.getMessage(), e);
            }
        }
        throw new InvalidKeyException("unsupported or incomplete public key " + ref + " (" + Pkcs11Constants.keyTypeName(type) + ")");
    }

    static KeyAttributes attributes(AttributeValues v) {
        return new KeyAttributes(v.require(CLASS), v.get(KEY_TYPE).orElse(-1L), v.get(LABEL).orElse(null), v.get(ID).orElse(null),
                v.get(TOKEN).orElse(false), v.get(SENSITIVE).orElse(false), v.get(EXTRACTABLE).orElse(false),
                v.get(ALWAYS_AUTHENTICATE).orElse(false));
    }

    private static ECParameterSpec ecParams(byte[] ecParams, ObjectRef ref) throws InvalidKeyException {
        if (ecParams == null) {
            throw new InvalidKeyException("EC key without readable CKA_EC_PARAMS: " + ref);
        }
        try {
            return EcCurves.decodeParams(ecParams);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new InvalidKeyException("EC key on an unsupported curve: " + ref + ": " + e.getMessage(), e);
        }
    }

    private static NamedParameterSpec edwardsParams(byte[] ecParams, ObjectRef ref) throws InvalidKeyException {
        if (ecParams == null) {
            throw new InvalidKeyException("EdDSA key without readable CKA_EC_PARAMS: " + ref);
        }
        try {
            return new NamedParameterSpec(EcCurves.edwardsCurve(ecParams).orElseThrow(
                    () -> new IllegalArgumentException("CKA_EC_PARAMS names no Edwards curve")));
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyException("EdDSA key on an unsupported curve: " + ref + ": " + e.getMessage(), e);
        }
    }

    /**
     * The key type and public values of {@code key} as a public key object holds them: RSA modulus and
     * exponent, or EC/EdDSA parameters and point. Callers add class, flags, id and label.
     *
     * @throws InvalidKeyException a key of another kind, or on a curve P11J does not know
     */
    public static Template publicKeyValues(PublicKey key) throws InvalidKeyException {
        try {
            if (key instanceof RSAPublicKey rsa) {
                return Template.builder().keyType(CKK_RSA).bigInteger(MODULUS, rsa.getModulus())
                        .bigInteger(PUBLIC_EXPONENT, rsa.getPublicExponent()).build();
            } else if (key instanceof ECPublicKey ec) {
                ECParameterSpec params = ec.getParams();
                return Template.builder().keyType(CKK_EC).set(EC_PARAMS, EcCurves.encodeParams(params))
                        .set(EC_POINT, EcPoints.encodeCkaEcPoint(ec.getW(), params)).build();
            } else if (key instanceof EdECPublicKey ed) {
                byte[] point = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getPublicKeyData().getOctets();
                return Template.builder().keyType(CKK_EC_EDWARDS).set(EC_PARAMS, EcCurves.edwardsParams(ed.getParams().getName()))
                        .set(EC_POINT, EcPoints.encodeOctetString(point)).build();
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new InvalidKeyException("cannot put the " + key.getAlgorithm() + " public key on a token: " + e.getMessage(), e);
        }
        throw new InvalidKeyException("cannot put a " + key.getAlgorithm() + " public key of class " + key.getClass().getName()
                + " on a token (RSA, EC and EdDSA keys can be)");
    }

    /** The JCA algorithm name of a secret key type. */
    public static String secretAlgorithm(long keyType) {
        if (keyType == CKK_AES) {
            return "AES";
        } else if (keyType == CKK_DES3 || keyType == CKK_DES2) {
            return "DESede";
        } else if (keyType == CKK_GENERIC_SECRET) {
            return "Generic";
        } else if (keyType == CKK_SHA_1_HMAC) {
            return "HmacSHA1";
        } else if (keyType == CKK_SHA256_HMAC) {
            return "HmacSHA256";
        } else if (keyType == CKK_SHA384_HMAC) {
            return "HmacSHA384";
        } else if (keyType == CKK_SHA512_HMAC) {
            return "HmacSHA512";
        } else if (keyType == CKK_CHACHA20) {
            return "ChaCha20";
        }
        return Pkcs11Constants.keyTypeName(keyType).replaceFirst("^CKK_", "");
    }
}
