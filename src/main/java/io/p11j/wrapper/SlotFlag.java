// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import static io.p11j.sys.Pkcs11Constants.*;

/** {@code CK_SLOT_INFO} flags. */
public enum SlotFlag implements Flag {
    TOKEN_PRESENT(CKF_TOKEN_PRESENT),
    REMOVABLE_DEVICE(CKF_REMOVABLE_DEVICE),
    HW_SLOT(CKF_HW_SLOT);

    private final long bit;

    SlotFlag(long bit) {
        this.bit = bit;
    }

    @Override
    public long bit() {
        return bit;
    }
}
