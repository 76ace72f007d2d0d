// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import java.util.Locale;

/**
 * A PKCS#11 function returned something other than {@code CKR_OK}. Carries the {@code CK_RV} and the
 * function, and reads, for example, {@code "C_Login: CKR_PIN_INCORRECT (0x000000A0)"}. The message
 * never contains the call's arguments, so no PIN or key material can leak through it.
 *
 * <p>The wrapper layer refines this into subtypes for the cases callers act on.
 */
public class Pkcs11Exception extends Exception {

    private static final long serialVersionUID = 1L;

    private final long rv;
    private final Pkcs11Function function;

    public Pkcs11Exception(Pkcs11Function function, long rv) {
        this(function, rv, null);
    }

    /** With {@code context} appended to the message: it must not hold secrets. */
    public Pkcs11Exception(Pkcs11Function function, long rv, String context) {
        super(describe(function, rv) + (context == null ? "" : ": " + context));
        this.rv = rv;
        this.function = function;
    }

    /** Throws unless {@code rv} is {@code CKR_OK}. */
    public static void check(Pkcs11Function function, long rv) throws Pkcs11Exception {
        if (rv != Pkcs11Constants.CKR_OK) {
            throw new Pkcs11Exception(function, rv);
        }
    }

    /** {@code "C_Login: CKR_PIN_INCORRECT (0x000000A0)"}. */
    public static String describe(Pkcs11Function function, long rv) {
        return function + ": " + Pkcs11Constants.rvName(rv) + " (0x" + String.format(Locale.ROOT, "%08X", rv) + ")";
    }

    /** The {@code CK_RV} value. */
    public long rv() {
        return rv;
    }

    /** The {@code CKR_} name of {@link #rv()}. */
    public String rvName() {
        return Pkcs11Constants.rvName(rv);
    }

    /** The function that returned it. */
    public Pkcs11Function function() {
        return function;
    }
}
