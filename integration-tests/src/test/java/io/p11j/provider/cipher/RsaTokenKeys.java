// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.key.Keys;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.key.P11RsaPrivateKey;
import io.p11j.provider.key.P11RsaPublicKey;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.TestToken;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.Pkcs11Module;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.UserType;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;

import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * The RSA tests' own hands on the token, through the wrapper: imports known (software) RSA keys as
 * token objects the way a key-management tool would — the private key sensitive, never
 * extractable, with {@code CKA_DECRYPT} and {@code CKA_UNWRAP}; the public key with
 * {@code CKA_ENCRYPT} and {@code CKA_WRAP} — and creates AES keys of known value for wrapping. The
 * provider then finds them by label through its KeyStore.
 */
final class RsaTokenKeys implements AutoCloseable {

    private final Pkcs11Module module;
    private final Session session;

    private RsaTokenKeys(Pkcs11Module module, Session session) {
        this.module = module;
        this.session = session;
    }

    static RsaTokenKeys open(TestToken token) throws Exception {
        Pkcs11Module m = Pkcs11Module.open(SoftHsm.get().modulePath());
        Session s = m.tokens(Pkcs11Uri.builder().token(token.label()).build()).get(0).openSession(true);
        s.login(UserType.USER, token.userPinChars()); // CKR_USER_ALREADY_LOGGED_IN counts as success
        return new RsaTokenKeys(m, s);
    }

    Session session() {
        return session;
    }

    /** A software RSA key pair (SunRsaSign). */
    static KeyPair softwarePair(int bits) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
        g.initialize(bits);
        return g.generateKeyPair();
    }

    /** {@code key} as a sensitive, non-extractable token private key with {@code CKA_DECRYPT} and {@code CKA_UNWRAP}. */
    long importPrivate(RSAPrivateCrtKey key, String label) throws Exception {
        return importPrivate(key, label, false);
    }

    /** As {@link #importPrivate(RSAPrivateCrtKey, String)}, with {@code CKA_ALWAYS_AUTHENTICATE} when asked. */
    long importPrivate(RSAPrivateCrtKey key, String label, boolean alwaysAuthenticate) throws Exception {
        return session.createObject(Template.builder().objectClass(CKO_PRIVATE_KEY).keyType(CKK_RSA).flag(TOKEN, true)
                .flag(ALWAYS_AUTHENTICATE, alwaysAuthenticate)
                .flag(PRIVATE, true).flag(SENSITIVE, true).flag(EXTRACTABLE, false).flag(DECRYPT, true).flag(UNWRAP, true)
                .flag(SIGN, false).label(label).id(label.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .bigInteger(MODULUS, key.getModulus()).bigInteger(PUBLIC_EXPONENT, key.getPublicExponent())
                .bigInteger(PRIVATE_EXPONENT, key.getPrivateExponent()).bigInteger(PRIME_1, key.getPrimeP())
                .bigInteger(PRIME_2, key.getPrimeQ()).bigInteger(EXPONENT_1, key.getPrimeExponentP())
                .bigInteger(EXPONENT_2, key.getPrimeExponentQ()).bigInteger(COEFFICIENT, key.getCrtCoefficient()).build());
    }

    /** {@code key} as a token public key with {@code CKA_ENCRYPT} and {@code CKA_WRAP}. */
    long importPublic(RSAPublicKey key, String label) throws Exception {
        return session.createObject(Template.builder().objectClass(CKO_PUBLIC_KEY).keyType(CKK_RSA).flag(TOKEN, true)
                .flag(PRIVATE, false).flag(ENCRYPT, true).flag(WRAP, true).flag(VERIFY, false).label(label)
                .id(label.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .bigInteger(MODULUS, key.getModulus()).bigInteger(PUBLIC_EXPONENT, key.getPublicExponent()).build());
    }

    /** Both halves of {@code pair}, labelled {@code label}. */
    void importPair(KeyPair pair, String label) throws Exception {
        importPrivate((RSAPrivateCrtKey) pair.getPrivate(), label);
        importPublic((RSAPublicKey) pair.getPublic(), label);
    }

    /** An AES key of known value as a token object: sensitive, and extractable (so that it can be wrapped) when asked. */
    long aes(byte[] value, String label, boolean extractable) throws Exception {
        return session.createObject(Template.builder().objectClass(CKO_SECRET_KEY).keyType(CKK_AES).flag(TOKEN, true)
                .flag(PRIVATE, true).flag(SENSITIVE, true).flag(EXTRACTABLE, extractable).flag(ENCRYPT, true)
                .flag(DECRYPT, true).label(label).set(VALUE, value).build());
    }

    /** One AES-ECB block under the token secret key labelled {@code label}: how a test checks an unwrapped key's value. */
    byte[] aesBlock(String label, byte[] block) throws Exception {
        List<Long> found = session.findAll(Template.builder().objectClass(CKO_SECRET_KEY).label(label).build());
        if (found.size() != 1) {
            throw new IllegalStateException(found.size() + " secret keys labelled " + label);
        }
        return session.encrypt(Mechanism.of(CKM_AES_ECB), found.get(0), block);
    }

    /** The provider's key (private or secret) labelled {@code label}, through a freshly loaded KeyStore. */
    static Key key(Provider provider, String label) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS11-URI", provider);
        ks.load(null, null);
        Key key = ks.getKey(label, null);
        if (key == null) {
            throw new IllegalStateException("no key labelled " + label);
        }
        return key;
    }

    static P11RsaPrivateKey privateKey(Provider provider, String label) throws Exception {
        return (P11RsaPrivateKey) key(provider, label);
    }

    /**
     * The token public key labelled {@code label} as the provider's key object: found on the token of
     * {@code sameToken} (a key of the same provider). The KeyStore hands out no bare public keys.
     */
    static P11RsaPublicKey publicKey(P11Key sameToken, String label) throws Exception {
        var context = sameToken.context();
        return (P11RsaPublicKey) context.execute(s -> {
            try {
                return Keys.loadPublic(context, s, s.findAll(Template.builder().objectClass(CKO_PUBLIC_KEY).label(label).build())
                        .get(0));
            } catch (java.security.InvalidKeyException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Override
    public void close() throws io.p11j.sys.Pkcs11Exception {
        try {
            session.close();
        } finally {
            module.close();
        }
    }
}
