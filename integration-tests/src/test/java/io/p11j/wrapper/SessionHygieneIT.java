// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Structs;
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

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Nothing leaks: unclosed sessions are closed by a safety net, and no operation outlives its borrower. */
@ExtendWith(SoftHsmExtension.class)
class SessionHygieneIT {

    private final TestToken fixture;
    private Pkcs11Module module;
    private Token token;

    SessionHygieneIT(TestToken fixture) {
        this.fixture = fixture;
    }

    @BeforeEach
    void open() throws Exception {
        module = Pkcs11Module.open(SoftHsm.get().modulePath());
        token = module.slot(SoftHsmExtension.slotOf(module.functions(), fixture.label())).token();
    }

    @AfterEach
    void close() throws Exception {
        module.close();
    }

    private long sessionState(long handle) {
        return module.functions().C_GetSessionInfo(handle, Structs.CK_SESSION_INFO.layout().allocate());
    }

    @Test
    void aSessionNobodyClosedIsClosedWhenItBecomesUnreachable() throws Exception {
        long handle = leak();
        assertThat(sessionState(handle)).isEqualTo(CKR_OK);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (sessionState(handle) == CKR_OK && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(sessionState(handle)).isEqualTo(CKR_SESSION_HANDLE_INVALID);
    }

    private long leak() throws Exception {
        return token.openSession(false).handle(); // never closed
    }

    @Test
    void anExplicitCloseClosesOnceAndTheSafetyNetDoesNothingMore() throws Exception {
        Session s = token.openSession(false);
        long handle = s.handle();
        s.close();
        s.close();
        assertThat(sessionState(handle)).isEqualTo(CKR_SESSION_HANDLE_INVALID);
    }

    @Test
    void anOperationLeftOpenDoesNotReachTheNextBorrower() throws Exception {
        // SoftHSM2 2.6 has no C_SessionCancel: the pool ends the operation by finishing it.
        try (SessionPool pool = SessionPool.open(token, PoolConfig.defaults().withMaxSessions(1), PinSupplier.of(fixture.userPinChars()))) {
            long key = pool.execute(s -> s.generateKeyPair(Mechanism.of(CKM_RSA_PKCS_KEY_PAIR_GEN),
                    Template.builder().set(AttributeType.MODULUS_BITS, 1024L)
                            .set(AttributeType.PUBLIC_EXPONENT, BigInteger.valueOf(65537)).build(),
                    Template.builder().set(AttributeType.SIGN, true).set(AttributeType.PRIVATE, true).build()).privateKey());
            // A borrower that starts a multi-part signature and walks away …
            long first = pool.execute(s -> {
                s.signInit(Mechanism.of(CKM_SHA256_RSA_PKCS), key);
                s.signUpdate(new byte[] {1, 2, 3}, 0, 3);
                assertThat(s.hasActiveOperation()).isTrue();
                return s.handle();
            });
            // … and one that leaves a search open.
            pool.execute(s -> s.find(Template.empty()).hasNext());
            // The next borrower gets the same session (the pool ended the operations rather than close it,
            // which would destroy the session object 'key') and starts clean: no CKR_OPERATION_ACTIVE.
            assertThat((long) pool.execute(Session::handle)).isEqualTo(first);
            byte[] sig = pool.execute(s -> {
                assertThat(s.hasActiveOperation()).isFalse();
                return s.sign(Mechanism.of(CKM_SHA256_RSA_PKCS), key, new byte[] {4});
            });
            assertThat(sig).hasSize(128);
            assertThat((long) pool.execute(s -> (long) s.findAll(Template.empty()).size())).isGreaterThanOrEqualTo(2L);
            // An operation that cannot be ended by finishing it (raw ECDSA has no multi-part form) is
            // ended by closing the session.
            long ec = pool.execute(s -> s.generateKeyPair(Mechanism.of(CKM_EC_KEY_PAIR_GEN),
                    Template.builder().set(AttributeType.EC_PARAMS,
                            new byte[] {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07}).build(),
                    Template.builder().set(AttributeType.SIGN, true).set(AttributeType.TOKEN, true)
                            .set(AttributeType.PRIVATE, true).build()).privateKey());
            long stuck = pool.execute(s -> {
                s.signInit(Mechanism.of(CKM_ECDSA), ec);
                return s.handle();
            });
            long after = pool.execute(Session::handle);
            if (after == stuck) {
                // Finishing did end it on this token: then the session must be clean.
                byte[] ecSig = pool.execute(s -> s.sign(Mechanism.of(CKM_ECDSA), ec, new byte[32]));
                assertThat(ecSig).hasSize(64);
            } else {
                assertThat(sessionState(stuck)).isEqualTo(CKR_SESSION_HANDLE_INVALID);
            }
        }
    }

}
