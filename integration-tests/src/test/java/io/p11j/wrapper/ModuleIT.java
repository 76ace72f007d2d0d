// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import com.sun.jna.Memory;
import io.p11j.sys.InterceptingFunctions;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.Sys;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Pkcs11Module}, {@link Slot} and {@link Token} against SoftHSM2 2.6.1. The fixture
 * ({@link SoftHsm}) opens the JVM's SoftHSM2 through the wrapper and keeps that handle for the JVM's
 * life, so every handle opened here shares its {@link ModuleContext}, and closing them must leave the
 * module initialized. A module that another part of the process initialized (reached here through a
 * hard link, which the wrapper sees as another file and the dynamic loader as the same library) is
 * used as it is and never finalized.
 */
@ExtendWith(SoftHsmExtension.class)
class ModuleIT {

    private final TestToken token;

    ModuleIT(TestToken token) {
        this.token = token;
    }

    @Test
    void opensOnTheSameFileShareOneContextAndClosingThemFinalizesNothing() throws Exception {
        ModuleContext fixtures = SoftHsm.get().module().context();
        Pkcs11Module first = WrapperFixture.openModule();
        Pkcs11Module second = WrapperFixture.openModule();
        try {
            assertThat(second).isNotSameAs(first);
            assertThat(first.context()).as("one initialized module per file per process").isSameAs(fixtures);
            assertThat(second.context()).isSameAs(fixtures);
            assertThat(first.path()).isEqualTo(second.path()).isEqualTo(SoftHsm.get().modulePath().toRealPath());
            assertThat(first.ownsInitialization()).as("the fixture's wrapper handle initialized it").isTrue();
            assertThat(first.library()).isSameAs(SoftHsm.get().library());

            first.close();
            first.close(); // idempotent: must not drop another handle's reference
            assertThatThrownBy(first::functions).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            assertThatThrownBy(first::info).isInstanceOf(IllegalStateException.class);

            // The other handle goes on working, sessions included.
            assertThat(second.info().manufacturerId()).isEqualTo("SoftHSM");
            try (Session s = WrapperFixture.userSession(second, token)) {
                assertThat(s.generateRandom(8)).hasSize(8);
            }
        } finally {
            second.close();
        }
        // Both handles closed: the fixture's reference keeps the context, and nothing was finalized.
        assertModuleAlive(SoftHsm.get().library().functions());
        try (Pkcs11Module again = WrapperFixture.openModule()) {
            assertThat(again.context()).isSameAs(fixtures);
            assertThat(again.info().cryptokiVersion()).isEqualTo(new Version(2, 40));
        }
        assertModuleAlive(SoftHsm.get().library().functions());
    }

    @Test
    void aModuleInitializedElsewhereIsUsedAndNeverFinalized(@TempDir Path dir) throws Exception {
        // A hard link is another file to the wrapper (another canonical path, another ModuleContext),
        // while the dynamic loader recognises the same library (same device and inode) and returns the
        // instance the fixture initialized: C_Initialize answers CKR_CRYPTOKI_ALREADY_INITIALIZED.
        Path link = dir.resolve("libsofthsm2-link.so");
        try {
            Files.createLink(link, SoftHsm.get().modulePath().toRealPath());
        } catch (IOException | UnsupportedOperationException e) {
            Assumptions.abort("cannot hard-link the SoftHSM2 module here: " + e);
        }
        ModuleContext elsewhere;
        try (Pkcs11Module m = Pkcs11Module.open(link)) {
            elsewhere = m.context();
            assertThat(elsewhere).isNotSameAs(SoftHsm.get().module().context());
            assertThat(m.path()).isEqualTo(link.toRealPath());
            assertThat(m.ownsInitialization()).as("ALREADY_INITIALIZED: not ours").isFalse();
            // Not ours to recover either.
            assertThatThrownBy(() -> elsewhere.reinitialize(elsewhere.generation(), 100, m.functions()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not ours");
            // It is the fixture's SoftHSM2: the same tokens, usable through this handle.
            assertThat(m.slot(WrapperFixture.slotId(m, token)).token().info().label()).isEqualTo(token.label());
            try (Session s = WrapperFixture.userSession(m, token)) {
                assertThat(s.info().state()).isEqualTo(SessionInfo.State.RW_USER);
            }
        }
        // The last close of that context did not call C_Finalize.
        assertModuleAlive(SoftHsm.get().library().functions());
        try (Session s = WrapperFixture.userSession(SoftHsm.get().module(), token)) {
            assertThat(s.generateRandom(4)).hasSize(4);
        }
        // And the context was released: opening the link again makes a new one.
        try (Pkcs11Module m = Pkcs11Module.open(link)) {
            assertThat(m.context()).isNotSameAs(elsewhere);
            assertThat(m.ownsInitialization()).isFalse();
        }
        assertModuleAlive(SoftHsm.get().library().functions());
    }

    private void assertModuleAlive(Pkcs11Functions f) throws Exception {
        StructLayout l = Structs.CK_INFO.layout();
        Memory info = l.allocate();
        assertThat(rvName(f.C_GetInfo(info))).as("C_GetInfo after the wrapper handles closed").isEqualTo("CKR_OK");
        long session = Sys.openSession(f, SoftHsmExtension.slotOf(f, token.label()), false);
        assertThat(f.C_CloseSession(session)).isEqualTo(CKR_OK);
    }

    @Test
    void infoAndFunctionListVersion() throws Exception {
        try (Pkcs11Module m = WrapperFixture.openModule()) {
            ModuleInfo info = m.info();
            assertThat(info.cryptokiVersion()).isEqualTo(new Version(2, 40));
            assertThat(info.manufacturerId()).isEqualTo("SoftHSM"); // trimmed of its blank padding
            assertThat(info.libraryDescription()).isEqualTo("Implementation of PKCS11");
            assertThat(info.libraryVersion()).isEqualTo(new Version(2, 6));
            assertThat(info.flags()).isZero();
            // SoftHSM2 2.6.1 has no C_GetInterface: the 2.40 function list.
            assertThat(m.functionListVersion()).isEqualTo(new Version(2, 40));
            assertThat(m.functionListVersion().compareTo(new Version(3, 0))).isNegative();
            assertThat(m.toString()).contains("2.40").contains(m.path().toString());
        }
    }

    @Test
    void slotsTokensAndTheirInfo() throws Exception {
        try (Pkcs11Module m = WrapperFixture.openModule()) {
            List<Slot> present = m.slots(true);
            List<Slot> all = m.slots(false);
            long slotId = WrapperFixture.slotId(m, token);
            assertThat(present).contains(m.slot(slotId));
            assertThat(all).containsAll(present);
            // SoftHSM2 always offers one more, uninitialized token (its "free slot").
            assertThat(present.size()).isGreaterThanOrEqualTo(2);

            Slot slot = m.slot(slotId);
            SlotInfo si = slot.info();
            assertThat(si.tokenPresent()).isTrue();
            assertThat(si.flags()).contains(SlotFlag.TOKEN_PRESENT).doesNotContain(SlotFlag.REMOVABLE_DEVICE);
            assertThat(si.manufacturerId()).isEqualTo("SoftHSM project");
            assertThat(si.description()).startsWith("SoftHSM slot ID 0x").doesNotEndWith(" ");

            List<Token> tokens = m.tokens();
            assertThat(tokens).hasSameSizeAs(present).contains(slot.token());
            assertThat(tokens.stream().map(t -> t.slot().id()).toList())
                    .containsExactlyElementsOf(present.stream().map(Slot::id).toList());

            TokenInfo ti = slot.token().info();
            assertThat(ti.label()).isEqualTo(token.label());
            assertThat(ti.manufacturerId()).isEqualTo("SoftHSM project");
            assertThat(ti.model()).isEqualTo("SoftHSM v2");
            assertThat(ti.serialNumber()).hasSize(16).matches("[0-9a-f]+");
            assertThat(ti.flags()).contains(TokenFlag.TOKEN_INITIALIZED, TokenFlag.LOGIN_REQUIRED,
                    TokenFlag.USER_PIN_INITIALIZED, TokenFlag.RNG)
                    .doesNotContain(TokenFlag.WRITE_PROTECTED, TokenFlag.USER_PIN_LOCKED, TokenFlag.SO_PIN_LOCKED);
            assertThat(ti.has(TokenFlag.RNG)).isTrue();
            assertThat(ti.minPinLength()).isEqualTo(4);
            assertThat(ti.maxPinLength()).isEqualTo(255);
            assertThat(ti.maxSessionCount()).isEqualTo(CK_EFFECTIVELY_INFINITE);
            assertThat(ti.sessionCount()).isEqualTo(-1L); // CK_UNAVAILABLE_INFORMATION
            assertThat(ti.totalPublicMemory()).isEqualTo(-1L);
            assertThat(ti.hardwareVersion()).isEqualTo(new Version(2, 6));

            // The other present token is SoftHSM2's uninitialized one.
            Token free = tokens.stream().filter(t -> !t.equals(slot.token())).filter(t -> {
                try {
                    return !t.info().has(TokenFlag.TOKEN_INITIALIZED);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }).findFirst().orElseThrow();
            assertThat(free.info().label()).isEmpty();
        }
    }

    @Test
    void mechanismsWithKeySizesAndFlags() throws Exception {
        try (Pkcs11Module m = WrapperFixture.openModule()) {
            Token t = WrapperFixture.token(m, token);
            long[] types = t.mechanismTypes();
            List<MechanismInfo> infos = t.mechanisms();
            assertThat(infos).hasSize(types.length);
            Map<Long, MechanismInfo> byType = infos.stream().collect(Collectors.toMap(MechanismInfo::type, Function.identity()));

            MechanismInfo rsaGen = byType.get(CKM_RSA_PKCS_KEY_PAIR_GEN);
            assertThat(rsaGen.name()).isEqualTo("CKM_RSA_PKCS_KEY_PAIR_GEN");
            assertThat(rsaGen.minKeySize()).isEqualTo(512);
            assertThat(rsaGen.maxKeySize()).isEqualTo(16384);
            assertThat(rsaGen.flags()).containsExactly(MechanismFlag.GENERATE_KEY_PAIR);
            assertThat(rsaGen.can(MechanismFlag.SIGN)).isFalse();

            assertThat(byType.get(CKM_SHA256_RSA_PKCS).flags()).containsExactlyInAnyOrder(MechanismFlag.SIGN, MechanismFlag.VERIFY);
            assertThat(byType.get(CKM_RSA_PKCS).flags()).contains(MechanismFlag.ENCRYPT, MechanismFlag.DECRYPT,
                    MechanismFlag.SIGN, MechanismFlag.VERIFY, MechanismFlag.WRAP, MechanismFlag.UNWRAP);
            MechanismInfo aesGen = byType.get(CKM_AES_KEY_GEN);
            assertThat(aesGen.minKeySize()).as("AES sizes are in bytes").isEqualTo(16);
            assertThat(aesGen.maxKeySize()).isEqualTo(32);
            assertThat(aesGen.flags()).containsExactly(MechanismFlag.GENERATE);
            assertThat(byType.get(CKM_AES_GCM).flags()).contains(MechanismFlag.ENCRYPT, MechanismFlag.DECRYPT);
            assertThat(byType.get(CKM_SHA256).flags()).containsExactly(MechanismFlag.DIGEST);
            assertThat(byType.get(CKM_EC_KEY_PAIR_GEN).flags()).contains(MechanismFlag.GENERATE_KEY_PAIR,
                    MechanismFlag.EC_F_P, MechanismFlag.EC_OID, MechanismFlag.EC_UNCOMPRESS);
            assertThat(byType.get(CKM_ECDSA).minKeySize()).isEqualTo(112);
            assertThat(byType.get(CKM_ECDSA).maxKeySize()).isEqualTo(521);
            assertThat(byType.get(CKM_ECDH1_DERIVE).flags()).containsExactly(MechanismFlag.DERIVE);
            assertThat(byType).containsKeys(CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, CKM_AES_KEY_WRAP,
                    CKM_SHA256_RSA_PKCS_PSS, CKM_AES_CTR, CKM_AES_CBC_PAD);

            // One at a time gives the same as the list.
            assertThat(t.mechanismInfo(CKM_RSA_PKCS_KEY_PAIR_GEN)).isEqualTo(rsaGen);
            assertThatThrownBy(() -> t.mechanismInfo(CKM_VENDOR_DEFINED + 0x4242))
                    .isInstanceOf(Pkcs11Errors.MechanismInvalidException.class)
                    .hasMessage("C_GetMechanismInfo: CKR_MECHANISM_INVALID (0x00000070)");
        }
    }

    @Test
    void pollSlotEventDoesNotBlockOrThrow() throws Exception {
        try (Pkcs11Module m = WrapperFixture.openModule()) {
            long start = System.nanoTime();
            Optional<Slot> event = m.pollSlotEvent();
            assertThat(System.nanoTime() - start).as("CKF_DONT_BLOCK").isLessThan(5_000_000_000L);
            // SoftHSM2 2.6.1 answers CKR_NO_EVENT; any slot it named would be one of the module's.
            event.ifPresent(s -> {
                try {
                    assertThat(m.slots(false)).contains(s);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(m.pollSlotEvent()).isEmpty();
        }
    }

    @Test
    void awaitSlotEventIsBoundedByItsTimeout() throws Exception {
        try (Pkcs11Module m = WrapperFixture.openModule()) {
            m.pollSlotEvent(); // drain anything pending
            long start = System.nanoTime();
            assertThat(m.awaitSlotEvent(java.time.Duration.ofMillis(300))).isEmpty();
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(elapsedMs).isBetween(290L, 3000L);
        }
    }

    @Test
    void slotsAndTokensAreValues() throws Exception {
        try (Pkcs11Module m = WrapperFixture.openModule()) {
            long id = WrapperFixture.slotId(m, token);
            assertThat(m.slot(id)).isEqualTo(m.slot(id)).hasSameHashCodeAs(m.slot(id));
            assertThat(m.slot(id).token()).isEqualTo(m.slot(id).token());
            assertThat(m.slot(id).token().module()).isSameAs(m);
            assertThat(m.slot(id).toString()).contains(Long.toString(id));
            try (Pkcs11Module other = WrapperFixture.openModule()) {
                assertThat(other.slot(id)).as("a slot belongs to its handle").isNotEqualTo(m.slot(id));
            }
            // An unknown slot is only checked when used.
            Slot bogus = m.slot(0x7fff_0000L);
            assertThatThrownBy(bogus::info).isInstanceOf(io.p11j.sys.Pkcs11Exception.class)
                    .hasMessageContaining("CKR_SLOT_ID_INVALID");
        }
    }

    @Test
    void otherInitializationArgumentsForAnOpenModuleAreRefused() throws Exception {
        try (Pkcs11Module m = WrapperFixture.openModule()) {
            assertThatThrownBy(() -> Pkcs11Module.open(SoftHsm.get().modulePath(), ModuleOptions.defaults().withReserved("x")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("pReserved");
            assertThat(m.info().manufacturerId()).isEqualTo("SoftHSM");
        }
        assertThat(ModuleOptions.defaults().withReserved("secret-config").toString()).doesNotContain("secret-config");
    }

    @Test
    void aDecoratorSeesOnlyItsOwnHandlesCalls() throws Exception {
        Map<Pkcs11Function, AtomicInteger> seen = new ConcurrentHashMap<>();
        ModuleOptions counting = ModuleOptions.defaults().withDecorator(f -> new InterceptingFunctions(f) {
            @Override
            protected void beforeCall(Pkcs11Function function) {
                seen.computeIfAbsent(function, k -> new AtomicInteger()).incrementAndGet();
            }

            @Override
            protected long afterCall(Pkcs11Function function, long rv) {
                return rv;
            }
        });
        try (Pkcs11Module plain = WrapperFixture.openModule();
             Pkcs11Module traced = Pkcs11Module.open(SoftHsm.get().modulePath(), counting)) {
            assertThat(traced.context()).isSameAs(plain.context());
            plain.info();
            long slot = WrapperFixture.slotId(plain, token); // C_GetSlotList, C_GetTokenInfo through the plain handle
            assertThat(seen).isEmpty();
            traced.info();
            try (Session s = traced.slot(slot).token().openSession(true)) {
                s.login(UserType.USER, token.userPinChars());
                s.generateRandom(8);
            }
            assertThat(seen.get(Pkcs11Function.C_GetInfo)).hasValue(1);
            assertThat(seen.get(Pkcs11Function.C_OpenSession)).hasValue(1);
            assertThat(seen.get(Pkcs11Function.C_Login)).hasValue(1);
            assertThat(seen.get(Pkcs11Function.C_GenerateRandom)).hasValue(1);
            assertThat(seen.get(Pkcs11Function.C_CloseSession)).hasValue(1);
            assertThat(seen).doesNotContainKeys(Pkcs11Function.C_GetSlotList, Pkcs11Function.C_GetTokenInfo);
            assertThat(seen).hasSize(5);
        }
    }
}
