// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.attribute.Attribute;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;

import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;
import java.util.Locale;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * Making secret key objects: the one template every path (key generation, import, unwrap,
 * derivation) starts from, and the one way a new object becomes a {@link P11SecretKey} — created on
 * the context's object session, so that a session object outlives the call, and destroyed when its
 * Java key becomes unreachable.
 */
public final class SecretKeys {


    private SecretKeys() {
    }

    /** Creates one key object on a session; returns its handle. */
    @FunctionalInterface
    public interface Creator {
        long create(Session session, Template template) throws Pkcs11Exception;
    }

    /**
     * The {@code CKK_*} type for a JCA secret key algorithm: {@code AES}, {@code DESede},
     * {@code ChaCha20}; HMAC and other keys are generic secrets.
     *
     * @throws NoSuchAlgorithmException for names that are not secret key algorithms the provider knows
     */
    public static long keyType(String algorithm) throws NoSuchAlgorithmException {
        String a = algorithm.toUpperCase(Locale.ROOT);
        if (a.equals("AES")) {
            return CKK_AES;
        } else if (a.equals("DESEDE") || a.equals("TRIPLEDES")) {
            return CKK_DES3;
        } else if (a.equals("CHACHA20")) {
            return CKK_CHACHA20;
        } else if (a.startsWith("HMAC") || a.equals("GENERIC") || a.equals("GENERICSECRET") || a.startsWith("TLS")) {
            return CKK_GENERIC_SECRET;
        }
        throw new NoSuchAlgorithmException("not a secret key algorithm P11J creates on a token: " + algorithm);
    }

    /**
     * The template of a new secret key: private, sensitive, extractable only when asked, with the
     * uses its type has (cipher keys encrypt, decrypt, wrap, unwrap, and sign and verify for CMACs;
     * generic secrets sign, verify and derive), a random {@code CKA_ID} when none is given.
     */
    public static Template.Builder template(long keyType, boolean tokenObject, boolean extractable, String label, byte[] id) {
        if (id == null) {
            id = Keys.randomId();
        }
        Template.Builder t = Template.builder().objectClass(CKO_SECRET_KEY).keyType(keyType).flag(TOKEN, tokenObject)
                .flag(PRIVATE, true).flag(SENSITIVE, true).flag(EXTRACTABLE, extractable).id(id);
        if (label != null) {
            t.label(label);
        }
        if (keyType == CKK_GENERIC_SECRET) {
            t.flag(SIGN, true).flag(VERIFY, true).flag(DERIVE, true);
        } else {
            // Block-cipher keys sign too: a CMAC (CKM_AES_CMAC, CKM_DES3_CMAC) is a signature with the cipher's key.
            t.flag(ENCRYPT, true).flag(DECRYPT, true).flag(WRAP, true).flag(UNWRAP, true).flag(SIGN, true).flag(VERIFY, true);
        }
        return t;
    }

    /**
     * Runs {@code creator} with {@code template} on the object session and returns the new object as
     * a key called {@code algorithm}. A session object ({@code CKA_TOKEN} false) is destroyed when the
     * key becomes unreachable; an object that cannot be read back is destroyed at once. The key's
     * length is the template's {@code CKA_VALUE_LEN} where it has one, else read when first needed.
     */
    public static P11SecretKey create(TokenContext context, Template template, String algorithm, Creator creator)
            throws Pkcs11Exception {
        return create(context, template, algorithm, -1, creator);
    }

    /**
     * As {@link #create(TokenContext, Template, String, Creator)}, for a caller that knows the new
     * key's length in bytes (an imported value: the template's {@code CKA_VALUE} is not looked at,
     * so that no further copy of it is made); -1 when it does not.
     *
     * <p>The key's attributes are taken from the template when it states them all (class, key type,
     * {@code CKA_TOKEN}, {@code CKA_SENSITIVE}, {@code CKA_EXTRACTABLE}, {@code CKA_ID}, as
     * {@link #template} does): the token made the object with exactly those or failed. Otherwise they
     * are read back in one call.
     */
    public static P11SecretKey create(TokenContext context, Template template, String algorithm, int valueLength,
                                      Creator creator) throws Pkcs11Exception {
        Stated stated = Stated.of(template);
        int length = valueLength >= 0 ? valueLength : stated.valueLen;
        return context.withObjectSession(s -> {
            long handle = creator.create(s, template);
            try {
                KeyAttributes a = stated.attributes();
                int len = length;
                if (a == null) {
                    AttributeValues v = s.getAttributesSized(handle, 256, SECRET_ATTRIBUTES);
                    a = Keys.attributes(v);
                    if (len < 0) {
                        len = v.get(VALUE_LEN).map(Long::intValue).orElse(-1);
                    }
                }
                if (a.objectClass() != CKO_SECRET_KEY) {
                    throw new InvalidKeyException("the new object is not a secret key");
                }
                ObjectRef ref = context.ref(handle, CKO_SECRET_KEY, a.id(), a.label());
                P11SecretKey secret = new P11SecretKey(context, ref, a, algorithm, len);
                if (!secret.isTokenObject()) {
                    context.destroyWhenUnreachable(secret, secret.ref());
                }
                return secret;
            } catch (InvalidKeyException | Pkcs11Exception | RuntimeException e) {
                try {
                    s.destroyObject(handle); // nothing half-made stays on the token
                } catch (Pkcs11Exception | RuntimeException ignored) {
                    // reporting the first failure
                }
                if (e instanceof Pkcs11Exception p) {
                    throw p;
                }
                throw new ProviderException("the new secret key is unreadable: " + e.getMessage(), e);
            }
        });
    }

    /** What a secret key needs, read in one call when the template does not state it. */
    private static final AttributeType<?>[] SECRET_ATTRIBUTES = {CLASS, KEY_TYPE, LABEL, ID, TOKEN, SENSITIVE, EXTRACTABLE,
            VALUE_LEN};

    /** The attributes a template states, without touching {@code CKA_VALUE}. */
    private record Stated(KeyAttributes attributes, int valueLen) {

        static Stated of(Template template) {
            Long cls = null;
            Long type = null;
            Boolean token = null;
            Boolean sensitive = null;
            Boolean extractable = null;
            byte[] id = null;
            String label = null;
            int valueLen = -1;
            for (Attribute<?> attribute : template) {
                AttributeType<?> t = attribute.type();
                if (t.equals(VALUE)) {
                    continue; // Attribute.value() would copy the key
                }
                Object v = attribute.value();
                if (t.equals(CLASS)) {
                    cls = (Long) v;
                } else if (t.equals(KEY_TYPE)) {
                    type = (Long) v;
                } else if (t.equals(TOKEN)) {
                    token = (Boolean) v;
                } else if (t.equals(SENSITIVE)) {
                    sensitive = (Boolean) v;
                } else if (t.equals(EXTRACTABLE)) {
                    extractable = (Boolean) v;
                } else if (t.equals(ID)) {
                    id = (byte[]) v;
                } else if (t.equals(LABEL)) {
                    label = (String) v;
                } else if (t.equals(VALUE_LEN)) {
                    valueLen = ((Long) v).intValue();
                }
            }
            KeyAttributes a = cls == null || type == null || token == null || sensitive == null || extractable == null
                    || id == null ? null : new KeyAttributes(cls, type, label, id, token, sensitive, extractable, false);
            return new Stated(a, valueLen);
        }
    }

    /** A reference-only view for callers that already hold the attributes (no token call). */
    public static P11SecretKey of(TokenContext context, ObjectRef ref, KeyAttributes attributes, String algorithm) {
        return new P11SecretKey(context, ref, attributes, algorithm);
    }
}
