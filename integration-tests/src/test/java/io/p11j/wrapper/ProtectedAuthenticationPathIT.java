// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Pointer;
import io.p11j.sys.ForwardingFunctions;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A token with a protected authentication path logs in without a PIN. SoftHSM2 has no PIN pad, so
 * a decorator plays one: it adds the flag to the token info and answers a NULL-PIN login by
 * logging in with the user PIN itself — the wrapper never holds a PIN.
 */
@ExtendWith(SoftHsmExtension.class)
class ProtectedAuthenticationPathIT {

    static final class PinPad extends ForwardingFunctions {
        final List<Boolean> loginHadPin = new ArrayList<>();
        private final char[] userPin;

        PinPad(Pkcs11Functions delegate, char[] userPin) {
            super(delegate);
            this.userPin = userPin;
        }

        @Override
        public long C_GetTokenInfo(long slotID, Pointer pInfo) {
            long rv = delegate().C_GetTokenInfo(slotID, pInfo);
            StructLayout.Field flags = Structs.CK_TOKEN_INFO.layout().field("flags");
            flags.setULong(pInfo, flags.getULong(pInfo) | CKF_PROTECTED_AUTHENTICATION_PATH);
            return rv;
        }

        @Override
        public long C_Login(long hSession, long userType, Pointer pPin, long ulPinLen) {
            loginHadPin.add(pPin != null);
            if (pPin != null) {
                return delegate().C_Login(hSession, userType, pPin, ulPinLen);
            }
            byte[] pin = new String(userPin).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            com.sun.jna.Memory m = new com.sun.jna.Memory(pin.length);
            m.write(0, pin, 0, pin.length);
            return delegate().C_Login(hSession, userType, m, pin.length); // "typed on the pad"
        }
    }

    @Test
    void poolLogsInWithoutAPinWhenTheTokenHasAPinPad(TestToken fixture) throws Exception {
        PinPad[] pad = new PinPad[1];
        try (Pkcs11Module module = Pkcs11Module.open(SoftHsm.get().modulePath(), ModuleOptions.defaults().withDecorator(f -> {
            pad[0] = new PinPad(f, fixture.userPinChars());
            return pad[0];
        }))) {
            Token token = module.slot(SoftHsmExtension.slotOf(module.functions(), fixture.label())).token();
            assertThat(token.info().has(TokenFlag.PROTECTED_AUTHENTICATION_PATH)).isTrue();
            try (SessionPool pool = SessionPool.open(token, PoolConfig.defaults(), null)) {
                assertThat((boolean) pool.execute(s -> s.info().state().userLoggedIn())).isTrue();
            }
            assertThat(pad[0].loginHadPin).containsOnly(false).isNotEmpty();
        }
    }
}
