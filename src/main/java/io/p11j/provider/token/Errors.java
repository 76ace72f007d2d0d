// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.token;

import io.p11j.sys.Pkcs11Exception;

import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.ProviderException;
import java.security.SignatureException;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * The one place that turns {@code CKR_*} failures into the exceptions the JCA documents. Every
 * exception keeps the {@link Pkcs11Exception} (function and {@code CKR_} name) as its cause and never
 * carries arguments (data, keys, PINs).
 *
 * <table>
 *   <caption>CKR to JCA</caption>
 *   <tr><th>CKR</th><th>surfaces as</th></tr>
 *   <tr><td>KEY_HANDLE_INVALID, KEY_TYPE_INCONSISTENT, KEY_FUNCTION_NOT_PERMITTED, KEY_SIZE_RANGE</td><td>{@code InvalidKeyException}</td></tr>
 *   <tr><td>MECHANISM_INVALID, MECHANISM_PARAM_INVALID</td><td>{@code InvalidAlgorithmParameterException} (at init: {@code InvalidKeyException})</td></tr>
 *   <tr><td>SIGNATURE_INVALID, SIGNATURE_LEN_RANGE</td><td>{@code verify} returns false</td></tr>
 *   <tr><td>DATA_LEN_RANGE, DATA_INVALID</td><td>{@code SignatureException}</td></tr>
 *   <tr><td>USER_NOT_LOGGED_IN</td><td>{@code InvalidKeyException} at init, naming the missing login</td></tr>
 *   <tr><td>anything else (device, session, general errors)</td><td>{@code ProviderException}</td></tr>
 * </table>
 */
public final class Errors {

    private Errors() {
    }

    /** The key cannot be used for this: wrong type, not permitted, gone, or no login. */
    public static boolean isKeyProblem(long rv) {
        return rv == CKR_KEY_HANDLE_INVALID || rv == CKR_KEY_TYPE_INCONSISTENT || rv == CKR_KEY_FUNCTION_NOT_PERMITTED
                || rv == CKR_KEY_SIZE_RANGE || rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_OBJECT_HANDLE_INVALID
                || rv == CKR_KEY_UNEXTRACTABLE || rv == CKR_KEY_NOT_WRAPPABLE;
    }

    public static boolean isMechanismProblem(long rv) {
        return rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID;
    }

    /** A signature that does not verify (the JCA wants {@code false}, not an exception). */
    public static boolean isSignatureInvalid(long rv) {
        return rv == CKR_SIGNATURE_INVALID || rv == CKR_SIGNATURE_LEN_RANGE;
    }

    public static boolean isDataProblem(long rv) {
        return rv == CKR_DATA_LEN_RANGE || rv == CKR_DATA_INVALID;
    }

    public static InvalidKeyException invalidKey(String what, Pkcs11Exception e) {
        String hint = e.rv() == CKR_USER_NOT_LOGGED_IN ? " (log in first: a PIN in the URI, KeyStore.load, or AuthProvider.login)" : "";
        return new InvalidKeyException(what + ": " + e.getMessage() + hint, e);
    }

    public static InvalidAlgorithmParameterException invalidParameter(String what, Pkcs11Exception e) {
        return new InvalidAlgorithmParameterException(what + ": " + e.getMessage(), e);
    }

    public static SignatureException signature(String what, Pkcs11Exception e) {
        return new SignatureException(what + ": " + e.getMessage(), e);
    }

    public static ProviderException provider(String what, Pkcs11Exception e) {
        return new ProviderException(what + ": " + e.getMessage(), e);
    }

    /** For an init method: key and mechanism problems as {@code InvalidKeyException}, the rest as {@code ProviderException}. */
    public static InvalidKeyException atInit(String what, Pkcs11Exception e) {
        if (isKeyProblem(e.rv()) || isMechanismProblem(e.rv())) {
            return invalidKey(what, e);
        }
        throw provider(what, e);
    }
}
