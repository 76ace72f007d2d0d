// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;

import java.security.InvalidKeyException;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * Software public keys (from any provider) imported onto a configured provider's token, so that the
 * public operations with them — verification, encryption, key wrapping — run there too.
 *
 * <p>A key is imported once as a session object ({@code CKA_TOKEN=false}, the uses this instance was
 * made for, a random {@code CKA_ID} so that it is never mistaken for another object) on the context's
 * object session — the one session the pool never closes, since session objects die with the session
 * that made them — and kept in a small cache keyed by its X.509 encoding, so that a server using the
 * same few keys imports each once. The object is destroyed when its {@link Imported} handle becomes
 * unreachable: after eviction from the cache <em>and</em> once no engine initialized with it remains.
 * Destroying on eviction instead could pull the object from under an engine still using it on
 * another thread.
 *
 * <p>One instance serves one service family of one provider (the signature services, the RSA
 * ciphers), so the cache lives and goes with the provider. It is still kept per token context, so that
 * it can never hand out an object of another token.
 *
 * <p>Thread-safe.
 */
public final class PublicKeyImports {

    /** Keys kept imported per token: a few peers' keys, not an unbounded cache of every key seen. */
    public static final int CAPACITY = 32;

    private final Template uses;
    private final Map<TokenContext, Map<Encoding, Imported>> perToken = new IdentityHashMap<>(); // guarded by itself

    /** Imports whose objects may do {@code uses} ({@code CKA_VERIFY}, {@code CKA_ENCRYPT}, …): each set true. */
    @SafeVarargs
    public PublicKeyImports(AttributeType<Boolean>... uses) {
        Template.Builder t = Template.builder();
        for (AttributeType<Boolean> use : uses) {
            t.flag(use, true);
        }
        this.uses = t.build();
    }

    /** An imported public key object; the object lives as long as this does. */
    public static final class Imported {
        private final ObjectRef ref;

        private Imported(ObjectRef ref) {
            this.ref = ref;
        }

        public long handle(Session session) throws Pkcs11Exception {
            return ref.handle(session);
        }
    }

    /** The byte-for-byte X.509 encoding, as a map key. */
    private record Encoding(byte[] der) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Encoding e && Arrays.equals(der, e.der);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(der);
        }

        @Override
        public String toString() {
            return "Encoding[" + der.length + " bytes]";
        }
    }

    /**
     * {@code key} as an object on {@code context}'s token: from the cache, or imported now (one
     * {@code C_CreateObject}).
     *
     * @throws InvalidKeyException the key has no encoding (and is not an RSA key, whose values make one),
     *                             is of a type or curve the token cannot take, or the token refused the object
     */
    public Imported get(TokenContext context, PublicKey key) throws InvalidKeyException {
        Encoding encoding = encoding(key);
        synchronized (perToken) {
            Imported hit = recent(context).get(encoding);
            if (hit != null) {
                return hit;
            }
        }
        byte[] id = Keys.randomId();
        Template template = Template.builder().objectClass(CKO_PUBLIC_KEY).flag(TOKEN, false).flag(PRIVATE, false)
                .id(id).build().with(uses).with(Keys.publicKeyValues(key));
        long handle;
        try {
            handle = context.withObjectSession(s -> s.createObject(template));
        } catch (Pkcs11Exception e) {
            throw new InvalidKeyException("the token " + context.tokenUri() + " refused to import the " + key.getAlgorithm()
                    + " public key: " + e.getMessage(), e);
        }
        Imported imported = new Imported(context.ref(handle, CKO_PUBLIC_KEY, id, null));
        context.destroyWhenUnreachable(imported, imported.ref);
        synchronized (perToken) {
            recent(context).put(encoding, imported);
        }
        return imported;
    }

    /** Forgets {@code key}'s import (its object went away: a new one is made next time). */
    public void forget(TokenContext context, PublicKey key) {
        Encoding encoding;
        try {
            encoding = encoding(key);
        } catch (InvalidKeyException e) {
            return; // never imported
        }
        synchronized (perToken) {
            recent(context).remove(encoding);
        }
    }

    /** The cache key: the X.509 encoding, or for an RSA key that has none, the one its values give. */
    private static Encoding encoding(PublicKey key) throws InvalidKeyException {
        byte[] der = key.getEncoded();
        if (der == null && key instanceof RSAPublicKey rsa) {
            der = KeyEncodings.rsa(rsa.getModulus(), rsa.getPublicExponent());
        }
        if (der == null) {
            throw new InvalidKeyException("a " + key.getAlgorithm() + " public key without an encoding cannot be imported");
        }
        return new Encoding(der);
    }

    /** The least-recently-used map of one token; called holding the lock. */
    private Map<Encoding, Imported> recent(TokenContext context) {
        return perToken.computeIfAbsent(context, c -> new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Encoding, Imported> eldest) {
                return size() > CAPACITY;
            }
        });
    }
}
