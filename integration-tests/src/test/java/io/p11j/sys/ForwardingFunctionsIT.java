// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.Sys;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.atomic.AtomicInteger;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;

/** A decorator stands between a caller and the real module: it sees the calls and can inject faults. */
@ExtendWith(SoftHsmExtension.class)
class ForwardingFunctionsIT {

    /** Counts C_GenerateRandom calls and fails every call after the first {@code okCalls} with {@code CKR_DEVICE_ERROR}. */
    static final class FlakyRandom extends ForwardingFunctions {
        final AtomicInteger calls = new AtomicInteger();
        private final int okCalls;

        FlakyRandom(Pkcs11Functions delegate, int okCalls) {
            super(delegate);
            this.okCalls = okCalls;
        }

        @Override
        public long C_GenerateRandom(long hSession, Pointer randomData, long ulRandomLen) {
            if (calls.incrementAndGet() > okCalls) {
                return CKR_DEVICE_ERROR;
            }
            return delegate().C_GenerateRandom(hSession, randomData, ulRandomLen);
        }
    }

    @Test
    void decoratorSeesCallsAndInjectsFaultsOverTheRealModule(TestToken token) throws Exception {
        FlakyRandom f = new FlakyRandom(token.functions(), 1);
        assertThat(f.abi()).isEqualTo(Abi.NATIVE);
        assertThat(f.functionListVersion()).containsExactly(2, 40);
        long session = Sys.openSession(f, token.slotId(), false); // passes through to SoftHSM2
        try {
            Memory buf = new Memory(16);
            buf.clear();
            assertThat(f.C_GenerateRandom(session, buf, 16)).isEqualTo(CKR_OK);
            assertThat(buf.getByteArray(0, 16)).isNotEqualTo(new byte[16]);
            assertThat(f.C_GenerateRandom(session, buf, 16)).isEqualTo(CKR_DEVICE_ERROR);
            assertThat(f.calls).hasValue(2);
            // Untouched functions still reach the module.
            Memory info = Structs.CK_SESSION_INFO.layout().allocate();
            assertThat(f.C_GetSessionInfo(session, info)).isEqualTo(CKR_OK);
            assertThat(Structs.CK_SESSION_INFO.layout().field("slotID").getULong(info)).isEqualTo(token.slotId());
        } finally {
            assertThat(f.C_CloseSession(session)).isEqualTo(CKR_OK);
        }
    }
}
