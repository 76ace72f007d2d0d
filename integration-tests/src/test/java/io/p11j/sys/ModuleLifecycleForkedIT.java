// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.Sys;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finalizing and re-initializing the module: runs in a JVM and SoftHSM2 configuration of its own
 * (the {@code forked-module} Failsafe execution), since finalizing pulls the module from under every
 * other user in the process.
 */
class ModuleLifecycleForkedIT {

    @Test
    void finalizeEndsEverythingAndInitializeStartsAfresh() throws Exception {
        SoftHsm hsm = SoftHsm.get();
        assertThat(hsm.configFile().toString()).contains("-forked-");
        Pkcs11Library lib = hsm.library();
        Pkcs11Functions f = lib.functions();
        TestToken token = SoftHsmExtension.createToken("lifecycle");
        long session = Sys.openSession(f, token.slotId(), true);
        Sys.login(f, session, CKU_USER, token.userPinChars());

        assertThat(lib.finalizeModule()).isTrue();
        assertThat(lib.finalizeModule()).as("a second finalize is a no-op, not a second C_Finalize").isFalse();
        Memory info = Structs.CK_INFO.layout().allocate();
        assertThat(f.C_GetInfo(info)).isEqualTo(CKR_CRYPTOKI_NOT_INITIALIZED);
        assertThat(f.C_GetSessionInfo(session, Structs.CK_SESSION_INFO.layout().allocate()))
                .isEqualTo(CKR_CRYPTOKI_NOT_INITIALIZED);

        assertThat(lib.initialize(null)).isEqualTo(Pkcs11Library.Initialization.INITIALIZED);
        assertThat(f.C_GetInfo(info)).isEqualTo(CKR_OK);
        // The token is on disk, so it is back — the old session is not.
        long slot = -1;
        for (long s : Sys.slots(f, true)) {
            if (Sys.tokenLabel(Sys.tokenInfo(f, s)).equals(token.label())) {
                slot = s;
            }
        }
        assertThat(slot).as("token found again by label").isNotEqualTo(-1);
        long reopened = Sys.openSession(f, slot, false);
        StructLayout l = Structs.CK_SESSION_INFO.layout();
        Memory si = l.allocate();
        assertThat(f.C_GetSessionInfo(reopened, si)).isEqualTo(CKR_OK);
        assertThat(l.field("state").getULong(si)).as("login state did not survive C_Finalize").isEqualTo(CKS_RO_PUBLIC_SESSION);
        Sys.login(f, reopened, CKU_USER, token.userPinChars());
        assertThat(f.C_CloseSession(reopened)).isEqualTo(CKR_OK);
    }
}
