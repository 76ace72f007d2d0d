// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import static io.p11j.sys.Pkcs11Constants.*;

/** {@code CK_MECHANISM_INFO} flags: what a mechanism can be used for on a token. */
public enum MechanismFlag implements Flag {
    HW(CKF_HW),
    ENCRYPT(CKF_ENCRYPT),
    DECRYPT(CKF_DECRYPT),
    DIGEST(CKF_DIGEST),
    SIGN(CKF_SIGN),
    SIGN_RECOVER(CKF_SIGN_RECOVER),
    VERIFY(CKF_VERIFY),
    VERIFY_RECOVER(CKF_VERIFY_RECOVER),
    GENERATE(CKF_GENERATE),
    GENERATE_KEY_PAIR(CKF_GENERATE_KEY_PAIR),
    WRAP(CKF_WRAP),
    UNWRAP(CKF_UNWRAP),
    DERIVE(CKF_DERIVE),
    EC_F_P(CKF_EC_F_P),
    EC_F_2M(CKF_EC_F_2M),
    EC_ECPARAMETERS(CKF_EC_ECPARAMETERS),
    EC_OID(CKF_EC_OID),
    EC_UNCOMPRESS(CKF_EC_UNCOMPRESS),
    EC_COMPRESS(CKF_EC_COMPRESS),
    MESSAGE_ENCRYPT(CKF_MESSAGE_ENCRYPT),
    MESSAGE_DECRYPT(CKF_MESSAGE_DECRYPT),
    MESSAGE_SIGN(CKF_MESSAGE_SIGN),
    MESSAGE_VERIFY(CKF_MESSAGE_VERIFY),
    MULTI_MESSAGE(CKF_MULTI_MESSAGE),
    FIND_OBJECTS(CKF_FIND_OBJECTS),
    EXTENSION(CKF_EXTENSION);

    private final long bit;

    MechanismFlag(long bit) {
        this.bit = bit;
    }

    @Override
    public long bit() {
        return bit;
    }
}
