// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.Sys;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static io.p11j.sys.Pkcs11Constants.CKR_CRYPTOKI_ALREADY_INITIALIZED;
import static io.p11j.sys.Pkcs11Constants.CKR_OK;
import static io.p11j.sys.Pkcs11Constants.CKU_USER;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A module that another part of the process initialized first answers a second
 * {@code C_Initialize} with {@code CKR_CRYPTOKI_ALREADY_INITIALIZED}: {@link Pkcs11Library} reports
 * that as {@link Pkcs11Library.Initialization#ALREADY_INITIALIZED} rather than failing, and does not
 * finalize a module it did not initialize.
 *
 * <p>The "other part" is the JVM's SoftHSM2 fixture ({@link SoftHsm}), which other test classes share:
 * nothing here may finalize it.
 */
@ExtendWith(SoftHsmExtension.class)
class AlreadyInitializedIT {

    private final TestToken token;

    AlreadyInitializedIT(TestToken token) {
        this.token = token;
    }

    @Test
    void secondLoadOfAnInitializedModuleIsUsableAndNotFinalized() throws Exception {
        SoftHsm fixture = SoftHsm.get();
        Pkcs11Library first = fixture.library();
        assertThat(token.library()).isSameAs(first);

        Pkcs11Library second = Pkcs11Library.load(fixture.modulePath());
        assertThat(second).isNotSameAs(first);
        assertThat(second.path().toRealPath()).isEqualTo(first.path().toRealPath());

        assertThat(second.initialize(null)).isEqualTo(Pkcs11Library.Initialization.ALREADY_INITIALIZED);
        // Twice, to show the answer is stable and nothing was thrown on the way.
        assertThat(second.initialize(null)).isEqualTo(Pkcs11Library.Initialization.ALREADY_INITIALIZED);
        assertThat(second.finalizeModule()).as("not ours to finalize").isFalse();
        assertThat(second.finalizeModule()).isFalse();

        // The module still works, through both instances' function lists.
        assertGetInfoOk(first.functions());
        assertGetInfoOk(second.functions());
        assertThat(Sys.slots(first.functions(), true)).contains(token.slotId());
        assertThat(Sys.slots(second.functions(), true)).contains(token.slotId());
        assertThat(Sys.tokenLabel(Sys.tokenInfo(second.functions(), token.slotId()))).isEqualTo(token.label());

        // A session opened through the second instance works on the fixture's token.
        Pkcs11Functions f = second.functions();
        long session = Sys.openSession(f, token.slotId(), false);
        try {
            Sys.login(f, session, CKU_USER, token.userPinChars());
            Memory random = new Memory(16);
            assertThat(f.C_GenerateRandom(session, random, 16)).isEqualTo(CKR_OK);
            assertThat(f.C_Logout(session)).isEqualTo(CKR_OK);
        } finally {
            assertThat(f.C_CloseSession(session)).isEqualTo(CKR_OK);
        }
    }

    @Test
    void rawSecondInitializeAnswersAlreadyInitialized() throws Exception {
        Pkcs11Library second = Pkcs11Library.load(SoftHsm.get().modulePath());
        StructLayout l = Structs.CK_C_INITIALIZE_ARGS.layout();
        Memory args = l.allocate();
        assertThat(second.functions().C_Initialize(args)).isEqualTo(CKR_CRYPTOKI_ALREADY_INITIALIZED);
        assertThat(second.finalizeModule()).isFalse();
        assertGetInfoOk(SoftHsm.get().library().functions());
    }

    private static void assertGetInfoOk(Pkcs11Functions f) {
        StructLayout l = Structs.CK_INFO.layout();
        Memory info = l.allocate();
        assertThat(f.C_GetInfo(info)).isEqualTo(CKR_OK);
        assertThat(Sys.text(info, l, "manufacturerID")).isEqualTo("SoftHSM");
        assertThat(l.field("cryptokiVersion").getBytes(info)).containsExactly(2, 40);
    }
}
