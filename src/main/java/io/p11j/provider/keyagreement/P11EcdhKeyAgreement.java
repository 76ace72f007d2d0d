// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keyagreement;

import io.p11j.provider.codec.EcCurves;
import io.p11j.provider.codec.EcPoints;
import io.p11j.provider.key.P11EcPrivateKey;
import io.p11j.provider.token.Errors;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;

import javax.crypto.KeyAgreementSpi;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * ECDH ({@code CKM_ECDH1_DERIVE}, no KDF) with a private key on the token and a peer public key from
 * any provider. The shared secret is derived into a short-lived, extractable session object, read, and
 * destroyed. This is what makes P11J safe at position 1 of the provider list: JSSE's ephemeral ECDHE
 * keys then come from P11J's {@code KeyPairGenerator}, and their agreement must too.
 */
public final class P11EcdhKeyAgreement extends KeyAgreementSpi {

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
        if (peer.getParams().getCurve().getField().getFieldSize() != privateKey.getParams().getCurve().getField().getFieldSize()
                || !peer.getParams().getOrder().equals(privateKey.getParams().getOrder())) {
            throw new InvalidKeyException("the peer key is on another curve");
        }
        try {
            // The point must be on our curve (an invalid-curve point would leak the private key).
            peerPoint = EcPoints.uncompressed(peer.getW(), privateKey.getParams());
        } catch (InvalidKeySpecException e) {
            throw new InvalidKeyException("invalid peer public key: " + e.getMessage(), e);
        }
        return null;
    }

    @Override
    protected byte[] engineGenerateSecret() throws IllegalStateException {
        if (privateKey == null || peerPoint == null) {
            throw new IllegalStateException("call init and doPhase first");
        }
        P11EcPrivateKey key = privateKey;
        byte[] point = peerPoint;
        peerPoint = null; // one secret per doPhase, as the JDK's ECDH
        int size = EcCurves.fieldBytes(key.getParams());
        Template template = Template.builder().objectClass(CKO_SECRET_KEY).keyType(CKK_GENERIC_SECRET)
                .flag(TOKEN, false).flag(SENSITIVE, false).flag(EXTRACTABLE, true).set(VALUE_LEN, (long) size).build();
        try {
            return key.context().execute(s -> {
                long secret = s.deriveKey(Mechanism.ecdh1Derive(CKD_NULL, null, point), key.handle(s), template);
                try {
                    // The secret's length is known: one read, no length query first.
                    return s.getAttributesSized(secret, size, VALUE).get(VALUE).orElseThrow(() ->
                            new IllegalStateException("the token did not reveal the derived secret"));
                } finally {
                    s.destroyObject(secret);
                }
            });
        } catch (Pkcs11Exception e) {
            throw Errors.provider("ECDH on " + key.context().tokenUri(), e);
        }
    }

    @Override
    protected int engineGenerateSecret(byte[] sharedSecret, int offset) throws IllegalStateException, ShortBufferException {
        int size = EcCurves.fieldBytes(privateKey.getParams());
        if (sharedSecret.length - offset < size) {
            throw new ShortBufferException("need " + size + " bytes");
        }
        byte[] s = engineGenerateSecret();
        System.arraycopy(s, 0, sharedSecret, offset, s.length);
        Arrays.fill(s, (byte) 0);
        return s.length;
    }

    /** Only {@code TlsPremasterSecret}, as the JDK's ECDH (token-resident secret keys come with the JCE services). */
    @Override
    protected SecretKey engineGenerateSecret(String algorithm) throws IllegalStateException, NoSuchAlgorithmException {
        if (!"TlsPremasterSecret".equalsIgnoreCase(algorithm)) {
            throw new NoSuchAlgorithmException("P11J ECDH gives secrets for TlsPremasterSecret only, not " + algorithm);
        }
        byte[] s = engineGenerateSecret();
        try {
            return new SecretKeySpec(s, "TlsPremasterSecret");
        } finally {
            Arrays.fill(s, (byte) 0);
        }
    }
}
