// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Pointer;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;

import static io.p11j.sys.Pkcs11Constants.*;

/** {@code CK_SESSION_INFO}. */
public record SessionInfo(long slotId, State state, boolean readWrite, long deviceError) {

    /** {@code CKS_*}: the session's state, which includes who is logged in. */
    public enum State {
        RO_PUBLIC, RO_USER, RW_PUBLIC, RW_USER, RW_SO, UNKNOWN;

        static State of(long cks) {
            if (cks == CKS_RO_PUBLIC_SESSION) {
                return RO_PUBLIC;
            }
            if (cks == CKS_RO_USER_FUNCTIONS) {
                return RO_USER;
            }
            if (cks == CKS_RW_PUBLIC_SESSION) {
                return RW_PUBLIC;
            }
            if (cks == CKS_RW_USER_FUNCTIONS) {
                return RW_USER;
            }
            if (cks == CKS_RW_SO_FUNCTIONS) {
                return RW_SO;
            }
            return UNKNOWN;
        }

        /** Whether a user (not the SO) is logged in. */
        public boolean userLoggedIn() {
            return this == RO_USER || this == RW_USER;
        }
    }

    static SessionInfo read(Pointer p) {
        StructLayout l = Structs.CK_SESSION_INFO.layout();
        return new SessionInfo(l.field("slotID").getULong(p), State.of(l.field("state").getULong(p)),
                (l.field("flags").getULong(p) & CKF_RW_SESSION) != 0, l.field("ulDeviceError").getULong(p));
    }
}
