// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keygen;

import io.p11j.provider.P11jKeyGenParameterSpec;
import io.p11j.provider.key.SecretKeys;
import io.p11j.provider.mac.MacAlgorithm;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Constants;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;

import javax.crypto.KeyGeneratorSpi;
import javax.crypto.SecretKey;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Optional;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * Generates secret keys on the token ({@code C_GenerateKey}): AES ({@code CKM_AES_KEY_GEN}), DESede
 * ({@code CKM_DES3_KEY_GEN}; 112 bits: {@code CKM_DES2_KEY_GEN}) and HMAC keys (generic secrets,
 * {@code CKM_GENERIC_SECRET_KEY_GEN}). Keys are made by {@link SecretKeys}: sensitive, private, not
 * extractable unless asked, with a random {@code CKA_ID}; session objects (destroyed when the Java
 * key becomes unreachable) unless the configuration says {@code generated-keys = token} or a
 * {@link P11jKeyGenParameterSpec} asks otherwise, which also sets label, id and extractability.
 *
 * <p>Sizes, in bits as the JCA gives them: AES 128, 192 or 256 (default 256, where the token
 * generates AES-256 keys); DESede 112 or 168 (default 168); HMAC at least 40 (SunJCE's rule), rounded
 * up to whole bytes, within the token's key range for the HMAC mechanism, by default SunJCE's
 * default (the digest's output length; 64 bytes for {@code HmacSHA1}). A size the token does not take
 * is an {@code InvalidParameterException} from {@code init(int)} and an
 * {@code InvalidAlgorithmParameterException} from {@code init(AlgorithmParameterSpec)}. The
 * {@code SecureRandom} is not used: the token generates the key with its own generator.
 */
public final class P11KeyGenerator extends KeyGeneratorSpi {

    private static final P11jKeyGenParameterSpec DEFAULTS = P11jKeyGenParameterSpec.builder(-1).build();

    /** What kind of key. */
    enum Kind { AES, DESEDE, HMAC }

    private final TokenContext context;
    private final Kind kind;
    private final MacAlgorithm hmac;
    private final String algorithm;

    private int keyBytes;
    private long mechanism;
    private long keyType;
    private P11jKeyGenParameterSpec options = DEFAULTS;

    P11KeyGenerator(TokenContext context, Kind kind, MacAlgorithm hmac) {
        this.context = context;
        this.kind = kind;
        this.hmac = hmac;
        this.algorithm = switch (kind) {
            case AES -> "AES";
            case DESEDE -> "DESede";
            case HMAC -> hmac.jcaName();
        };
        defaults();
    }

    private void defaults() {
        switch (kind) {
            case AES -> {
                mechanism = CKM_AES_KEY_GEN;
                keyType = CKK_AES;
                keyBytes = fits(32) ? 32 : 16;
            }
            case DESEDE -> {
                mechanism = CKM_DES3_KEY_GEN;
                keyType = CKK_DES3;
                keyBytes = 24;
            }
            case HMAC -> {
                mechanism = CKM_GENERIC_SECRET_KEY_GEN;
                keyType = CKK_GENERIC_SECRET;
                int n = hmac.defaultKeyLength();
                Optional<int[]> range = hmac.keyLengths(context);
                keyBytes = range.isPresent() && n < range.get()[0] ? range.get()[0] : n;
            }
        }
    }

    private boolean fits(int bytes) {
        Optional<int[]> range = context.mechanism(CKM_AES_KEY_GEN).flatMap(MacAlgorithm::byteRange);
        return range.isEmpty() || bytes >= range.get()[0] && (range.get()[1] == 0 || bytes <= range.get()[1]);
    }

    @Override
    protected void engineInit(SecureRandom random) {
        defaults();
        options = DEFAULTS;
    }

    @Override
    protected void engineInit(int keySize, SecureRandom random) {
        try {
            size(keySize);
        } catch (InvalidAlgorithmParameterException e) {
            throw (InvalidParameterException) new InvalidParameterException(e.getMessage()).initCause(e);
        }
        options = DEFAULTS;
    }

    @Override
    protected void engineInit(AlgorithmParameterSpec params, SecureRandom random) throws InvalidAlgorithmParameterException {
        if (!(params instanceof P11jKeyGenParameterSpec p)) {
            throw new InvalidAlgorithmParameterException(algorithm + " key generation takes no parameters but a "
                    + "P11jKeyGenParameterSpec (label, id, token object, extractable, key size), not "
                    + (params == null ? "null" : "a " + params.getClass().getSimpleName()));
        }
        if (p.keySpec().isPresent()) {
            throw new InvalidAlgorithmParameterException(algorithm + " key generation takes no algorithm parameters ("
                    + p.keySpec().get().getClass().getSimpleName() + "); give the key size with P11jKeyGenParameterSpec.builder(bits)");
        }
        if (p.keySize() > 0) {
            size(p.keySize());
        } else {
            defaults();
        }
        options = p;
    }

    /** Chooses the key size; bits, as the JCA counts. */
    private void size(int bits) throws InvalidAlgorithmParameterException {
        switch (kind) {
            case AES -> {
                if (bits != 128 && bits != 192 && bits != 256) {
                    throw new InvalidAlgorithmParameterException("AES key size must be 128, 192 or 256 bits, not " + bits);
                }
                if (!fits(bits / 8)) {
                    int[] r = context.mechanism(CKM_AES_KEY_GEN).flatMap(MacAlgorithm::byteRange).orElseThrow();
                    throw new InvalidAlgorithmParameterException("the token generates AES keys of " + r[0] * 8 + " to "
                            + r[1] * 8 + " bits, not " + bits);
                }
                mechanism = CKM_AES_KEY_GEN;
                keyType = CKK_AES;
                keyBytes = bits / 8;
            }
            case DESEDE -> {
                if (bits == 168) {
                    mechanism = CKM_DES3_KEY_GEN;
                    keyType = CKK_DES3;
                    keyBytes = 24;
                } else if (bits == 112) {
                    if (!context.supports(CKM_DES2_KEY_GEN)) {
                        throw new InvalidAlgorithmParameterException("the token has no CKM_DES2_KEY_GEN for 112-bit DESede keys");
                    }
                    mechanism = CKM_DES2_KEY_GEN;
                    keyType = CKK_DES2;
                    keyBytes = 16;
                } else {
                    throw new InvalidAlgorithmParameterException("DESede key size must be 112 or 168 bits, not " + bits);
                }
            }
            case HMAC -> {
                if (bits < 40) {
                    throw new InvalidAlgorithmParameterException(algorithm + " key size must be at least 40 bits, not " + bits);
                }
                int bytes = (bits + 7) / 8;
                Optional<int[]> range = hmac.keyLengths(context);
                if (range.isPresent() && (bytes < range.get()[0] || range.get()[1] > 0 && bytes > range.get()[1])) {
                    int[] r = range.get();
                    throw new InvalidAlgorithmParameterException("the token's " + Pkcs11Constants.mechanismName(hmac.mechanism())
                            + " takes keys of " + r[0] * 8L + (r[1] > 0 ? " to " + r[1] * 8L : " or more") + " bits, not " + bits);
                }
                mechanism = CKM_GENERIC_SECRET_KEY_GEN;
                keyType = CKK_GENERIC_SECRET;
                keyBytes = bytes;
            }
        }
    }

    @Override
    protected SecretKey engineGenerateKey() {
        boolean token = options.tokenObject().orElse(context.config().tokenKeys());
        Template.Builder t = SecretKeys.template(keyType, token, options.extractable(), options.label(), options.id());
        if (kind != Kind.DESEDE) {
            t.set(AttributeType.VALUE_LEN, (long) keyBytes);
        }
        Template template = t.build();
        Mechanism m = Mechanism.of(mechanism);
        try {
            return SecretKeys.create(context, template, algorithm, keyBytes, (s, tpl) -> s.generateKey(m, tpl));
        } catch (Pkcs11Exception e) {
            throw new ProviderException("C_GenerateKey (" + Pkcs11Constants.mechanismName(mechanism) + ", " + keyBytes
                    + " bytes) on " + context.tokenUri() + " failed: " + e.getMessage(), e);
        }
    }
}
