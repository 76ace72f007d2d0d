// SPDX-License-Identifier: Apache-2.0
package io.p11j.uri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.p11j.uri.Pkcs11Uri.LibraryVersion;
import io.p11j.uri.Pkcs11Uri.ModuleInfo;
import io.p11j.uri.Pkcs11Uri.ObjectInfo;
import io.p11j.uri.Pkcs11Uri.SlotInfo;
import io.p11j.uri.Pkcs11Uri.TokenInfo;
import io.p11j.uri.Pkcs11Uri.Type;
import org.junit.jupiter.api.Test;

class Pkcs11UriBuilderTest {

    @Test
    void everyAttributeIsPrintedInCanonicalOrder() {
        Pkcs11Uri uri = Pkcs11Uri.builder()
                .vendorQueryAttribute("x-q", "q")
                .modulePath("/usr/lib/softhsm/libsofthsm2.so")
                .moduleName("softhsm2")
                .pinSource("file:/run/pin")
                .vendorPathAttribute("x-z", "z")
                .vendorPathAttribute("x-a", "a")
                .id(new byte[] {(byte) 0xAB, 0x01})
                .type(Type.SECRET_KEY)
                .object("aes key")
                .slotId(3L)
                .slotDescription("slot d")
                .slotManufacturer("slot m")
                .libraryVersion(new LibraryVersion(2, 6))
                .libraryDescription("lib d")
                .libraryManufacturer("lib m")
                .model("mod")
                .serial("ser")
                .manufacturer("man")
                .token("tok")
                .build();

        assertThat(uri.format(true)).isEqualTo("pkcs11:token=tok;manufacturer=man;serial=ser;model=mod;"
                + "library-manufacturer=lib%20m;library-description=lib%20d;library-version=2.6;"
                + "slot-manufacturer=slot%20m;slot-description=slot%20d;slot-id=3;object=aes%20key;type=secret-key;"
                + "id=%AB%01;x-a=a;x-z=z?pin-source=file:/run/pin&module-name=softhsm2"
                + "&module-path=/usr/lib/softhsm/libsofthsm2.so&x-q=q");
        assertThat(uri.hasModuleAttributes()).isTrue();
        assertThat(uri.hasSlotAttributes()).isTrue();
        assertThat(uri.hasTokenAttributes()).isTrue();
        assertThat(uri.hasObjectAttributes()).isTrue();
        assertThat(uri.toBuilder().build()).isEqualTo(uri);
    }

    @Test
    void forTokenTrimsThePaddingOfTokenInfoFields() {
        Pkcs11Uri uri = Pkcs11Uri.forToken("my token                        ", "SoftHSM project                 ",
                "SoftHSM v2      ", "5d2bc7a1e8d15c3a");

        assertThat(uri.format(true)).isEqualTo("pkcs11:token=my%20token;manufacturer=SoftHSM%20project;"
                + "serial=5d2bc7a1e8d15c3a;model=SoftHSM%20v2");
        assertThat(Pkcs11Uri.forToken(new TokenInfo("t", null, null, null)).format(true)).isEqualTo("pkcs11:token=t");
    }

    @Test
    void slotAndModuleInfoFillTheirAttributes() {
        Pkcs11Uri uri = Pkcs11Uri.builder()
                .moduleInfo(new ModuleInfo("OpenSC Project   ", null, new LibraryVersion(0, 25)))
                .slotInfo(new SlotInfo(-2L, "Gemalto  ", "Reader 0   "))
                .build();

        assertThat(uri.format(true)).isEqualTo("pkcs11:library-manufacturer=OpenSC%20Project;library-version=0.25;"
                + "slot-manufacturer=Gemalto;slot-description=Reader%200;slot-id=18446744073709551614");
    }

    @Test
    void objectInfoCopiesItsIdAndComparesItByValue() {
        byte[] id = {1, 2};
        ObjectInfo info = new ObjectInfo("k", Type.DATA, id);
        id[0] = 9;

        assertThat(info.id()).containsExactly(1, 2);
        info.id()[1] = 9;
        assertThat(info.id()).containsExactly(1, 2);
        assertThat(info).isEqualTo(new ObjectInfo("k", Type.DATA, new byte[] {1, 2}))
                .hasSameHashCodeAs(new ObjectInfo("k", Type.DATA, new byte[] {1, 2}));
        assertThat(info.toString()).contains("0102");
    }

    @Test
    void idAccessorAndBuilderCopy() {
        byte[] id = {1, 2};
        Pkcs11Uri uri = Pkcs11Uri.builder().id(id).build();
        id[0] = 7;
        uri.id().orElseThrow()[1] = 7;

        assertThat(uri.id().orElseThrow()).containsExactly(1, 2);
    }

    @Test
    void nullRemovesAnAttribute() {
        Pkcs11Uri uri = Pkcs11Uri.builder().token("t").object("o").vendorPathAttribute("x-a", "1").build()
                .toBuilder().token(null).vendorPathAttribute("x-a", null).build();

        assertThat(uri.format(true)).isEqualTo("pkcs11:object=o");
    }

    @Test
    void invalidValuesAreRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> Pkcs11Uri.builder().token("a\uD800b"))
                .withMessageContaining("unpaired surrogate");
        assertThatIllegalArgumentException().isThrownBy(() -> Pkcs11Uri.builder().pinValue(new char[] {'\uDC00'}))
                .withMessageContaining("unpaired surrogate");
        assertThatIllegalArgumentException().isThrownBy(() -> Pkcs11Uri.builder().modulePath("lib/x.so"))
                .withMessageContaining("absolute");
        assertThatIllegalArgumentException().isThrownBy(() -> Pkcs11Uri.builder().vendorPathAttribute("x a", "1"));
        assertThatIllegalArgumentException().isThrownBy(() -> Pkcs11Uri.builder().vendorPathAttribute("", "1"));
        assertThatIllegalArgumentException().isThrownBy(() -> Pkcs11Uri.builder().vendorPathAttribute("Token", "1"))
                .withMessageContaining("standard attribute");
        assertThatIllegalArgumentException().isThrownBy(() -> Pkcs11Uri.builder().vendorQueryAttribute("pin-value", "1"));
    }

    @Test
    void supplementaryCharactersAreFine() {
        Pkcs11Uri uri = Pkcs11Uri.builder().token("key \uD83D\uDD11").build();

        assertThat(uri.format(true)).isEqualTo("pkcs11:token=key%20%F0%9F%94%91");
        assertThat(Pkcs11Uri.create(uri.format(true))).isEqualTo(uri);
    }

    @Test
    void typeKnowsItsObjectClass() {
        assertThat(Type.fromObjectClass(3)).contains(Type.PRIVATE);
        assertThat(Type.fromObjectClass(0)).contains(Type.DATA);
        assertThat(Type.fromObjectClass(1)).contains(Type.CERT);
        assertThat(Type.fromObjectClass(2)).contains(Type.PUBLIC);
        assertThat(Type.fromObjectClass(4)).contains(Type.SECRET_KEY);
        assertThat(Type.fromObjectClass(7)).isEmpty(); // CKO_MECHANISM
        assertThat(Type.SECRET_KEY.uriName()).isEqualTo("secret-key");
        assertThat(Type.SECRET_KEY.objectClass()).isEqualTo(4);
    }
}
