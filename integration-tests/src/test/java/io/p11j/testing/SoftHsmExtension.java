// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import com.sun.jna.Memory;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static io.p11j.sys.Pkcs11Constants.CKF_TOKEN_INITIALIZED;
import static io.p11j.sys.Pkcs11Constants.CKU_SO;
import static io.p11j.sys.Pkcs11Constants.CKU_USER;

/**
 * Gives each test class a fresh SoftHSM2 token with a known label, SO PIN and user PIN, in the test
 * JVM's private SoftHSM2 ({@link SoftHsm}); inject it as a {@link TestToken} parameter.
 *
 * <p>Before the class: {@code C_InitToken} on SoftHSM2's free slot, then {@code C_InitPIN} as SO.
 * After the class: every object on the token is destroyed and every session on it closed. The token
 * directory goes when the JVM exits: SoftHSM2 has no PKCS#11 call that deletes a token, and deleting
 * its files under a running module leaves that slot answering {@code CKR_GENERAL_ERROR} until
 * {@code C_Finalize}.
 */
public final class SoftHsmExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    public static final String SO_PIN = "so-pin-1234";
    public static final String USER_PIN = "user-pin-1234";

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SoftHsmExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        String name = context.getRequiredTestClass().getSimpleName();
        String label = "p11j-" + COUNTER.incrementAndGet() + "-" + name;
        if (label.length() > 32) {
            label = label.substring(0, 32);
        }
        context.getStore(NS).put(TestToken.class, createToken(label));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        TestToken token = context.getStore(NS).remove(TestToken.class, TestToken.class);
        if (token != null) {
            emptyToken(token);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == TestToken.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        ExtensionContext c = e;
        while (c != null) {
            TestToken t = c.getStore(NS).get(TestToken.class, TestToken.class);
            if (t != null) {
                return t;
            }
            c = c.getParent().orElse(null);
        }
        throw new IllegalStateException("no test token: register SoftHsmExtension on the class");
    }

    /** Initializes a new token in SoftHSM2's free slot. */
    public static synchronized TestToken createToken(String label) throws Pkcs11Exception {
        SoftHsm hsm = SoftHsm.get();
        Pkcs11Functions f = hsm.library().functions();
        long free = freeSlot(f);
        byte[] so = SO_PIN.getBytes(StandardCharsets.UTF_8);
        Sys.check(Pkcs11Function.C_InitToken, f.C_InitToken(free, Sys.bytes(so), so.length, Sys.padded(label, 32)));
        long slot = slotOf(f, label);
        long session = Sys.openSession(f, slot, true);
        try {
            Sys.login(f, session, CKU_SO, SO_PIN.toCharArray());
            byte[] user = USER_PIN.getBytes(StandardCharsets.UTF_8);
            Sys.check(Pkcs11Function.C_InitPIN, f.C_InitPIN(session, Sys.bytes(user), user.length));
            Sys.check(Pkcs11Function.C_Logout, f.C_Logout(session));
        } finally {
            f.C_CloseSession(session);
        }
        return new TestToken(hsm.library(), slot, label, SO_PIN, USER_PIN);
    }

    /** Destroys every object on the token and closes its sessions. */
    public static void emptyToken(TestToken token) throws Pkcs11Exception {
        Pkcs11Functions f = token.functions();
        long slot = slotOf(f, token.label()); // a test may have re-initialized the module, which renumbers slots
        Sys.check(Pkcs11Function.C_CloseAllSessions, f.C_CloseAllSessions(slot));
        long session = Sys.openSession(f, slot, true);
        try {
            Sys.login(f, session, CKU_USER, token.userPinChars());
            for (long h : Sys.findObjects(f, session, new Template())) {
                Sys.check(Pkcs11Function.C_DestroyObject, f.C_DestroyObject(session, h));
            }
        } finally {
            f.C_CloseAllSessions(slot);
        }
    }

    private static long freeSlot(Pkcs11Functions f) throws Pkcs11Exception {
        for (long slot : Sys.slots(f, true)) {
            Memory info = Sys.tokenInfo(f, slot);
            if ((Sys.tokenFlags(info) & CKF_TOKEN_INITIALIZED) == 0) {
                return slot;
            }
        }
        throw new IllegalStateException("SoftHSM2 shows no free slot");
    }

    /** SoftHSM2 may move a token to another slot when it is initialized: find it again by label. */
    public static long slotOf(Pkcs11Functions f, String label) throws Pkcs11Exception {
        for (long slot : Sys.slots(f, true)) {
            Memory info = Sys.tokenInfo(f, slot);
            if ((Sys.tokenFlags(info) & CKF_TOKEN_INITIALIZED) != 0 && Sys.tokenLabel(info).equals(label)) {
                return slot;
            }
        }
        throw new IllegalStateException("token " + label + " vanished after C_InitToken");
    }

}
