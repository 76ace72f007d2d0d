// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Constants;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code CK_RV} → exception table of {@link Pkcs11Errors}: pure, no token. */
class Pkcs11ErrorsTest {

    /** Every code the wrapper types, and the type it must become. */
    private static Map<Long, Class<? extends Pkcs11Exception>> table() {
        Map<Long, Class<? extends Pkcs11Exception>> t = new LinkedHashMap<>();
        t.put(CKR_PIN_INCORRECT, Pkcs11Errors.PinIncorrectException.class);
        t.put(CKR_PIN_INVALID, Pkcs11Errors.PinIncorrectException.class);
        t.put(CKR_PIN_LEN_RANGE, Pkcs11Errors.PinIncorrectException.class);
        t.put(CKR_PIN_LOCKED, Pkcs11Errors.PinLockedException.class);
        t.put(CKR_PIN_EXPIRED, Pkcs11Errors.PinLockedException.class);
        t.put(CKR_USER_NOT_LOGGED_IN, Pkcs11Errors.NotLoggedInException.class);
        t.put(CKR_SESSION_HANDLE_INVALID, Pkcs11Errors.SessionInvalidException.class);
        t.put(CKR_SESSION_CLOSED, Pkcs11Errors.SessionInvalidException.class);
        t.put(CKR_TOKEN_NOT_PRESENT, Pkcs11Errors.TokenNotPresentException.class);
        t.put(CKR_DEVICE_REMOVED, Pkcs11Errors.TokenNotPresentException.class);
        t.put(CKR_TOKEN_NOT_RECOGNIZED, Pkcs11Errors.TokenNotPresentException.class);
        t.put(CKR_DEVICE_ERROR, Pkcs11Errors.DeviceException.class);
        t.put(CKR_CRYPTOKI_NOT_INITIALIZED, Pkcs11Errors.DeviceException.class);
        t.put(CKR_GENERAL_ERROR, Pkcs11Errors.DeviceException.class);
        t.put(CKR_DEVICE_MEMORY, Pkcs11Errors.DeviceException.class);
        t.put(CKR_HOST_MEMORY, Pkcs11Errors.DeviceException.class);
        t.put(CKR_KEY_HANDLE_INVALID, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_KEY_TYPE_INCONSISTENT, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_KEY_SIZE_RANGE, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_KEY_FUNCTION_NOT_PERMITTED, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_KEY_NOT_WRAPPABLE, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_KEY_UNEXTRACTABLE, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_OBJECT_HANDLE_INVALID, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_WRAPPING_KEY_HANDLE_INVALID, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_WRAPPING_KEY_TYPE_INCONSISTENT, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_UNWRAPPING_KEY_HANDLE_INVALID, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, Pkcs11Errors.KeyInvalidException.class);
        t.put(CKR_MECHANISM_INVALID, Pkcs11Errors.MechanismInvalidException.class);
        t.put(CKR_MECHANISM_PARAM_INVALID, Pkcs11Errors.MechanismInvalidException.class);
        t.put(CKR_BUFFER_TOO_SMALL, Pkcs11Errors.DataException.class);
        t.put(CKR_DATA_LEN_RANGE, Pkcs11Errors.DataException.class);
        t.put(CKR_ENCRYPTED_DATA_LEN_RANGE, Pkcs11Errors.DataException.class);
        t.put(CKR_SIGNATURE_LEN_RANGE, Pkcs11Errors.DataException.class);
        t.put(CKR_DATA_INVALID, Pkcs11Errors.DataException.class);
        t.put(CKR_ENCRYPTED_DATA_INVALID, Pkcs11Errors.DataException.class);
        t.put(CKR_WRAPPED_KEY_LEN_RANGE, Pkcs11Errors.DataException.class);
        t.put(CKR_WRAPPED_KEY_INVALID, Pkcs11Errors.DataException.class);
        return t;
    }

    @Test
    void everyTypedCodeBecomesItsType() {
        table().forEach((rv, type) -> {
            Pkcs11Exception e = Pkcs11Errors.of(Pkcs11Function.C_Sign, rv);
            assertThat(e).as(Pkcs11Constants.rvName(rv)).isExactlyInstanceOf(type);
            assertThat(e.rv()).isEqualTo(rv);
            assertThat(e.function()).isEqualTo(Pkcs11Function.C_Sign);
            assertThat(e.getMessage()).isEqualTo(Pkcs11Exception.describe(Pkcs11Function.C_Sign, rv));
        });
    }

    @Test
    void everyOtherCkrIsAPlainPkcs11Exception() throws IllegalAccessException {
        Map<Long, Class<? extends Pkcs11Exception>> typed = table();
        int plain = 0;
        for (Field f : Pkcs11Constants.class.getFields()) {
            if (!f.getName().startsWith("CKR_") || !Modifier.isStatic(f.getModifiers()) || f.getType() != long.class) {
                continue;
            }
            long rv = f.getLong(null);
            if (rv == CKR_OK || typed.containsKey(rv)) {
                continue;
            }
            assertThat(Pkcs11Errors.of(Pkcs11Function.C_Encrypt, rv)).as(f.getName())
                    .isExactlyInstanceOf(Pkcs11Exception.class);
            plain++;
        }
        assertThat(plain).as("the untyped rest of the CKR_ table").isGreaterThan(50);
        // Vendor codes too.
        assertThat(Pkcs11Errors.of(Pkcs11Function.C_Encrypt, CKR_VENDOR_DEFINED + 7))
                .isExactlyInstanceOf(Pkcs11Exception.class).hasMessageContaining("0x80000007");
    }

    @Test
    void checkPassesOkAndThrowsTheTypedRest() {
        assertThatCode(() -> Pkcs11Errors.check(Pkcs11Function.C_Login, CKR_OK)).doesNotThrowAnyException();
        assertThatThrownBy(() -> Pkcs11Errors.check(Pkcs11Function.C_Login, CKR_PIN_INCORRECT))
                .isExactlyInstanceOf(Pkcs11Errors.PinIncorrectException.class)
                .hasMessage("C_Login: CKR_PIN_INCORRECT (0x000000A0)");
        assertThatThrownBy(() -> Pkcs11Errors.check(Pkcs11Function.C_Login, CKR_USER_TYPE_INVALID))
                .isExactlyInstanceOf(Pkcs11Exception.class);
    }

    @Test
    void everyTypedExceptionIsAPkcs11Exception() {
        for (Class<?> c : Pkcs11Errors.class.getDeclaredClasses()) {
            assertThat(Pkcs11Exception.class).as(c.getSimpleName()).isAssignableFrom(c);
            assertThat(Modifier.isFinal(c.getModifiers())).isTrue();
        }
    }

    @Test
    void sessionLostCodes() {
        for (long rv : new long[] {CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_TOKEN_NOT_PRESENT,
                CKR_DEVICE_REMOVED, CKR_DEVICE_ERROR, CKR_CRYPTOKI_NOT_INITIALIZED, CKR_TOKEN_NOT_RECOGNIZED}) {
            assertThat(Pkcs11Errors.isSessionLost(rv)).as(Pkcs11Constants.rvName(rv)).isTrue();
        }
        for (long rv : new long[] {CKR_OK, CKR_PIN_INCORRECT, CKR_USER_NOT_LOGGED_IN, CKR_GENERAL_ERROR,
                CKR_KEY_HANDLE_INVALID, CKR_OPERATION_ACTIVE}) {
            assertThat(Pkcs11Errors.isSessionLost(rv)).as(Pkcs11Constants.rvName(rv)).isFalse();
        }
    }

    @Test
    void typedRefinesWhatTheSysLayerThrows() {
        Pkcs11Exception plain = new Pkcs11Exception(Pkcs11Function.C_WrapKey, CKR_KEY_UNEXTRACTABLE);
        Pkcs11Exception t = Pkcs11Errors.typed(plain);
        assertThat(t).isExactlyInstanceOf(Pkcs11Errors.KeyInvalidException.class);
        assertThat(t.rv()).isEqualTo(CKR_KEY_UNEXTRACTABLE);
        assertThat(t.function()).isEqualTo(Pkcs11Function.C_WrapKey);
        // Already typed, or nothing to type it as: the same exception, message and context kept.
        Pkcs11Exception already = Pkcs11Errors.of(Pkcs11Function.C_Sign, CKR_DATA_LEN_RANGE);
        assertThat(Pkcs11Errors.typed(already)).isSameAs(already);
        Pkcs11Exception untyped = new Pkcs11Exception(Pkcs11Function.C_WrapKey, CKR_FUNCTION_FAILED, "context");
        assertThat(Pkcs11Errors.typed(untyped)).isSameAs(untyped);
    }
}
