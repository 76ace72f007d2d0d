// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.token.JdkRandom;
import io.p11j.provider.key.Keys;

import io.p11j.provider.codec.EcCurves;
import io.p11j.wrapper.attribute.Template;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

import javax.crypto.SecretKey;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.InvalidKeyException;
import java.security.KeyStoreException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Locale;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * Templates for the key objects the KeyStore writes: software keys imported as sensitive,
 * non-extractable token objects, and public key objects made from a certificate's public key.
 * Private and secret key objects get no {@code CKA_START_DATE}: SoftHSM2 2.6.1 cannot read a date
 * back from a private object ({@code CKR_GENERAL_ERROR}), which would break other tools reading them.
 */
final class KeyObjects {

    private static final SecureRandom RANDOM = JdkRandom.get();
    private static final int ID_BYTES = 20;

    private KeyObjects() {
    }

    /** A fresh random {@code CKA_ID}, as the KeyPairGenerator makes them. */
    static byte[] randomId() {
        byte[] id = new byte[ID_BYTES];
        RANDOM.nextBytes(id);
        return id;
    }

    /** The id of an imported key: SHA-1 of its public key bits (RFC 5280's key identifier, method 1). */
    static byte[] idOf(PublicKey key) {
        try {
            byte[] bits = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getPublicKeyData().getBytes();
            return MessageDigest.getInstance("SHA-1").digest(bits);
        } catch (NoSuchAlgorithmException | RuntimeException e) {
            return randomId();
        }
    }

    /** Refuses a chain whose first certificate is not for {@code key} (different modulus or curve). */
    static void checkMatches(Key key, PublicKey certKey) throws KeyStoreException {
        boolean ok = true;
        if (key instanceof RSAKey r) {
            ok = certKey instanceof RSAPublicKey p && p.getModulus().equals(r.getModulus());
        } else if (key instanceof ECKey e) {
            ok = certKey instanceof ECPublicKey p && sameCurve(p.getParams(), e.getParams());
        } else if (key instanceof EdECKey e) {
            ok = certKey instanceof EdECKey p && p.getParams().getName().equalsIgnoreCase(e.getParams().getName());
        }
        if (!ok) {
            throw new KeyStoreException("the first certificate of the chain is not for this key: its public key is "
                    + describe(certKey) + ", the key is " + key.getAlgorithm());
        }
    }

    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a.getOrder().equals(b.getOrder()) && a.getCurve().equals(b.getCurve()) && a.getGenerator().equals(b.getGenerator());
    }

    private static String describe(PublicKey k) {
        return k.getAlgorithm() + (k instanceof RSAPublicKey r ? " " + r.getModulus().bitLength() + "-bit" : "")
                + (k instanceof ECPublicKey e ? " on a curve of order " + e.getParams().getOrder().bitLength() + " bits" : "");
    }

    /** A software private key as a sensitive, non-extractable private token object. */
    static Template privateKey(PrivateKey key, PublicKey publicKey, byte[] id, String label) throws KeyStoreException {
        Template.Builder t = Template.builder().objectClass(CKO_PRIVATE_KEY).flag(TOKEN, true).flag(PRIVATE, true)
                .flag(SENSITIVE, true).flag(EXTRACTABLE, false).flag(SIGN, true).id(id).label(label);
        try {
            if (key instanceof RSAPrivateCrtKey k) {
                t.keyType(CKK_RSA).flag(DECRYPT, true).bigInteger(MODULUS, k.getModulus())
                        .bigInteger(PUBLIC_EXPONENT, k.getPublicExponent()).bigInteger(PRIVATE_EXPONENT, k.getPrivateExponent())
                        .bigInteger(PRIME_1, k.getPrimeP()).bigInteger(PRIME_2, k.getPrimeQ())
                        .bigInteger(EXPONENT_1, k.getPrimeExponentP()).bigInteger(EXPONENT_2, k.getPrimeExponentQ())
                        .bigInteger(COEFFICIENT, k.getCrtCoefficient());
            } else if (key instanceof RSAPrivateKey k && publicKey instanceof RSAPublicKey p) {
                t.keyType(CKK_RSA).flag(DECRYPT, true).bigInteger(MODULUS, k.getModulus())
                        .bigInteger(PUBLIC_EXPONENT, p.getPublicExponent()).bigInteger(PRIVATE_EXPONENT, k.getPrivateExponent());
            } else if (key instanceof ECPrivateKey k) {
                int size = (k.getParams().getOrder().bitLength() + 7) / 8;
                t.keyType(CKK_EC).flag(DERIVE, true).set(EC_PARAMS, EcCurves.encodeParams(k.getParams()))
                        .set(VALUE, fixed(k.getS(), size));
            } else if (key instanceof EdECPrivateKey k && k.getBytes().isPresent()) {
                t.keyType(CKK_EC_EDWARDS).set(EC_PARAMS, EcCurves.edwardsParams(k.getParams().getName()))
                        .set(VALUE, k.getBytes().get());
            } else {
                throw new KeyStoreException("cannot import a " + key.getAlgorithm() + " private key of class "
                        + key.getClass().getName() + " (RSA, EC and EdDSA keys with their values can be)");
            }
        } catch (GeneralSecurityException e) {
            throw new KeyStoreException("cannot import the " + key.getAlgorithm() + " key: " + e.getMessage(), e);
        }
        return t.build();
    }

    /** The public key object stored beside a private key: from the certificate's public key. */
    static Template publicKey(PublicKey key, byte[] id, String label) throws KeyStoreException {
        Template.Builder t = Template.builder().objectClass(CKO_PUBLIC_KEY).flag(TOKEN, true).flag(PRIVATE, false)
                .flag(VERIFY, true).id(id).label(label).date(START_DATE, LocalDate.now());
        if (key instanceof RSAPublicKey) {
            t.flag(ENCRYPT, true);
        }
        try {
            return t.build().with(Keys.publicKeyValues(key));
        } catch (InvalidKeyException e) {
            throw new KeyStoreException("cannot store the " + key.getAlgorithm() + " public key: " + e.getMessage(), e);
        }
    }

    /** A software secret key (AES, DESede, HMAC or generic) as a sensitive, non-extractable secret token object. */
    static Template secretKey(SecretKey key, byte[] id, String label) throws KeyStoreException {
        byte[] value = key.getEncoded();
        if (value == null || !"RAW".equalsIgnoreCase(key.getFormat())) {
            throw new KeyStoreException("cannot import a " + key.getAlgorithm() + " secret key without its RAW value");
        }
        try {
            Template.Builder t = Template.builder().objectClass(CKO_SECRET_KEY).flag(TOKEN, true).flag(PRIVATE, true)
                    .flag(SENSITIVE, true).flag(EXTRACTABLE, false).id(id).label(label).set(VALUE, value);
            String algorithm = key.getAlgorithm().toUpperCase(Locale.ROOT);
            if (algorithm.equals("AES")) {
                t.keyType(CKK_AES).flag(ENCRYPT, true).flag(DECRYPT, true).flag(WRAP, true).flag(UNWRAP, true);
            } else if (algorithm.equals("DESEDE") || algorithm.equals("TRIPLEDES")) {
                t.keyType(CKK_DES3).flag(ENCRYPT, true).flag(DECRYPT, true);
            } else {
                t.keyType(CKK_GENERIC_SECRET).flag(SIGN, true).flag(VERIFY, true);
            }
            return t.build();
        } finally {
            Arrays.fill(value, (byte) 0); // the template holds its own copy
        }
    }

    private static byte[] fixed(BigInteger v, int size) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[size];
        int start = Math.max(0, b.length - size);
        System.arraycopy(b, start, out, size - (b.length - start), b.length - start);
        Arrays.fill(b, (byte) 0);
        return out;
    }
}
