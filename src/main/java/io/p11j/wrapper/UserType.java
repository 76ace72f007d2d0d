// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import static io.p11j.sys.Pkcs11Constants.*;

/** {@code CKU_*}: who logs in. */
public enum UserType {
    /** The security officer. */
    SO(CKU_SO),
    /** The normal user. */
    USER(CKU_USER),
    /** Re-authentication for one operation on a key with {@code CKA_ALWAYS_AUTHENTICATE}. */
    CONTEXT_SPECIFIC(CKU_CONTEXT_SPECIFIC);

    private final long code;

    UserType(long code) {
        this.code = code;
    }

    public long code() {
        return code;
    }
}
