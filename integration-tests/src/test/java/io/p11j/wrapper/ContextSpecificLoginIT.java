// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.RSAPublicKeySpec;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Keys with {@code CKA_ALWAYS_AUTHENTICATE}: each operation needs a context-specific login (SoftHSM2 enforces it). */
@ExtendWith(SoftHsmExtension.class)
class ContextSpecificLoginIT {

    private final TestToken fixture;
    private Pkcs11Module module;
    private Session session;

    ContextSpecificLoginIT(TestToken fixture) {
        this.fixture = fixture;
    }

    @BeforeEach
    void open() throws Exception {
        module = Pkcs11Module.open(SoftHsm.get().modulePath());
        session = module.slot(SoftHsmExtension.slotOf(module.functions(), fixture.label())).token().openSession(true);
        session.login(UserType.USER, fixture.userPinChars());
    }

    @AfterEach
    void close() throws Exception {
        session.close();
        module.close();
    }

    @Test
    void eachSignatureNeedsItsOwnContextSpecificLogin() throws Exception {
        KeyPairHandles kp = session.generateKeyPair(Mechanism.of(CKM_RSA_PKCS_KEY_PAIR_GEN),
                Template.builder().set(AttributeType.MODULUS_BITS, 2048L)
                        .set(AttributeType.PUBLIC_EXPONENT, BigInteger.valueOf(65537)).set(AttributeType.VERIFY, true).build(),
                Template.builder().set(AttributeType.SIGN, true).set(AttributeType.SENSITIVE, true)
                        .set(AttributeType.PRIVATE, true).set(AttributeType.ALWAYS_AUTHENTICATE, true).build());
        assertThat(session.getAttribute(kp.privateKey(), AttributeType.ALWAYS_AUTHENTICATE)).contains(true);
        Mechanism sha256Rsa = Mechanism.of(CKM_SHA256_RSA_PKCS);
        byte[] data = "needs a fresh PIN".getBytes(StandardCharsets.UTF_8);

        // Without the context-specific login the token refuses the signature.
        session.signInit(sha256Rsa, kp.privateKey());
        assertThatThrownBy(() -> session.signAfterInit(data))
                .isInstanceOf(Pkcs11Errors.NotLoggedInException.class)
                .hasMessageContaining("CKR_USER_NOT_LOGGED_IN");

        // With it, the signature is made and verifies.
        session.signInit(sha256Rsa, kp.privateKey());
        session.login(UserType.CONTEXT_SPECIFIC, fixture.userPinChars());
        byte[] sig = session.signAfterInit(data);
        var pub = session.getAttributes(kp.publicKey(), AttributeType.MODULUS, AttributeType.PUBLIC_EXPONENT);
        Signature jdk = Signature.getInstance("SHA256withRSA");
        jdk.initVerify(KeyFactory.getInstance("RSA").generatePublic(
                new RSAPublicKeySpec(pub.require(AttributeType.MODULUS), pub.require(AttributeType.PUBLIC_EXPONENT))));
        jdk.update(data);
        assertThat(jdk.verify(sig)).isTrue();

        // A context-specific login with a wrong PIN is a typed error, and is not "already logged in".
        session.signInit(sha256Rsa, kp.privateKey());
        assertThatThrownBy(() -> session.login(UserType.CONTEXT_SPECIFIC, "wrong".toCharArray()))
                .isInstanceOf(Pkcs11Errors.PinIncorrectException.class);
    }

    @Test
    void contextSpecificLoginOutsideAnOperationIsRefused() {
        assertThatThrownBy(() -> session.login(UserType.CONTEXT_SPECIFIC, fixture.userPinChars()))
                .isInstanceOf(Pkcs11Exception.class)
                .hasMessageContaining("CKR_OPERATION_NOT_INITIALIZED");
    }
}
