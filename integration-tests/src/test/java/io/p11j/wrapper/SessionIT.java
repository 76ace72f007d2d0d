// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link Session} lifecycle and login against SoftHSM2 2.6.1. */
@ExtendWith(SoftHsmExtension.class)
class SessionIT {

    private static final String WRONG_PIN = "wrong-pin-9876";

    private final TestToken token;
    private Pkcs11Module module;
    private Token t;

    SessionIT(TestToken token) {
        this.token = token;
    }

    @BeforeEach
    void open() throws Exception {
        module = WrapperFixture.openModule();
        t = WrapperFixture.token(module, token);
    }

    @AfterEach
    void close() throws Exception {
        t.closeAllSessions(); // also ends the login, so each test starts logged out
        module.close();
    }

    @Test
    void loginLogoutAndSessionStates() throws Exception {
        try (Session s = t.openSession(true)) {
            assertThat(s.isReadWrite()).isTrue();
            assertThat(s.isCurrent()).isTrue();
            SessionInfo before = s.info();
            assertThat(before.slotId()).isEqualTo(t.slot().id());
            assertThat(before.readWrite()).isTrue();
            assertThat(before.state()).isEqualTo(SessionInfo.State.RW_PUBLIC);
            assertThat(before.state().userLoggedIn()).isFalse();

            s.login(UserType.USER, token.userPinChars());
            assertThat(s.info().state()).isEqualTo(SessionInfo.State.RW_USER);
            assertThat(s.info().state().userLoggedIn()).isTrue();

            // Again: SoftHSM2 answers CKR_USER_ALREADY_LOGGED_IN, which the wrapper takes as success.
            s.login(UserType.USER, token.userPinChars());
            assertThat(s.info().state()).isEqualTo(SessionInfo.State.RW_USER);

            // Login state is per token: a second session is logged in too, read-only as RO_USER.
            try (Session ro = t.openSession(false)) {
                assertThat(ro.isReadWrite()).isFalse();
                assertThat(ro.info().readWrite()).isFalse();
                assertThat(ro.info().state()).isEqualTo(SessionInfo.State.RO_USER);
            }

            s.logout();
            assertThat(s.info().state()).isEqualTo(SessionInfo.State.RW_PUBLIC);
            s.logout(); // not logged in: no error
            assertThat(s.info().state()).isEqualTo(SessionInfo.State.RW_PUBLIC);
        }
    }

    @Test
    void wrongPinIsTypedAndItsMessageHasNoPin() throws Exception {
        try (Session s = t.openSession(true)) {
            char[] wrong = WRONG_PIN.toCharArray();
            Pkcs11Errors.PinIncorrectException e = assertThrows(Pkcs11Errors.PinIncorrectException.class,
                    () -> s.login(UserType.USER, wrong));
            assertThat(e.rv()).isEqualTo(CKR_PIN_INCORRECT);
            assertThat(e.function()).isEqualTo(io.p11j.sys.Pkcs11Function.C_Login);
            assertThat(e.getMessage()).isEqualTo("C_Login: CKR_PIN_INCORRECT (0x000000A0)")
                    .doesNotContain(WRONG_PIN).doesNotContain(token.userPin());
            assertThat(e.toString()).doesNotContain(WRONG_PIN);
            assertThat(wrong).as("the caller's array is the caller's to wipe").containsExactly(WRONG_PIN.toCharArray());
            assertThat(s.info().state()).isEqualTo(SessionInfo.State.RW_PUBLIC);

            // The wrong SO PIN too.
            assertThrows(Pkcs11Errors.PinIncorrectException.class, () -> s.login(UserType.SO, wrong));

            // The right PIN still works afterwards (one failure does not lock SoftHSM2's PIN).
            s.login(UserType.USER, token.userPinChars());
            assertThat(s.info().state()).isEqualTo(SessionInfo.State.RW_USER);
            assertThat(t.info().flags()).doesNotContain(TokenFlag.USER_PIN_LOCKED);
        }
    }

    @Test
    void aWrongPinWhileLoggedInIsNotChecked() throws Exception {
        // PKCS#11: C_Login while logged in answers CKR_USER_ALREADY_LOGGED_IN before looking at the PIN;
        // the wrapper takes that as success. Documented here, since it surprises: login() is not a PIN check.
        try (Session s = WrapperFixture.userSession(module, token)) {
            s.login(UserType.USER, WRONG_PIN.toCharArray());
            assertThat(s.info().state()).isEqualTo(SessionInfo.State.RW_USER);
        }
    }

    @Test
    void soLoginInAReadWriteSession() throws Exception {
        try (Session s = t.openSession(true)) {
            s.login(UserType.SO, token.soPinChars());
            assertThat(s.info().state()).isEqualTo(SessionInfo.State.RW_SO);
            assertThat(s.info().state().userLoggedIn()).isFalse();
            // The user cannot log in while the SO is: SoftHSM2 answers CKR_USER_ANOTHER_ALREADY_LOGGED_IN.
            Pkcs11Exception e = assertThrows(Pkcs11Exception.class, () -> s.login(UserType.USER, token.userPinChars()));
            assertThat(e.rv()).isEqualTo(CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
            s.logout();
        }
    }

    @Test
    void closedSessionClosesAgainQuietlyAndRefusesUse() throws Exception {
        Session s = WrapperFixture.userSession(module, token);
        long handle = s.handle();
        s.close();
        s.close(); // idempotent
        assertThat(s.isCurrent()).isFalse();
        assertThat(s.toString()).contains("closed").contains(Long.toString(handle));
        assertThatThrownBy(s::info).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> s.generateRandom(16)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.findAll(Template.empty())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.sign(Mechanism.of(CKM_SHA256_RSA_PKCS), 1, new byte[1]))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.digest(Mechanism.of(CKM_SHA256), new byte[1])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.createObject(Template.builder().objectClass(CKO_DATA).build()))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> s.login(UserType.USER, token.userPinChars())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aSessionTheTokenDroppedIsTypedAndClosesQuietly() throws Exception {
        Session s = WrapperFixture.userSession(module, token);
        t.closeAllSessions();
        Pkcs11Errors.SessionInvalidException e = assertThrows(Pkcs11Errors.SessionInvalidException.class, s::info);
        assertThat(e.rv()).isEqualTo(CKR_SESSION_HANDLE_INVALID);
        assertThat(Pkcs11Errors.isSessionLost(e.rv())).isTrue();
        s.close(); // CKR_SESSION_HANDLE_INVALID on close is not an error
        assertThat(s.isCurrent()).isFalse();
    }

    @Test
    void readOnlySessionCannotCreateTokenObjects() throws Exception {
        try (Session ro = t.openSession(false)) {
            ro.login(UserType.USER, token.userPinChars());
            Pkcs11Exception e = assertThrows(Pkcs11Exception.class, () -> ro.createObject(Template.builder()
                    .objectClass(CKO_DATA).set(AttributeType.TOKEN, true).label("ro").build()));
            assertThat(e.rv()).isEqualTo(CKR_SESSION_READ_ONLY);
            // A session object is fine in a read-only session.
            long h = ro.createObject(Template.builder().objectClass(CKO_DATA).set(AttributeType.TOKEN, false).label("ro").build());
            assertThat(ro.getAttribute(h, AttributeType.LABEL)).contains("ro");
        }
    }

    @Test
    void initializeATokenThenInitPinAndSetPin() throws Exception {
        String label = "p11j-wrapper-init-" + System.nanoTime() % 100000;
        Token free = null;
        for (Token candidate : module.tokens()) {
            if (!candidate.info().has(TokenFlag.TOKEN_INITIALIZED)) {
                free = candidate;
            }
        }
        assertThat(free).as("SoftHSM2's free slot").isNotNull();
        Token fresh = free;
        char[] so = "wrapper-so-pin".toCharArray();
        assertThatThrownBy(() -> fresh.initialize(so, "x".repeat(33)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 bytes");
        fresh.initialize(so, label);
        assertThat(so).as("the caller's PIN is left alone").containsExactly("wrapper-so-pin".toCharArray());

        // SoftHSM2 may move the token to another slot: find it by label.
        Token made = null;
        for (Token candidate : module.tokens()) {
            if (candidate.info().label().equals(label)) {
                made = candidate;
            }
        }
        assertThat(made).isNotNull();
        assertThat(made.info().flags()).contains(TokenFlag.TOKEN_INITIALIZED).doesNotContain(TokenFlag.USER_PIN_INITIALIZED);
        try (Session s = made.openSession(true)) {
            s.login(UserType.SO, so);
            s.initPin("first-user-pin".toCharArray());
            s.logout();
            assertThat(made.info().flags()).contains(TokenFlag.USER_PIN_INITIALIZED);

            s.login(UserType.USER, "first-user-pin".toCharArray());
            s.setPin("first-user-pin".toCharArray(), "second-user-pin".toCharArray());
            s.logout();
            assertThrows(Pkcs11Errors.PinIncorrectException.class, () -> s.login(UserType.USER, "first-user-pin".toCharArray()));
            s.login(UserType.USER, "second-user-pin".toCharArray());
            assertThat(s.info().state()).isEqualTo(SessionInfo.State.RW_USER);
            // A PIN SoftHSM2 finds too short: CKR_PIN_LEN_RANGE, typed with the wrong PINs.
            Pkcs11Exception shortPin = assertThrows(Pkcs11Errors.PinIncorrectException.class,
                    () -> s.setPin("second-user-pin".toCharArray(), "123".toCharArray()));
            assertThat(shortPin.rv()).isEqualTo(CKR_PIN_LEN_RANGE);
            s.logout();
        } finally {
            made.closeAllSessions();
        }
    }
}
