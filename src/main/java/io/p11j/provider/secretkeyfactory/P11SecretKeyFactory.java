// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.secretkeyfactory;

import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.key.SecretKeys;
import io.p11j.provider.mac.MacAlgorithm;
import io.p11j.provider.token.Errors;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Constants;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;

import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactorySpi;
import javax.crypto.spec.DESedeKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.InvalidKeyException;
import java.security.ProviderException;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.KeySpec;
import java.util.Arrays;
import java.util.Optional;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * Puts known secret key values onto the token: {@code generateSecret(SecretKeySpec)} (and
 * {@code DESedeKeySpec} for DESede) creates a secret key object ({@code C_CreateObject}) from
 * {@link SecretKeys#template} and the value — sensitive, not extractable, a session object unless the
 * configuration says {@code generated-keys = token} — and returns it as a P11J key, usable with
 * P11J's {@code Mac} and ciphers. {@code translateKey} does the same for a software key and returns a
 * P11J key of the right type as it is. The copies of the value made here are wiped once the object
 * exists.
 *
 * <p>{@code getKeySpec} gives the value of a non-sensitive, extractable token key only: the value of a
 * sensitive one never leaves the token ({@code InvalidKeySpecException}). Lengths: AES 16, 24 or 32
 * bytes; DESede 24 (parity bits set, which DES ignores, for tokens that check them); HMAC keys within
 * the token's range for the HMAC mechanism. A wrong length or algorithm name is an
 * {@code InvalidKeySpecException}.
 */
public final class P11SecretKeyFactory extends SecretKeyFactorySpi {

    /** What kind of key. */
    enum Kind { AES, DESEDE, HMAC }

    private final TokenContext context;
    private final Kind kind;
    private final MacAlgorithm hmac;
    private final String algorithm;

    P11SecretKeyFactory(TokenContext context, Kind kind, MacAlgorithm hmac) {
        this.context = context;
        this.kind = kind;
        this.hmac = hmac;
        this.algorithm = switch (kind) {
            case AES -> "AES";
            case DESEDE -> "DESede";
            case HMAC -> hmac.jcaName();
        };
    }

    // ================================================================ generateSecret

    @Override
    protected SecretKey engineGenerateSecret(KeySpec spec) throws InvalidKeySpecException {
        byte[] value;
        if (spec instanceof SecretKeySpec s) {
            if (!sameAlgorithm(s.getAlgorithm())) {
                throw new InvalidKeySpecException("the " + algorithm + " SecretKeyFactory takes " + algorithm + " keys, not "
                        + s.getAlgorithm());
            }
            value = s.getEncoded();
        } else if (spec instanceof DESedeKeySpec d && kind == Kind.DESEDE) {
            value = d.getKey();
        } else {
            throw new InvalidKeySpecException("the " + algorithm + " SecretKeyFactory takes a SecretKeySpec"
                    + (kind == Kind.DESEDE ? " or a DESedeKeySpec" : "") + ", not "
                    + (spec == null ? "null" : "a " + spec.getClass().getSimpleName()));
        }
        try {
            return importValue(value);
        } finally {
            Arrays.fill(value, (byte) 0);
        }
    }

    private boolean sameAlgorithm(String name) {
        if (name == null) {
            return false;
        }
        return switch (kind) {
            case AES -> name.equalsIgnoreCase("AES");
            case DESEDE -> name.equalsIgnoreCase("DESede") || name.equalsIgnoreCase("TripleDES");
            case HMAC -> MacAlgorithm.byName(name).filter(a -> a == hmac).isPresent();
        };
    }

    /** Creates the key object; {@code value} is the caller's to wipe (the parity fix-up is made in place). */
    private P11SecretKey importValue(byte[] value) throws InvalidKeySpecException {
        long keyType = checkLength(value.length);
        if (kind == Kind.DESEDE) {
            oddParity(value);
        }
        Template template = SecretKeys.template(keyType, context.config().tokenKeys(), false, null, null)
                .set(AttributeType.VALUE, value).build();
        try {
            return SecretKeys.create(context, template, algorithm, value.length, (s, t) -> s.createObject(t));
        } catch (Pkcs11Exception e) {
            long rv = e.rv();
            if (Errors.isKeyProblem(rv) || rv == CKR_ATTRIBUTE_VALUE_INVALID || rv == CKR_TEMPLATE_INCONSISTENT
                    || rv == CKR_TEMPLATE_INCOMPLETE || rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_READ_ONLY) {
                InvalidKeySpecException x = new InvalidKeySpecException("C_CreateObject of a " + value.length + "-byte "
                        + algorithm + " key on " + context.tokenUri() + ": " + e.getMessage());
                x.initCause(e);
                throw x;
            }
            throw Errors.provider("C_CreateObject of a " + algorithm + " key on " + context.tokenUri(), e);
        } finally {
            template.wipeSecrets(); // the template's own copy of the value
        }
    }

    /** The key type for a value of {@code n} bytes, or why such a value cannot be this factory's key. */
    private long checkLength(int n) throws InvalidKeySpecException {
        switch (kind) {
            case AES -> {
                if (n != 16 && n != 24 && n != 32) {
                    throw new InvalidKeySpecException("an AES key is 16, 24 or 32 bytes, not " + n);
                }
                return CKK_AES;
            }
            case DESEDE -> {
                if (n != 24) {
                    throw new InvalidKeySpecException("a DESede key is 24 bytes, not " + n);
                }
                return CKK_DES3;
            }
            default -> {
                if (n == 0) {
                    throw new InvalidKeySpecException("an empty " + algorithm + " key");
                }
                Optional<int[]> range = hmac.keyLengths(context);
                if (range.isPresent() && (n < range.get()[0] || range.get()[1] > 0 && n > range.get()[1])) {
                    int[] r = range.get();
                    throw new InvalidKeySpecException("the token's " + Pkcs11Constants.mechanismName(hmac.mechanism())
                            + " takes keys of " + r[0] + (r[1] > 0 ? " to " + r[1] : " or more") + " bytes, not " + n);
                }
                return CKK_GENERIC_SECRET;
            }
        }
    }

    /** DES keys carry odd parity in each byte's low bit; DES ignores it, some tokens check it. */
    private static void oddParity(byte[] key) {
        for (int i = 0; i < key.length; i++) {
            int b = key[i] & 0xFE;
            key[i] = (byte) (b | (Integer.bitCount(b) % 2 == 0 ? 1 : 0));
        }
    }

    // ================================================================ getKeySpec

    @Override
    protected KeySpec engineGetKeySpec(SecretKey key, Class<?> keySpec) throws InvalidKeySpecException {
        if (key == null || keySpec == null) {
            throw new InvalidKeySpecException("null key or key spec class");
        }
        boolean wantsSecretKeySpec = keySpec.isAssignableFrom(SecretKeySpec.class);
        boolean wantsDesede = kind == Kind.DESEDE && keySpec.isAssignableFrom(DESedeKeySpec.class) && !wantsSecretKeySpec;
        if (!wantsSecretKeySpec && !wantsDesede) {
            throw new InvalidKeySpecException("the " + algorithm + " SecretKeyFactory gives a SecretKeySpec"
                    + (kind == Kind.DESEDE ? " or a DESedeKeySpec" : "") + ", not a " + keySpec.getSimpleName());
        }
        if (!takes(key)) {
            throw new InvalidKeySpecException("not a " + algorithm + " key: " + key.getAlgorithm());
        }
        byte[] value;
        if (key instanceof P11SecretKey p) {
            if (p.isSensitive() || !p.isExtractable()) {
                throw new InvalidKeySpecException("the value of " + p.uri() + " never leaves the token: the key is "
                        + (p.isSensitive() ? "sensitive" : "not extractable") + " (CKA_VALUE cannot be read)");
            }
            try {
                value = p.context().execute(s -> s.getAttribute(p.handle(s), AttributeType.VALUE))
                        .orElseThrow(() -> new InvalidKeySpecException("the token gives no CKA_VALUE for " + p.uri()));
            } catch (Pkcs11Exception e) {
                InvalidKeySpecException x = new InvalidKeySpecException("reading CKA_VALUE of " + p.uri() + ": " + e.getMessage());
                x.initCause(e);
                throw x;
            }
        } else {
            value = key.getEncoded();
            if (value == null || !"RAW".equalsIgnoreCase(key.getFormat())) {
                throw new InvalidKeySpecException("the " + key.getAlgorithm() + " key has no RAW encoding");
            }
        }
        try {
            if (wantsDesede) {
                return new DESedeKeySpec(value);
            }
            return new SecretKeySpec(value, algorithm);
        } catch (InvalidKeyException e) {
            throw new InvalidKeySpecException(e.getMessage(), e);
        } finally {
            Arrays.fill(value, (byte) 0); // both specs keep their own copy
        }
    }

    // ================================================================ translateKey

    @Override
    protected SecretKey engineTranslateKey(SecretKey key) throws InvalidKeyException {
        if (key == null) {
            throw new InvalidKeyException("null key");
        }
        if (key instanceof P11SecretKey p) {
            if (!takes(p)) {
                throw new InvalidKeyException("not a " + algorithm + " key: " + p.getAlgorithm() + " ("
                        + Pkcs11Constants.keyTypeName(p.keyType()) + ")");
            }
            return p;
        }
        if (!sameAlgorithm(key.getAlgorithm())) {
            throw new InvalidKeyException("the " + algorithm + " SecretKeyFactory takes " + algorithm + " keys, not "
                    + key.getAlgorithm());
        }
        byte[] value = key.getEncoded();
        if (value == null || !"RAW".equalsIgnoreCase(key.getFormat())) {
            if (value != null) {
                Arrays.fill(value, (byte) 0);
            }
            throw new InvalidKeyException("cannot put a " + key.getAlgorithm() + " key without its RAW value on a token");
        }
        try {
            return importValue(value);
        } catch (InvalidKeySpecException e) {
            throw new InvalidKeyException(e.getMessage(), e);
        } finally {
            Arrays.fill(value, (byte) 0);
        }
    }

    /** Whether {@code key} is of this factory's kind: its token key type, or its JCA algorithm name. */
    private boolean takes(SecretKey key) {
        if (key instanceof P11SecretKey p) {
            long t = p.keyType();
            return switch (kind) {
                case AES -> t == CKK_AES;
                case DESEDE -> t == CKK_DES3 || t == CKK_DES2;
                case HMAC -> hmac.takesKeyType(t);
            };
        }
        return sameAlgorithm(key.getAlgorithm());
    }
}
