// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.P11jKeyUnwrapSpec;
import io.p11j.provider.key.Keys;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.key.SecretKeys;
import io.p11j.provider.token.Errors;
import io.p11j.provider.token.Quirk;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;

import javax.crypto.Cipher;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;
import java.util.Locale;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * {@code Cipher.wrap}/{@code unwrap} for every P11J cipher: {@code C_WrapKey} and {@code C_UnwrapKey},
 * so that the key being moved is never in the JVM in the clear. Only token keys created extractable
 * can be wrapped; an unwrapped key is sensitive, and lands on the token with the attributes of the
 * caller's {@link P11jKeyUnwrapSpec} (a session object, not extractable, by default).
 */
public final class KeyWrapping {


    private KeyWrapping() {
    }

    /**
     * {@code key} encrypted under {@code wrappingKey} with {@code mechanism}.
     *
     * @throws InvalidKeyException {@code key} is not a token key of the same token, or may not be wrapped
     *                             (not extractable), or the wrapping key cannot wrap
     */
    public static byte[] wrap(Mechanism mechanism, P11Key wrappingKey, Key key) throws InvalidKeyException {
        if (!(key instanceof P11Key k)) {
            throw new InvalidKeyException("P11J wraps keys on its token only (C_WrapKey); " + (key == null ? "null"
                    : key.getClass().getName()) + " is not one");
        }
        TokenContext context = wrappingKey.context();
        if (k.context() != context) {
            throw new InvalidKeyException("the key to wrap is on another token than the wrapping key: " + k.uri());
        }
        if (!k.isExtractable()) {
            throw new InvalidKeyException("the key " + k.uri() + " is not extractable (CKA_EXTRACTABLE false), so no token will "
                    + "wrap it; create it with P11jKeyGenParameterSpec.extractable(true) to be able to wrap it");
        }
        try {
            return context.execute(s -> s.wrapKey(mechanism, wrappingKey.handle(s), k.handle(s)));
        } catch (Pkcs11Exception e) {
            throw Errors.invalidKey("C_WrapKey of " + k.uri() + " under " + wrappingKey.uri(), e);
        }
    }

    /**
     * Creates the key {@code wrapped} holds on the token, as a {@link Cipher#SECRET_KEY} or
     * {@link Cipher#PRIVATE_KEY} of {@code algorithm}.
     *
     * @param spec the new key's attributes; null = a sensitive, non-extractable key of the configured
     *             object kind ({@code generated-keys})
     * @throws InvalidKeyException the wrapped bytes do not unwrap under this key (wrong key, tampered,
     *                             bad length), or the unwrapping key cannot unwrap
     * @throws NoSuchAlgorithmException {@code algorithm} is not a key type the provider can create
     */
    public static Key unwrap(Mechanism mechanism, P11Key unwrappingKey, byte[] wrapped, String algorithm, int type,
                             P11jKeyUnwrapSpec spec) throws InvalidKeyException, NoSuchAlgorithmException {
        TokenContext context = unwrappingKey.context();
        boolean token = spec != null && spec.tokenObject().isPresent() ? spec.tokenObject().get() : context.config().tokenKeys();
        boolean extractable = spec != null && spec.extractable();
        String label = spec == null ? null : spec.label();
        byte[] id = spec == null ? null : spec.id();
        try {
            if (type == Cipher.SECRET_KEY) {
                Template t = SecretKeys.template(SecretKeys.keyType(algorithm), token, extractable, label, id).build();
                return SecretKeys.create(context, t, algorithm,
                        (s, template) -> s.unwrapKey(mechanism, unwrappingKey.handle(s), wrapped, template));
            } else if (type == Cipher.PRIVATE_KEY) {
                return unwrapPrivate(context, mechanism, unwrappingKey, wrapped, algorithm, token, extractable, label, id);
            }
        } catch (Pkcs11Exception e) {
            throw unwrapFailure(context, unwrappingKey, e);
        }
        throw new InvalidKeyException("P11J unwraps secret and private keys onto the token; a public key is not secret: "
                + "decrypt it (DECRYPT_MODE) and decode it with a KeyFactory");
    }

    private static Key unwrapPrivate(TokenContext context, Mechanism mechanism, P11Key unwrappingKey, byte[] wrapped,
                                     String algorithm, boolean token, boolean extractable, String label, byte[] id)
            throws Pkcs11Exception, InvalidKeyException, NoSuchAlgorithmException {
        long keyType = switch (algorithm.toUpperCase(Locale.ROOT)) {
            case "RSA" -> CKK_RSA;
            case "EC" -> CKK_EC;
            case "EDDSA", "ED25519", "ED448" -> CKK_EC_EDWARDS;
            default -> throw new NoSuchAlgorithmException("P11J unwraps RSA, EC and EdDSA private keys, not " + algorithm);
        };
        if (id == null) {
            id = Keys.randomId();
        }
        Template.Builder t = Template.builder().objectClass(CKO_PRIVATE_KEY).keyType(keyType).flag(TOKEN, token)
                .flag(PRIVATE, true).flag(SENSITIVE, true).flag(EXTRACTABLE, extractable).flag(SIGN, true).id(id);
        if (keyType == CKK_RSA) {
            t.flag(DECRYPT, true);
        } else if (keyType == CKK_EC) {
            t.flag(DERIVE, true);
        }
        if (label != null) {
            t.label(label);
        }
        Template template = t.build();
        try {
            return context.withObjectSession(s -> {
                long handle = s.unwrapKey(mechanism, unwrappingKey.handle(s), wrapped, template);
                try {
                    P11Key key = Keys.load(context, s, handle);
                    if (!key.isTokenObject()) {
                        context.destroyWhenUnreachable(key, key.ref());
                    }
                    return key;
                } catch (InvalidKeyException | Pkcs11Exception | RuntimeException e) {
                    try {
                        s.destroyObject(handle);
                    } catch (Pkcs11Exception | RuntimeException ignored) {
                        // reporting the first failure
                    }
                    if (e instanceof Pkcs11Exception p) {
                        throw p;
                    }
                    throw new ProviderException("the unwrapped key is unreadable: " + e.getMessage(), e);
                }
            });
        } catch (ProviderException e) {
            throw new InvalidKeyException(e.getMessage(), e);
        }
    }

    private static InvalidKeyException unwrapFailure(TokenContext context, P11Key unwrappingKey, Pkcs11Exception e) {
        long rv = e.rv();
        if (rv == CKR_WRAPPED_KEY_INVALID || rv == CKR_WRAPPED_KEY_LEN_RANGE || rv == CKR_ENCRYPTED_DATA_INVALID
                || rv == CKR_ENCRYPTED_DATA_LEN_RANGE
                || (rv == CKR_GENERAL_ERROR && context.has(Quirk.DECRYPT_FAILURE_AS_GENERAL_ERROR))) {
            return new InvalidKeyException("the wrapped key does not unwrap under " + unwrappingKey.uri()
                    + " (wrong key, damaged or tampered data): " + e.getMessage(), e);
        }
        return Errors.invalidKey("C_UnwrapKey under " + unwrappingKey.uri(), e);
    }
}
