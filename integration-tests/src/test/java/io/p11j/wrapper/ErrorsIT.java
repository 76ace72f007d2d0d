// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
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
import static io.p11j.wrapper.WrapperFixture.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The {@code CKR_*} codes SoftHSM2 2.6.1 gives for common mistakes, and the typed exceptions they become. */
@ExtendWith(SoftHsmExtension.class)
class ErrorsIT {

    private final TestToken token;
    private Pkcs11Module module;
    private Session s;

    ErrorsIT(TestToken token) {
        this.token = token;
    }

    @BeforeEach
    void open() throws Exception {
        module = WrapperFixture.openModule();
        s = WrapperFixture.userSession(module, token);
    }

    @AfterEach
    void close() throws Exception {
        s.close();
        module.close();
    }

    @Test
    void signingWithAKeyWithoutCkaSignIsKeyInvalid() throws Exception {
        KeyPairHandles kp = s.generateKeyPair(Mechanism.of(CKM_RSA_PKCS_KEY_PAIR_GEN),
                WrapperFixture.rsaPublicTemplate("no-sign", 1024).build(),
                WrapperFixture.rsaPrivateTemplate("no-sign").set(AttributeType.SIGN, false)
                        .set(AttributeType.DECRYPT, true).build());
        assertThat(s.getAttribute(kp.privateKey(), AttributeType.SIGN)).contains(false);
        Pkcs11Errors.KeyInvalidException e = assertThrows(Pkcs11Errors.KeyInvalidException.class,
                () -> s.sign(Mechanism.of(CKM_SHA256_RSA_PKCS), kp.privateKey(), utf8("data")));
        assertThat(e.rv()).isEqualTo(CKR_KEY_FUNCTION_NOT_PERMITTED);
        assertThat(e.function()).isEqualTo(Pkcs11Function.C_SignInit);
        assertThat(e).hasMessage("C_SignInit: CKR_KEY_FUNCTION_NOT_PERMITTED (0x00000068)");
        // The session is fine afterwards.
        assertThat(s.generateRandom(4)).hasSize(4);
    }

    @Test
    void unknownMechanismIsMechanismInvalid() throws Exception {
        KeyPairHandles kp = WrapperFixture.rsaPair(s, "vendor-mech", 1024);
        Pkcs11Errors.MechanismInvalidException e = assertThrows(Pkcs11Errors.MechanismInvalidException.class,
                () -> s.sign(Mechanism.of(CKM_VENDOR_DEFINED + 1), kp.privateKey(), utf8("data")));
        assertThat(e.rv()).isEqualTo(CKR_MECHANISM_INVALID);
        assertThat(e.function()).isEqualTo(Pkcs11Function.C_SignInit);
        assertThrows(Pkcs11Errors.MechanismInvalidException.class,
                () -> s.digest(Mechanism.of(CKM_VENDOR_DEFINED + 1), utf8("data")));
        // A known mechanism with a bad parameter, an 8-byte IV for AES-CBC: SoftHSM2 2.6.1 answers
        // CKR_MECHANISM_INVALID here, not CKR_MECHANISM_PARAM_INVALID; both are MechanismInvalidException.
        long aes = WrapperFixture.aesKey(s, new byte[16]);
        Pkcs11Errors.MechanismInvalidException param = assertThrows(Pkcs11Errors.MechanismInvalidException.class,
                () -> s.encrypt(Mechanism.aesCbcPad(new byte[8]), aes, new byte[16]));
        assertThat(param.rv()).isEqualTo(CKR_MECHANISM_INVALID);
        assertThat(param.function()).isEqualTo(Pkcs11Function.C_EncryptInit);
    }

    @Test
    void wrongKeyTypeAndUnknownHandleAreKeyInvalid() throws Exception {
        long generic = s.createObject(Template.builder().objectClass(CKO_SECRET_KEY).keyType(CKK_GENERIC_SECRET)
                .set(AttributeType.TOKEN, false).set(AttributeType.VALUE, new byte[16])
                .set(AttributeType.ENCRYPT, true).build());
        Pkcs11Errors.KeyInvalidException type = assertThrows(Pkcs11Errors.KeyInvalidException.class,
                () -> s.encrypt(Mechanism.aesCbcPad(new byte[16]), generic, new byte[16]));
        assertThat(type.rv()).isEqualTo(CKR_KEY_TYPE_INCONSISTENT);
        assertThat(type.function()).isEqualTo(Pkcs11Function.C_EncryptInit);
        Pkcs11Errors.KeyInvalidException handle = assertThrows(Pkcs11Errors.KeyInvalidException.class,
                () -> s.sign(Mechanism.of(CKM_SHA256_RSA_PKCS), 0x7fff_fff0L, utf8("data")));
        assertThat(handle.rv()).isIn(CKR_KEY_HANDLE_INVALID, CKR_OBJECT_HANDLE_INVALID);
    }

    @Test
    void aSignatureMechanismWithTheWrongKeyTypeFailsOnlyAtSignAsAGeneralError() throws Exception {
        // SoftHSM2 2.6.1 does not check the key type in C_SignInit: CKM_ECDSA with an RSA key, or an RSA
        // mechanism with an EC key, fails in C_Sign with CKR_GENERAL_ERROR (a DeviceException).
        KeyPairHandles rsa = WrapperFixture.rsaPair(s, "not-ec", 1024);
        s.signInit(Mechanism.of(CKM_ECDSA), rsa.privateKey());
        Pkcs11Errors.DeviceException e = assertThrows(Pkcs11Errors.DeviceException.class, () -> s.signAfterInit(new byte[32]));
        assertThat(e.rv()).isEqualTo(CKR_GENERAL_ERROR);
        assertThat(e.function()).isEqualTo(Pkcs11Function.C_Sign);

        KeyPairHandles ec = WrapperFixture.ecPair(s, "not-rsa", false);
        Pkcs11Errors.DeviceException e2 = assertThrows(Pkcs11Errors.DeviceException.class,
                () -> s.sign(Mechanism.of(CKM_SHA256_RSA_PKCS), ec.privateKey(), utf8("data")));
        assertThat(e2.rv()).isEqualTo(CKR_GENERAL_ERROR);
        // The failed operations are over: the session signs again.
        assertThat(s.sign(Mechanism.of(CKM_SHA256_RSA_PKCS), rsa.privateKey(), utf8("data"))).hasSize(128);
    }

    @Test
    void badDataLengthIsDataException() throws Exception {
        long aes = WrapperFixture.aesKey(s, new byte[16]);
        Pkcs11Errors.DataException e = assertThrows(Pkcs11Errors.DataException.class,
                () -> s.encrypt(Mechanism.aesCbc(new byte[16]), aes, new byte[15]));
        assertThat(e.rv()).isEqualTo(CKR_DATA_LEN_RANGE);
        // Padding that does not check out on decryption.
        byte[] notPadded = s.encrypt(Mechanism.aesCbc(new byte[16]), aes, new byte[16]);
        Pkcs11Exception pad = assertThrows(Pkcs11Exception.class,
                () -> s.decrypt(Mechanism.aesCbcPad(new byte[16]), aes, notPadded));
        // SoftHSM2 2.6.1 reports bad padding as CKR_GENERAL_ERROR (SoftHSMv2 issue #689, fixed after 2.6.1).
        assertThat(pad).isInstanceOf(Pkcs11Errors.DeviceException.class);
        assertThat(pad.rv()).isEqualTo(CKR_GENERAL_ERROR);
    }

    @Test
    void privateObjectsNeedALogin() throws Exception {
        try (Session pub = WrapperFixture.token(module, token).openSession(true)) {
            pub.logout(); // login state is per token: make sure nobody is logged in
            Pkcs11Errors.NotLoggedInException e = assertThrows(Pkcs11Errors.NotLoggedInException.class,
                    () -> pub.createObject(Template.builder().objectClass(CKO_DATA).set(AttributeType.TOKEN, false)
                            .set(AttributeType.PRIVATE, true).label("secret").build()));
            assertThat(e.rv()).isEqualTo(CKR_USER_NOT_LOGGED_IN);
            s.login(UserType.USER, token.userPinChars());
        }
    }

    @Test
    void operationNotInitializedIsAnUntypedPkcs11Exception() throws Exception {
        Pkcs11Exception e = assertThrows(Pkcs11Exception.class, () -> s.signFinal());
        assertThat(e.rv()).isEqualTo(CKR_OPERATION_NOT_INITIALIZED);
        assertThat(e.getClass()).isEqualTo(Pkcs11Exception.class);
        Pkcs11Exception e2 = assertThrows(Pkcs11Exception.class, () -> s.digestFinal());
        assertThat(e2.rv()).isEqualTo(CKR_OPERATION_NOT_INITIALIZED);
    }

    @Test
    void anActiveOperationBlocksAnotherOfItsKind() throws Exception {
        s.digestInit(Mechanism.of(CKM_SHA256));
        Pkcs11Exception e = assertThrows(Pkcs11Exception.class, () -> s.digestInit(Mechanism.of(CKM_SHA256)));
        assertThat(e.rv()).isEqualTo(CKR_OPERATION_ACTIVE);
        s.digestUpdate(new byte[1], 0, 1);
        assertThat(s.digestFinal()).hasSize(32); // the first one goes on
    }
}
