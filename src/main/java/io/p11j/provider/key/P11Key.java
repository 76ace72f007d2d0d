// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.P11jKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.PinSupplier;
import io.p11j.wrapper.Session;

import java.io.NotSerializableException;
import java.io.ObjectStreamException;

/**
 * A private or secret key that is a token object: its context (which token), a reference that
 * finds the object again after a session recovery, and the attributes read when it was found.
 * Immutable; the key's value is never held.
 */
public abstract class P11Key implements P11jKey {

    private static final long serialVersionUID = 1L;

    private final transient TokenContext context;
    private final transient ObjectRef ref;
    private final transient KeyAttributes attributes;
    private transient volatile PinSupplier contextPin;

    protected P11Key(TokenContext context, ObjectRef ref, KeyAttributes attributes) {
        this.context = context;
        this.ref = ref;
        this.attributes = attributes;
    }

    /**
     * Where the PIN for a context-specific login comes from ({@code CKA_ALWAYS_AUTHENTICATE} keys):
     * set by the KeyStore from the key password or its protection parameter. Null: none known.
     */
    public PinSupplier contextPin() {
        return contextPin;
    }

    /** Sets {@link #contextPin()}; the KeyStore does this when it hands out a key that needs one. */
    public void contextPin(PinSupplier pins) {
        this.contextPin = pins;
    }

    /** The token this key lives on: operations with the key run there. */
    public TokenContext context() {
        return context;
    }

    /** The key's handle for use on {@code session} (a session of the context's pool), found again if needed. */
    public long handle(Session session) throws Pkcs11Exception {
        return ref.handle(session);
    }

    public ObjectRef ref() {
        return ref;
    }

    public KeyAttributes attributes() {
        return attributes;
    }

    /** {@code CKK_*}. */
    public long keyType() {
        return attributes.keyType();
    }

    /** Whether every use needs a context-specific login ({@code CKA_ALWAYS_AUTHENTICATE}). */
    public boolean alwaysAuthenticate() {
        return attributes.alwaysAuthenticate();
    }

    @Override
    public Pkcs11Uri uri() {
        return context.objectUri(attributes.label(), attributes.uriType(), attributes.id());
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
        return attributes.sensitive();
    }

    @Override
    public boolean isExtractable() {
        return attributes.extractable();
    }

    /** A token key has no value to give: sensitive keys never leave the token. */
    @Override
    public String getFormat() {
        return null;
    }

    @Override
    public byte[] getEncoded() {
        return null;
    }

    /** Token keys are references to objects of one process's sessions: they cannot be serialized. */
    protected final Object writeReplace() throws ObjectStreamException {
        throw new NotSerializableException("a P11J token key is a reference to a token object; serialize its uri() instead");
    }

    /** The same object of the same token: class, id and label (what ObjectRef finds it by), however it was loaded. */
    @Override
    public boolean equals(Object o) {
        return o instanceof P11Key k && k.context == context && k.ref.objectClass() == ref.objectClass()
                && java.util.Arrays.equals(k.attributes.id(), attributes.id())
                && java.util.Objects.equals(k.attributes.label(), attributes.label())
                && k.attributes.tokenObject() == attributes.tokenObject();
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(attributes.id()) * 31 + java.util.Objects.hashCode(attributes.label());
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + getAlgorithm() + ", " + uri() + (isTokenObject() ? "" : ", session object") + "]";
    }
}
