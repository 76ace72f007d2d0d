// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.token.JdkRandom;
import io.p11j.provider.key.Keys;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.attribute.Template;

import java.security.InvalidKeyException;
import java.security.interfaces.RSAPublicKey;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * Software RSA public keys (from any provider) imported onto a configured provider's token, so that
 * encryption and key wrapping with them run there, as verification does with the signature
 * services' imports.
 *
 * <p>A key is imported once as a session object ({@code CKA_TOKEN=false}, {@code CKA_ENCRYPT} and
 * {@code CKA_WRAP} true, a random {@code CKA_ID}) on the context's object session, which outlives
 * the call, and kept in a small least-recently-used cache keyed by its modulus and exponent. The
 * object is destroyed once its {@link Imported} handle is unreachable: evicted <em>and</em> no
 * cipher initialized with it remains.
 *
 * <p>One instance serves the RSA cipher services of one provider. Thread-safe.
 */
final class RsaPublicKeyImports {

    /** Keys kept imported per token: a few recipients' keys, not every key seen. */
    static final int CAPACITY = 32;
    private static final int ID_BYTES = 16;
    private static final SecureRandom IDS = JdkRandom.get();

    private final Map<TokenContext, Map<Value, Imported>> perToken = new IdentityHashMap<>(); // guarded by itself

    /** An imported public key object; the object lives as long as this does. */
    static final class Imported {
        private final ObjectRef ref;

        private Imported(ObjectRef ref) {
            this.ref = ref;
        }

        long handle(Session session) throws Pkcs11Exception {
            return ref.handle(session);
        }
    }

    /** The public values, as a map key. */
    private record Value(byte[] modulus, byte[] exponent) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Value v && Arrays.equals(modulus, v.modulus) && Arrays.equals(exponent, v.exponent);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(modulus) * 31 + Arrays.hashCode(exponent);
        }
    }

    /**
     * {@code key} as an object on {@code context}'s token: from the cache, or imported now (one
     * {@code C_CreateObject}).
     *
     * @throws InvalidKeyException the token refused the object
     */
    Imported get(TokenContext context, RSAPublicKey key) throws InvalidKeyException {
        Value value = new Value(key.getModulus().toByteArray(), key.getPublicExponent().toByteArray());
        synchronized (perToken) {
            Imported hit = recent(context).get(value);
            if (hit != null) {
                return hit;
            }
        }
        byte[] id = new byte[ID_BYTES];
        IDS.nextBytes(id);
        Template template = Template.builder().objectClass(CKO_PUBLIC_KEY).flag(TOKEN, false).flag(PRIVATE, false)
                .flag(ENCRYPT, true).flag(WRAP, true).id(id).build().with(Keys.publicKeyValues(key));
        long handle;
        try {
            handle = context.withObjectSession(s -> s.createObject(template));
        } catch (Pkcs11Exception e) {
            throw new InvalidKeyException("the token " + context.tokenUri() + " refused to import the RSA public key: "
                    + e.getMessage(), e);
        }
        Imported imported = new Imported(context.ref(handle, CKO_PUBLIC_KEY, id, null));
        context.destroyWhenUnreachable(imported, imported.ref);
        synchronized (perToken) {
            recent(context).put(value, imported);
        }
        return imported;
    }

    /** Forgets {@code key}'s import (its object went away: a new one is made next time). */
    void forget(TokenContext context, RSAPublicKey key) {
        Value value = new Value(key.getModulus().toByteArray(), key.getPublicExponent().toByteArray());
        synchronized (perToken) {
            recent(context).remove(value);
        }
    }

    /** The least-recently-used map of one token; called holding the lock. */
    private Map<Value, Imported> recent(TokenContext context) {
        return perToken.computeIfAbsent(context, c -> new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Value, Imported> eldest) {
                return size() > CAPACITY;
            }
        });
    }
}
