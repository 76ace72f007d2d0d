// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.uri.Pkcs11Uri;

import java.util.HexFormat;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * One object as the index knows it: handle, class, {@code CKA_ID} and {@code CKA_LABEL}, read once
 * when the token is enumerated: private keys, secret keys and X.509 certificates (the entries'
 * objects), and public keys (which pair keys with certificates, and are deleted with their entry).
 */
final class TokenObject {

    private static final HexFormat HEX = HexFormat.of();

    private final long handle;
    private final long objectClass;
    private final byte[] id;
    private final String label;

    /** {@code id} and {@code label} as the token gave them; an empty id or label counts as none. */
    TokenObject(long handle, long objectClass, byte[] id, String label) {
        this.handle = handle;
        this.objectClass = objectClass;
        this.id = id == null ? new byte[0] : id.clone();
        this.label = label == null ? "" : label;
    }

    long handle() {
        return handle;
    }

    long objectClass() {
        return objectClass;
    }

    /** A copy of {@code CKA_ID}; empty when the object has none. */
    byte[] id() {
        return id.clone();
    }

    /** {@code CKA_LABEL}; empty when the object has none. */
    String label() {
        return label;
    }

    boolean hasId() {
        return id.length > 0;
    }

    boolean hasLabel() {
        return !label.isEmpty();
    }

    /** The id as a map key (hex). */
    String idKey() {
        return HEX.formatHex(id);
    }

    boolean isPrivateKey() {
        return objectClass == CKO_PRIVATE_KEY;
    }

    boolean isSecretKey() {
        return objectClass == CKO_SECRET_KEY;
    }

    boolean isCertificate() {
        return objectClass == CKO_CERTIFICATE;
    }

    Pkcs11Uri.Type type() {
        return Pkcs11Uri.Type.fromObjectClass(objectClass).orElseThrow();
    }

    /** What a {@code pkcs11:} URI is matched against. */
    Pkcs11Uri.ObjectInfo info() {
        return new Pkcs11Uri.ObjectInfo(label, type(), id);
    }

    @Override
    public String toString() {
        return type() + "#" + handle + (hasLabel() ? " '" + label + "'" : "") + (hasId() ? " id " + idKey() : "");
    }
}
