// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.uri.Pkcs11Uri;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * What the provider reads of a key object once, when it finds or creates it: enough to name it, to
 * choose mechanisms and to know what it may do, without further token calls.
 */
public record KeyAttributes(long objectClass, long keyType, String label, byte[] id, boolean tokenObject,
                            boolean sensitive, boolean extractable, boolean alwaysAuthenticate) {

    public KeyAttributes {
        id = id == null ? null : id.clone();
    }

    @Override
    public byte[] id() {
        return id == null ? null : id.clone();
    }

    /** The URI {@code type} for the object class. */
    public Pkcs11Uri.Type uriType() {
        if (objectClass == CKO_PRIVATE_KEY) {
            return Pkcs11Uri.Type.PRIVATE;
        } else if (objectClass == CKO_PUBLIC_KEY) {
            return Pkcs11Uri.Type.PUBLIC;
        } else if (objectClass == CKO_SECRET_KEY) {
            return Pkcs11Uri.Type.SECRET_KEY;
        }
        return Pkcs11Uri.Type.CERT;
    }
}
