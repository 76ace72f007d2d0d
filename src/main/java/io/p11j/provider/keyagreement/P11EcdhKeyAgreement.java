// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keyagreement;

import io.p11j.provider.codec.EcCurves;
import io.p11j.provider.codec.EcPoints;
import io.p11j.provider.key.P11EcPrivateKey;
import io.p11j.provider.key.SecretKeys;
import io.p11j.provider.token.Errors;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;

import javax.crypto.KeyAgreementSpi;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * ECDH ({@code CKM_ECDH1_DERIVE}, no KDF) with a private key on the token and a peer public key from
 * any provider.
 *
 * <p><b>Secrets.</b> {@code generateSecret(algorithm)} derives a secret key on the token
 * ({@code AES}, {@code DESede}, {@code ChaCha20}, {@code Hmac…}, {@code Generic}): sensitive,
 * non-extractable, a session object unless {@code generated-keys = token}, its length given by
 * {@code CKA_VALUE_LEN} (AES: 32 bytes where the secret has them, else 24 or 16; DESede 24; ChaCha20 32;
 * generic and HMAC keys the whole secret). Where that is shorter than the secret the token cuts it as
 * PKCS#11 says (2.40, 2.3.9: "the truncation removes bytes from the leading end"): the key is the
 * secret's last bytes, where the JDK's key agreements take the first; on P-256 an AES-256 key is the
 * whole secret either way. For keys that must match another party's, derive a {@code Generic} key
 * (the whole secret) and apply the agreed KDF.
 * {@code TlsPremasterSecret} and
 * {@code generateSecret()} give the secret's bytes: it is derived into a short-lived, extractable,
 * non-sensitive generic secret, read, and destroyed — one pooled session, one round trip. That is
 * what makes P11J safe at position 1 of the provider list: JSSE's ephemeral ECDHE keys then come from
 * P11J's {@code KeyPairGenerator}, and their agreement must too, with the secret in JSSE's hands.
 *
 * <p><b>Peer keys.</b> Checked here, with Bouncy Castle, before the token sees them (tokens such as
 * SoftHSM2 take any point): the key must be on the private key's curve (same field, coefficients,
 * generator, order and cofactor) and its point on that curve and in its group, else
 * {@code InvalidKeyException} — an invalid-curve point would leak the private key.
 */
public final class P11EcdhKeyAgreement extends KeyAgreementSpi {

    /**
     * Bouncy Castle's curve for each private key curve seen, for validating peer points. Keyed by the
     * parameter object itself (P11J's keys share the few {@code EcCurves} instances), so a lookup costs
     * no curve comparison; bounded in case some caller makes a new parameter object per key.
     */
    private static final Map<ECParameterSpec, X9ECParameters> BC_CURVES = new ConcurrentHashMap<>();
    private static final int BC_CURVES_MAX = 16;

    private P11EcPrivateKey privateKey;
    private byte[] peerPoint;

    @Override
    protected void engineInit(Key key, SecureRandom random) throws InvalidKeyException {
        if (!(key instanceof P11EcPrivateKey k)) {
            throw new InvalidKeyException("P11J ECDH takes an EC private key of a P11J token, not "
                    + (key == null ? "null" : key.getClass().getName()));
        }
        if (!k.context().supports(CKM_ECDH1_DERIVE)) {
            throw new InvalidKeyException("the key's token has no CKM_ECDH1_DERIVE");
        }
        privateKey = k;
        peerPoint = null;
    }

    @Override
    protected void engineInit(Key key, AlgorithmParameterSpec params, SecureRandom random)
            throws InvalidKeyException, InvalidAlgorithmParameterException {
        if (params != null) {
            throw new InvalidAlgorithmParameterException("ECDH takes no parameters");
        }
        engineInit(key, random);
    }

    @Override
    protected Key engineDoPhase(Key key, boolean lastPhase) throws InvalidKeyException {
        if (privateKey == null) {
            throw new IllegalStateException("not initialized");
        }
        if (!lastPhase) {
            throw new IllegalStateException("ECDH has one phase: call doPhase(key, true)");
        }
        if (!(key instanceof ECPublicKey peer)) {
            throw new InvalidKeyException("the peer key must be an ECPublicKey");
        }
        ECParameterSpec ours = privateKey.getParams();
        if (!sameCurve(peer.getParams(), ours)) {
            throw new InvalidKeyException("the peer key is on another curve");
        }
        checkPoint(peer.getW(), ours);
        try {
            peerPoint = EcPoints.uncompressed(peer.getW(), ours);
        } catch (InvalidKeySpecException e) {
            throw new InvalidKeyException("invalid peer public key: " + e.getMessage(), e);
        }
        return null;
    }

    /** The same curve: field, coefficients, generator, order and cofactor (the order alone does not make a curve). */
    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a == b || a != null && a.getCurve().equals(b.getCurve()) && a.getGenerator().equals(b.getGenerator())
                && a.getOrder().equals(b.getOrder()) && a.getCofactor() == b.getCofactor();
    }

    /** Bouncy Castle's check: the point is on the curve, not the identity, and in the prime-order group. */
    private static void checkPoint(ECPoint w, ECParameterSpec params) throws InvalidKeyException {
        if (w == null || ECPoint.POINT_INFINITY.equals(w)) {
            throw new InvalidKeyException("invalid peer public key: the point at infinity");
        }
        X9ECParameters curve = BC_CURVES.get(params);
        if (curve == null) {
            try {
                curve = ECNamedCurveTable.getByName(EcCurves.name(params));
            } catch (InvalidAlgorithmParameterException e) {
                throw new InvalidKeyException("ECDH on an unsupported curve: " + e.getMessage(), e);
            }
            if (BC_CURVES.size() < BC_CURVES_MAX) {
                BC_CURVES.put(params, curve);
            }
        }
        boolean valid;
        try {
            valid = curve.getCurve().validatePoint(w.getAffineX(), w.getAffineY()).isValid();
        } catch (IllegalArgumentException | ArithmeticException e) {
            valid = false; // off the curve, or a coordinate outside the field
        }
        if (!valid) {
            throw new InvalidKeyException("invalid peer public key: the point is not on the curve");
        }
    }

    /** The secret's bytes; see the class comment. */
    @Override
    protected byte[] engineGenerateSecret() throws IllegalStateException {
        P11EcPrivateKey key = privateKey;
        byte[] point = takePeerPoint();
        int size = EcCurves.fieldBytes(key.getParams());
        Template template = Template.builder().objectClass(CKO_SECRET_KEY).keyType(CKK_GENERIC_SECRET)
                .flag(TOKEN, false).flag(SENSITIVE, false).flag(EXTRACTABLE, true).set(VALUE_LEN, (long) size).build();
        try {
            return key.context().execute(s -> {
                long secret = s.deriveKey(Mechanism.ecdh1Derive(CKD_NULL, null, point), key.handle(s), template);
                try {
                    // The secret's length is known: one read, no length query first.
                    return s.getAttributesSized(secret, size, VALUE).get(VALUE).orElseThrow(() -> refused(key, null));
                } finally {
                    s.destroyObject(secret);
                }
            });
        } catch (Pkcs11Exception e) {
            long rv = e.rv();
            if (rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE
                    || rv == CKR_KEY_UNEXTRACTABLE) {
                throw refused(key, e);
            }
            throw Errors.provider("ECDH (C_DeriveKey, CKM_ECDH1_DERIVE) with " + key.uri(), e);
        }
    }

    private static ProviderException refused(P11EcPrivateKey key, Pkcs11Exception cause) {
        return new ProviderException("the token of " + key.uri() + " does not give out ECDH secrets (it derives only "
                + "sensitive or non-extractable keys): use generateSecret(\"AES\") or another algorithm for a key on the token"
                + (cause == null ? "" : ": " + cause.getMessage()), cause);
    }

    @Override
    protected int engineGenerateSecret(byte[] sharedSecret, int offset) throws IllegalStateException, ShortBufferException {
        if (privateKey == null || peerPoint == null) {
            throw new IllegalStateException("call init and doPhase first");
        }
        int size = EcCurves.fieldBytes(privateKey.getParams());
        if (sharedSecret.length - offset < size) {
            throw new ShortBufferException("need " + size + " bytes");
        }
        byte[] s = engineGenerateSecret();
        System.arraycopy(s, 0, sharedSecret, offset, s.length);
        Arrays.fill(s, (byte) 0);
        return s.length;
    }

    /**
     * {@code TlsPremasterSecret}: the secret's bytes, as the JDK's ECDH gives them (JSSE derives its keys
     * from them). Any other secret key algorithm: a key derived on the token; see the class comment.
     */
    @Override
    protected SecretKey engineGenerateSecret(String algorithm) throws IllegalStateException, NoSuchAlgorithmException {
        if (algorithm == null) {
            throw new NoSuchAlgorithmException("the secret key algorithm is null");
        }
        if ("TlsPremasterSecret".equalsIgnoreCase(algorithm)) {
            if (privateKey == null || peerPoint == null) {
                throw new IllegalStateException("call init and doPhase first");
            }
            byte[] s = engineGenerateSecret();
            try {
                return new SecretKeySpec(s, "TlsPremasterSecret");
            } finally {
                Arrays.fill(s, (byte) 0);
            }
        }
        long keyType = SecretKeys.keyType(algorithm);
        if (privateKey == null || peerPoint == null) {
            throw new IllegalStateException("call init and doPhase first");
        }
        P11EcPrivateKey key = privateKey;
        int secretBytes = EcCurves.fieldBytes(key.getParams());
        int length = keyLength(keyType, secretBytes, algorithm);
        byte[] point = takePeerPoint();
        Template template = SecretKeys.template(keyType, key.context().config().tokenKeys(), false, null, null)
                .set(VALUE_LEN, (long) length).build();
        Mechanism mechanism = Mechanism.ecdh1Derive(CKD_NULL, null, point);
        try {
            // The template states every attribute of the new key and its length: nothing is read back.
            return SecretKeys.create(key.context(), template, jcaName(keyType, algorithm),
                    (s, t) -> s.deriveKey(mechanism, key.handle(s), t));
        } catch (Pkcs11Exception e) {
            throw Errors.provider("ECDH to a " + algorithm + " key (C_DeriveKey, CKM_ECDH1_DERIVE) with " + key.uri(), e);
        }
    }

    /** The peer point of the last doPhase, consumed: one secret per doPhase, as the JDK's ECDH. */
    private byte[] takePeerPoint() {
        if (privateKey == null || peerPoint == null) {
            throw new IllegalStateException("call init and doPhase first");
        }
        byte[] point = peerPoint;
        peerPoint = null;
        return point;
    }

    /** {@code CKA_VALUE_LEN} for a key of {@code keyType} cut from a secret of {@code secretBytes}. */
    private static int keyLength(long keyType, int secretBytes, String algorithm) throws NoSuchAlgorithmException {
        int length;
        if (keyType == CKK_AES) {
            length = secretBytes >= 32 ? 32 : secretBytes >= 24 ? 24 : 16;
        } else if (keyType == CKK_DES3) {
            length = 24;
        } else if (keyType == CKK_CHACHA20) {
            length = 32;
        } else {
            length = secretBytes; // generic secrets (HMAC keys) take the whole secret
        }
        if (length > secretBytes) {
            throw new NoSuchAlgorithmException("a " + secretBytes + "-byte ECDH secret is too short for a " + algorithm + " key");
        }
        return length;
    }

    private static String jcaName(long keyType, String algorithm) {
        if (keyType == CKK_AES) {
            return "AES";
        } else if (keyType == CKK_DES3) {
            return "DESede";
        } else if (keyType == CKK_CHACHA20) {
            return "ChaCha20";
        }
        String a = algorithm.toUpperCase(Locale.ROOT);
        return a.equals("GENERIC") || a.equals("GENERICSECRET") ? "Generic" : algorithm;
    }
}
