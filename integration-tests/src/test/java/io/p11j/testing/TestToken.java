// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.Pkcs11Library;

/**
 * A fresh SoftHSM2 token made for one test class by {@link SoftHsmExtension}: its label, slot and
 * PINs. The PINs are test constants, not secrets.
 */
public record TestToken(Pkcs11Library library, long slotId, String label, String soPin, String userPin) {

    public Pkcs11Functions functions() {
        return library.functions();
    }

    public char[] userPinChars() {
        return userPin.toCharArray();
    }

    public char[] soPinChars() {
        return soPin.toCharArray();
    }

    @Override
    public String toString() {
        return "TestToken[" + label + " in slot " + slotId + "]";
    }
}
