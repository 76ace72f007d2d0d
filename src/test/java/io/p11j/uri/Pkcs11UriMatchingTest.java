// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.p11j.uri.Pkcs11Uri.LibraryVersion;
import io.p11j.uri.Pkcs11Uri.ModuleInfo;
import io.p11j.uri.Pkcs11Uri.ObjectInfo;
import io.p11j.uri.Pkcs11Uri.SlotInfo;
import io.p11j.uri.Pkcs11Uri.TokenInfo;
import io.p11j.uri.Pkcs11Uri.Type;
import org.junit.jupiter.api.Test;

class Pkcs11UriMatchingTest {

    /** A CK_TOKEN_INFO text field: blank-padded to its fixed size. */
    private static String padded(String s, int size) {
        return s + " ".repeat(size - s.length());
    }

    private static final TokenInfo SOFTHSM_TOKEN = new TokenInfo(padded("my token", 32), padded("SoftHSM project", 32),
            padded("SoftHSM v2", 16), padded("5d2bc7a1e8d15c3a", 16));
    private static final SlotInfo SLOT = new SlotInfo(1234567L, padded("SoftHSM project", 32), padded("SoftHSM slot ID 0x1", 64));
    private static final ModuleInfo MODULE = new ModuleInfo(padded("SoftHSM", 32),
            padded("Implementation of PKCS11", 32), new LibraryVersion(2, 6));
    private static final ObjectInfo KEY = new ObjectInfo("signing key", Type.PRIVATE, new byte[] {1, 2, 3});

    private static Pkcs11Uri uri(String s) {
        return Pkcs11Uri.create(s);
    }

    @Test
    void emptyUriMatchesEverything() {
        Pkcs11Uri all = uri("pkcs11:");

        assertThat(all.matchesModule(MODULE)).isTrue();
        assertThat(all.matchesSlot(SLOT)).isTrue();
        assertThat(all.matchesToken(SOFTHSM_TOKEN)).isTrue();
        assertThat(all.matchesObject(KEY)).isTrue();
        assertThat(all.matchesModule(new ModuleInfo(null, null, null))).isTrue();
        assertThat(all.matchesToken(new TokenInfo(null, null, null, null))).isTrue();
        assertThat(all.matchesObject(new ObjectInfo(null, null, null))).isTrue();
    }

    @Test
    void tokenFieldsAreComparedWithoutTheirBlankPadding() {
        assertThat(uri("pkcs11:token=my%20token").matchesToken(SOFTHSM_TOKEN)).isTrue();
        assertThat(uri("pkcs11:token=my%20token;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;serial=5d2bc7a1e8d15c3a")
                .matchesToken(SOFTHSM_TOKEN)).isTrue();
        // As p11-kit pads the URI's value too, trailing blanks in the URI do not matter either.
        assertThat(uri("pkcs11:token=my%20token%20%20").matchesToken(SOFTHSM_TOKEN)).isTrue();
        // Some modules pad with NULs; they are padding as well.
        assertThat(uri("pkcs11:token=my%20token").matchesToken(new TokenInfo("my token\0\0\0", null, null, null))).isTrue();
    }

    @Test
    void leadingBlanksAndCaseAreSignificant() {
        assertThat(uri("pkcs11:token=%20my%20token").matchesToken(SOFTHSM_TOKEN)).isFalse();
        assertThat(uri("pkcs11:token=My%20token").matchesToken(SOFTHSM_TOKEN)).isFalse();
        assertThat(uri("pkcs11:token=my").matchesToken(SOFTHSM_TOKEN)).isFalse();
    }

    @Test
    void everyNamedTokenAttributeMustMatch() {
        assertThat(uri("pkcs11:token=my%20token;serial=0000").matchesToken(SOFTHSM_TOKEN)).isFalse();
        assertThat(uri("pkcs11:token=my%20token;manufacturer=Other").matchesToken(SOFTHSM_TOKEN)).isFalse();
        assertThat(uri("pkcs11:token=my%20token;model=Other").matchesToken(SOFTHSM_TOKEN)).isFalse();
    }

    @Test
    void emptyValueMatchesOnlyAnEmptyField() {
        Pkcs11Uri noSerial = uri("pkcs11:serial=");

        assertThat(noSerial.matchesToken(new TokenInfo("t", "m", "m", padded("", 16)))).isTrue();
        assertThat(noSerial.matchesToken(SOFTHSM_TOKEN)).isFalse();
    }

    @Test
    void unknownFieldNeverMatchesANamedAttribute() {
        assertThat(uri("pkcs11:token=my%20token").matchesToken(new TokenInfo(null, "m", "m", "s"))).isFalse();
        assertThat(uri("pkcs11:object=k").matchesObject(new ObjectInfo(null, Type.DATA, null))).isFalse();
        assertThat(uri("pkcs11:id=%01").matchesObject(new ObjectInfo("k", Type.DATA, null))).isFalse();
        assertThat(uri("pkcs11:type=data").matchesObject(new ObjectInfo("k", null, null))).isFalse();
        assertThat(uri("pkcs11:library-version=2.6").matchesModule(new ModuleInfo("SoftHSM", null, null))).isFalse();
    }

    @Test
    void objectLabelTypeAndIdMustMatchExactly() {
        assertThat(uri("pkcs11:object=signing%20key;type=private;id=%01%02%03").matchesObject(KEY)).isTrue();
        assertThat(uri("pkcs11:id=%01%02%03").matchesObject(KEY)).isTrue();
        assertThat(uri("pkcs11:object=signing%20key").matchesObject(KEY)).isTrue();
        // CKA_LABEL is not padded: a trailing blank is part of the label.
        assertThat(uri("pkcs11:object=signing%20key%20").matchesObject(KEY)).isFalse();
        assertThat(uri("pkcs11:object=signing%20key;type=public").matchesObject(KEY)).isFalse();
        assertThat(uri("pkcs11:id=%01%02").matchesObject(KEY)).isFalse();
        assertThat(uri("pkcs11:id=%01%02%03%04").matchesObject(KEY)).isFalse();
        assertThat(uri("pkcs11:id=").matchesObject(KEY)).isFalse();
        assertThat(uri("pkcs11:id=").matchesObject(new ObjectInfo("x", Type.DATA, new byte[0]))).isTrue();
    }

    @Test
    void tokenAttributesDoNotConstrainObjectMatchingAndViceVersa() {
        Pkcs11Uri key = uri("pkcs11:token=other;object=signing%20key");

        assertThat(key.matchesObject(KEY)).isTrue();
        assertThat(key.matchesToken(SOFTHSM_TOKEN)).isFalse();
    }

    @Test
    void slotAttributes() {
        assertThat(uri("pkcs11:slot-id=1234567").matchesSlot(SLOT)).isTrue();
        assertThat(uri("pkcs11:slot-id=1234568").matchesSlot(SLOT)).isFalse();
        assertThat(uri("pkcs11:slot-description=SoftHSM%20slot%20ID%200x1;slot-manufacturer=SoftHSM%20project")
                .matchesSlot(SLOT)).isTrue();
        assertThat(uri("pkcs11:slot-description=SoftHSM%20slot%20ID%200x2").matchesSlot(SLOT)).isFalse();
        assertThat(uri("pkcs11:slot-id=18446744073709551615").matchesSlot(new SlotInfo(-1L, "m", "d"))).isTrue();
        assertThat(uri("pkcs11:slot-id=9223372036854775807").matchesSlot(new SlotInfo(-1L, "m", "d"))).isFalse();
    }

    @Test
    void moduleAttributes() {
        assertThat(uri("pkcs11:library-manufacturer=SoftHSM;library-description=Implementation%20of%20PKCS11;"
                + "library-version=2.6").matchesModule(MODULE)).isTrue();
        assertThat(uri("pkcs11:library-version=2.6").matchesModule(MODULE)).isTrue();
        assertThat(uri("pkcs11:library-version=2").matchesModule(MODULE)).isFalse();
        assertThat(uri("pkcs11:library-version=2").matchesModule(new ModuleInfo(null, null, new LibraryVersion(2, 0))))
                .isTrue();
        assertThat(uri("pkcs11:library-manufacturer=OpenSC").matchesModule(MODULE)).isFalse();
    }

    @Test
    void unknownPathAttributeMatchesNothing() {
        for (String text : new String[] {"pkcs11:x-vendor=1", "pkcs11:vendor-aaa=value-a",
                                         "pkcs11:token=my%20token;object=signing%20key;x-flag="}) {
            Pkcs11Uri u = uri(text);
            assertThat(u.matchesModule(MODULE)).as(text).isFalse();
            assertThat(u.matchesSlot(SLOT)).as(text).isFalse();
            assertThat(u.matchesToken(SOFTHSM_TOKEN)).as(text).isFalse();
            assertThat(u.matchesObject(KEY)).as(text).isFalse();
        }
    }

    @Test
    void unknownQueryAttributeIsIgnored() {
        Pkcs11Uri u = uri("pkcs11:token=my%20token;object=signing%20key?x-hint=1&vendor-bbb=value-b");

        assertThat(u.hasUnrecognizedPathAttributes()).isFalse();
        assertThat(u.matchesToken(SOFTHSM_TOKEN)).isTrue();
        assertThat(u.matchesObject(KEY)).isTrue();
        assertThat(u.format(true)).endsWith("?vendor-bbb=value-b&x-hint=1");
    }

    @Test
    void queryAttributesDoNotTakePartInMatching() {
        Pkcs11Uri u = uri("pkcs11:token=my%20token?module-name=other&pin-value=1");

        assertThat(u.matchesToken(SOFTHSM_TOKEN)).isTrue();
        assertThat(u.matchesModule(MODULE)).isTrue();
    }

    @Test
    void uriBuiltFromATokenAndObjectMatchesThem() {
        Pkcs11Uri u = Pkcs11Uri.forObject(SOFTHSM_TOKEN, KEY);

        assertThat(u.format(true)).isEqualTo("pkcs11:token=my%20token;manufacturer=SoftHSM%20project;"
                + "serial=5d2bc7a1e8d15c3a;model=SoftHSM%20v2;object=signing%20key;type=private;id=%01%02%03");
        assertThat(u.matchesToken(SOFTHSM_TOKEN)).isTrue();
        assertThat(u.matchesObject(KEY)).isTrue();
        assertThat(u.matchesObject(new ObjectInfo("signing key", Type.PUBLIC, new byte[] {1, 2, 3}))).isFalse();
    }

    @Test
    void nullArgumentsAreRefused() {
        Pkcs11Uri u = uri("pkcs11:");
        assertThatNullPointerException().isThrownBy(() -> u.matchesToken(null));
        assertThatNullPointerException().isThrownBy(() -> u.matchesObject(null));
        assertThatNullPointerException().isThrownBy(() -> u.matchesSlot(null));
        assertThatNullPointerException().isThrownBy(() -> u.matchesModule(null));
    }
}
