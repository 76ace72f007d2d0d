// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.config;

import io.p11j.sys.Pkcs11Constants;

import java.security.InvalidParameterException;

/** Mechanism names in configuration files: {@code CKM_SHA256_RSA_PKCS} or a number ({@code 0x00000040}). */
final class Mechanisms {

    private Mechanisms() {
    }

    static long parse(String text, String source) {
        String t = text.strip();
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            if (Character.isDigit(t.charAt(0))) {
                return Long.parseLong(t);
            }
        } catch (NumberFormatException e) {
            throw new InvalidParameterException(source + ": not a mechanism number: '" + t + "'");
        }
        if (t.startsWith("CKM_")) {
            try {
                // The generated constants are the name table: one public static final long per CKM_ name.
                return Pkcs11Constants.class.getField(t).getLong(null);
            } catch (NoSuchFieldException | IllegalAccessException e) {
                // fall through
            }
        }
        throw new InvalidParameterException(source + ": unknown mechanism '" + t + "' (use a CKM_ name or a number)");
    }
}
