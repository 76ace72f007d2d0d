// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.P11jKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.Session;

import java.security.PublicKey;
import java.util.Arrays;

/**
 * A public key read from the token. It is an ordinary {@code java.security} public key (X.509
 * encoding, the standard RSA/EC/EdEC interfaces), so any provider can use it; it also remembers its
 * token object, so that P11J verifies with it on the token without importing it.
 */
public abstract class P11PublicKey implements PublicKey, P11jKey {

    private static final long serialVersionUID = 1L;

    private final transient TokenContext context;
    private final transient ObjectRef ref;
    private final transient KeyAttributes attributes;
    private transient volatile byte[] encoded;

    P11PublicKey(TokenContext context, ObjectRef ref, KeyAttributes attributes) {
        this.context = context;
        this.ref = ref;
        this.attributes = attributes;
    }

    /** The X.509 encoding, built on first use: JSSE's ephemeral keys, for one, never need it. */
    abstract byte[] encode();

    private byte[] encoded() {
        byte[] e = encoded;
        if (e == null) {
            e = encode();
            encoded = e;
        }
        return e;
    }

    public TokenContext context() {
        return context;
    }

    /** The public key object's handle on {@code session}, found again if needed. */
    public long handle(Session session) throws Pkcs11Exception {
        return ref.handle(session);
    }

    @Override
    public Pkcs11Uri uri() {
        return context.objectUri(attributes.label(), Pkcs11Uri.Type.PUBLIC, attributes.id());
    }

    @Override
    public String label() {
        return attributes.label();
    }

    @Override
    public byte[] id() {
        return attributes.id();
    }

    @Override
    public boolean isTokenObject() {
        return attributes.tokenObject();
    }

    @Override
    public boolean isSensitive() {
        return false;
    }

    @Override
    public boolean isExtractable() {
        return true;
    }

    @Override
    public String getFormat() {
        return "X.509";
    }

    @Override
    public byte[] getEncoded() {
        return encoded().clone();
    }

    /** Equal to any public key with the same X.509 encoding, as the JDK's own keys are. */
    @Override
    public boolean equals(Object o) {
        return o instanceof PublicKey k && "X.509".equals(k.getFormat()) && Arrays.equals(encoded(), k.getEncoded());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded());
    }

    /** Software keys are written in the JDK's way; ours also name their token object. */
    protected final Object writeReplace() {
        return new java.security.KeyRep(java.security.KeyRep.Type.PUBLIC, getAlgorithm(), "X.509", encoded());
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + getAlgorithm() + ", " + uri() + "]";
    }
}
