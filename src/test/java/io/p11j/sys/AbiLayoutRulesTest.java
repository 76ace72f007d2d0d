// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Memory;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layout rules of {@link StructLayout} and the {@code CK_ULONG} handling of {@link Abi}, for
 * platforms the tests do not run on. Every expectation is worked out by hand from the C rules (each
 * member at the next multiple of its alignment, 1 when packed; the structure padded to its largest
 * member alignment) and written as a literal; the arithmetic is in the comments.
 * {@code StructLayoutIT} checks the same layouts against gcc.
 */
class AbiLayoutRulesTest {

    /** 64-bit Linux and macOS: 8-byte CK_ULONG and pointers, natural alignment. */
    static final Abi LP64 = Abi.of(8, 8, false);
    /** 64-bit Windows: 4-byte CK_ULONG, 8-byte pointers, packed to 1 byte. */
    static final Abi WIN64 = Abi.of(4, 8, true);
    /** 32-bit Linux: 4-byte CK_ULONG and pointers, natural alignment. */
    static final Abi LINUX32 = Abi.of(4, 4, false);
    /** 32-bit Windows: 4-byte CK_ULONG and pointers, packed to 1 byte. */
    static final Abi WIN32 = Abi.of(4, 4, true);

    /** Every member's offset, in declaration order. */
    private static Map<String, Long> offsets(StructDef def, Abi abi) {
        Map<String, Long> out = new LinkedHashMap<>();
        def.layout(abi).fields().forEach((name, f) -> out.put(name, f.offset()));
        return out;
    }

    @Nested
    class Layouts {

        @Test
        void ckVersionIsTwoBytesEverywhere() {
            for (Abi abi : new Abi[] {LP64, WIN64, LINUX32, WIN32}) {
                StructLayout l = Structs.CK_VERSION.layout(abi);
                assertThat(l.size()).as("%s", abi).isEqualTo(2);
                assertThat(l.alignment()).as("%s", abi).isEqualTo(1);
                assertThat(offsets(Structs.CK_VERSION, abi)).containsExactly(Map.entry("major", 0L), Map.entry("minor", 1L));
            }
        }

        @Test
        void ckMechanism() {
            // LP64:    mechanism 0..8, pParameter 8..16, ulParameterLen 16..24 -> 24, align 8
            assertLayout(Structs.CK_MECHANISM, LP64, 24, 8, 0, 8, 16);
            // WIN64:   mechanism 0..4, pParameter 4..12 (packed: no padding), ulParameterLen 12..16 -> 16
            assertLayout(Structs.CK_MECHANISM, WIN64, 16, 1, 0, 4, 12);
            // LINUX32: 0..4, 4..8, 8..12 -> 12, align 4
            assertLayout(Structs.CK_MECHANISM, LINUX32, 12, 4, 0, 4, 8);
            // WIN32:   0..4, 4..8, 8..12 -> 12, align 1
            assertLayout(Structs.CK_MECHANISM, WIN32, 12, 1, 0, 4, 8);
        }

        @Test
        void ckAttribute() {
            // type, pValue, ulValueLen: the same shapes as CK_MECHANISM.
            assertLayout(Structs.CK_ATTRIBUTE, LP64, 24, 8, 0, 8, 16);
            assertLayout(Structs.CK_ATTRIBUTE, WIN64, 16, 1, 0, 4, 12);
            assertLayout(Structs.CK_ATTRIBUTE, LINUX32, 12, 4, 0, 4, 8);
            assertLayout(Structs.CK_ATTRIBUTE, WIN32, 12, 1, 0, 4, 8);
        }

        @Test
        void ckInfo() {
            // cryptokiVersion (2 bytes, align 1) 0..2, manufacturerID[32] 2..34, flags, libraryDescription[32], libraryVersion (2)
            // LP64:    flags aligned 34 -> 40, ends 48; libraryDescription 48..80; libraryVersion 80..82; size 82 -> 88
            assertLayout(Structs.CK_INFO, LP64, 88, 8, 0, 2, 40, 48, 80);
            // WIN64:   flags 34..38 (no padding); libraryDescription 38..70; libraryVersion 70..72; size 72
            assertLayout(Structs.CK_INFO, WIN64, 72, 1, 0, 2, 34, 38, 70);
            // LINUX32: flags aligned 34 -> 36, ends 40; libraryDescription 40..72; libraryVersion 72..74; size 74 -> 76
            assertLayout(Structs.CK_INFO, LINUX32, 76, 4, 0, 2, 36, 40, 72);
            // WIN32:   as WIN64 (CK_ULONG is 4 bytes in both, no pointers): size 72
            assertLayout(Structs.CK_INFO, WIN32, 72, 1, 0, 2, 34, 38, 70);
        }

        @Test
        void ckSlotInfo() {
            // slotDescription[64] 0..64, manufacturerID[32] 64..96, flags at 96 (aligned for 4 and 8), two CK_VERSIONs
            // LP64:    flags 96..104, hardwareVersion 104, firmwareVersion 106, ends 108 -> padded to 112
            assertLayout(Structs.CK_SLOT_INFO, LP64, 112, 8, 0, 64, 96, 104, 106);
            // 4-byte CK_ULONG: flags 96..100, 100, 102, ends 104 (a multiple of 4 already)
            assertLayout(Structs.CK_SLOT_INFO, WIN64, 104, 1, 0, 64, 96, 100, 102);
            assertLayout(Structs.CK_SLOT_INFO, LINUX32, 104, 4, 0, 64, 96, 100, 102);
            assertLayout(Structs.CK_SLOT_INFO, WIN32, 104, 1, 0, 64, 96, 100, 102);
        }

        @Test
        void ckTokenInfo() {
            // label[32] 0, manufacturerID[32] 32, model[16] 64, serialNumber[16] 80, then 11 CK_ULONGs from 96
            // (flags … ulFreePrivateMemory), hardwareVersion, firmwareVersion, utcTime[16].
            // LP64:    96 + 11*8 = 184: hardwareVersion 184, firmwareVersion 186, utcTime 188..204 -> padded to 208
            assertLayout(Structs.CK_TOKEN_INFO, LP64, 208, 8,
                    0, 32, 64, 80, 96, 104, 112, 120, 128, 136, 144, 152, 160, 168, 176, 184, 186, 188);
            // 4-byte:  96 + 11*4 = 140: hardwareVersion 140, firmwareVersion 142, utcTime 144..160 -> 160
            long[] fourByte = {0, 32, 64, 80, 96, 100, 104, 108, 112, 116, 120, 124, 128, 132, 136, 140, 142, 144};
            assertLayout(Structs.CK_TOKEN_INFO, WIN64, 160, 1, fourByte);
            assertLayout(Structs.CK_TOKEN_INFO, LINUX32, 160, 4, fourByte);
            assertLayout(Structs.CK_TOKEN_INFO, WIN32, 160, 1, fourByte);
            assertThat(Structs.CK_TOKEN_INFO.layout(LP64).field("ulMaxPinLen").offset()).isEqualTo(96 + 5 * 8);
            assertThat(Structs.CK_TOKEN_INFO.layout(WIN64).field("ulMaxPinLen").offset()).isEqualTo(96 + 5 * 4);
        }

        @Test
        void ckEddsaParams() {
            // phFlag (1 byte), ulContextDataLen, pContextData
            // LP64:    phFlag 0, 7 bytes of padding, ulContextDataLen 8..16, pContextData 16..24 -> 24
            assertLayout(Structs.CK_EDDSA_PARAMS, LP64, 24, 8, 0, 8, 16);
            // WIN64:   phFlag 0, ulContextDataLen 1..5, pContextData 5..13 -> 13 (odd size, no tail padding)
            assertLayout(Structs.CK_EDDSA_PARAMS, WIN64, 13, 1, 0, 1, 5);
            // LINUX32: phFlag 0, 3 bytes of padding, 4..8, 8..12 -> 12
            assertLayout(Structs.CK_EDDSA_PARAMS, LINUX32, 12, 4, 0, 4, 8);
            // WIN32:   phFlag 0, 1..5, 5..9 -> 9
            assertLayout(Structs.CK_EDDSA_PARAMS, WIN32, 9, 1, 0, 1, 5);
        }

        @Test
        void ckHkdfParams() {
            // bExtract, bExpand (bytes), prfHashMechanism, ulSaltType, pSalt, ulSaltLen, hSaltKey, pInfo, ulInfoLen
            // LP64:    0, 1, pad to 8; then seven 8-byte members: 8, 16, 24, 32, 40, 48, 56 -> 64
            assertLayout(Structs.CK_HKDF_PARAMS, LP64, 64, 8, 0, 1, 8, 16, 24, 32, 40, 48, 56);
            // WIN64:   0, 1, prf 2..6, saltType 6..10, pSalt 10..18, ulSaltLen 18..22, hSaltKey 22..26,
            //          pInfo 26..34, ulInfoLen 34..38 -> 38
            assertLayout(Structs.CK_HKDF_PARAMS, WIN64, 38, 1, 0, 1, 2, 6, 10, 18, 22, 26, 34);
            // LINUX32: 0, 1, pad to 4; then seven 4-byte members: 4, 8, 12, 16, 20, 24, 28 -> 32
            assertLayout(Structs.CK_HKDF_PARAMS, LINUX32, 32, 4, 0, 1, 4, 8, 12, 16, 20, 24, 28);
            // WIN32:   0, 1, then seven 4-byte members from 2: 2, 6, 10, 14, 18, 22, 26 -> 30
            assertLayout(Structs.CK_HKDF_PARAMS, WIN32, 30, 1, 0, 1, 2, 6, 10, 14, 18, 22, 26);
        }

        @Test
        void ckFunctionLists() {
            // version (CK_VERSION: 2 bytes, align 1), then one pointer per function; C_Sign is the 44th (index 43).
            // LP64:    first pointer at 2 -> 8; C_Sign 8 + 43*8 = 352; size 8 + 68*8 = 552 (3.0: 8 + 92*8 = 744)
            assertFunctionList(LP64, 8, 352, 552, 744);
            // WIN64:   first at 2; C_Sign 2 + 43*8 = 346; size 2 + 68*8 = 546 (3.0: 2 + 92*8 = 738)
            assertFunctionList(WIN64, 2, 346, 546, 738);
            // LINUX32: first at 2 -> 4; C_Sign 4 + 43*4 = 176; size 4 + 68*4 = 276 (3.0: 4 + 92*4 = 372)
            assertFunctionList(LINUX32, 4, 176, 276, 372);
            // WIN32:   first at 2; C_Sign 2 + 43*4 = 174; size 2 + 68*4 = 274 (3.0: 2 + 92*4 = 370)
            assertFunctionList(WIN32, 2, 174, 274, 370);
        }

        private void assertFunctionList(Abi abi, long first, long cSign, long size2, long size30) {
            StructLayout v2 = Structs.CK_FUNCTION_LIST.layout(abi);
            StructLayout v30 = Structs.CK_FUNCTION_LIST_3_0.layout(abi);
            assertThat(v2.field("version").offset()).isZero();
            assertThat(v2.field("C_Initialize").offset()).as("C_Initialize, %s", abi).isEqualTo(first);
            assertThat(v2.field("C_Sign").offset()).as("C_Sign, %s", abi).isEqualTo(cSign);
            assertThat(v2.size()).as("sizeof(CK_FUNCTION_LIST), %s", abi).isEqualTo(size2);
            assertThat(v30.field("C_Initialize").offset()).isEqualTo(first);
            assertThat(v30.field("C_Sign").offset()).isEqualTo(cSign);
            assertThat(v30.field("C_GetInterfaceList").offset()).as("first 3.0 function, %s", abi).isEqualTo(size2);
            assertThat(v30.size()).as("sizeof(CK_FUNCTION_LIST_3_0), %s", abi).isEqualTo(size30);
        }

        @Test
        void alignmentIsOneWhenPackedElseTheSize() {
            assertThat(LP64.alignmentOf(8)).isEqualTo(8);
            assertThat(LINUX32.alignmentOf(4)).isEqualTo(4);
            assertThat(WIN64.alignmentOf(8)).isEqualTo(1);
            assertThat(WIN32.alignmentOf(4)).isEqualTo(1);
        }

        private void assertLayout(StructDef def, Abi abi, long size, int alignment, long... offsets) {
            StructLayout l = def.layout(abi);
            assertThat(l.size()).as("sizeof(%s), %s", def.name(), abi).isEqualTo(size);
            assertThat(l.alignment()).as("alignment of %s, %s", def.name(), abi).isEqualTo(alignment);
            assertThat(offsets(def, abi).values()).as("offsets of %s, %s: %s", def.name(), abi, offsets(def, abi))
                    .containsExactly(box(offsets));
        }

        private Long[] box(long[] values) {
            Long[] out = new Long[values.length];
            for (int i = 0; i < values.length; i++) {
                out[i] = values[i];
            }
            return out;
        }
    }

    @Nested
    class Ulongs {

        private final Abi four = Abi.of(4, 8, true);
        private final Abi eight = Abi.of(8, 8, false);

        @Test
        void fourByteAllOnesReadsAsUnavailableInformation() {
            Memory m = new Memory(8);
            m.setInt(0, 0xFFFFFFFF);
            assertThat(four.getULong(m, 0)).isEqualTo(-1L).isEqualTo(Pkcs11Constants.CK_UNAVAILABLE_INFORMATION);
        }

        @Test
        void fourByteHighBitReadsZeroExtended() {
            Memory m = new Memory(8);
            m.setInt(0, 0x80000000);
            assertThat(four.getULong(m, 0)).isEqualTo(0x80000000L).isEqualTo(Pkcs11Constants.CKA_VENDOR_DEFINED);
            m.setInt(4, 0xFFFFFFFE); // not the sentinel: an ordinary unsigned value
            assertThat(four.getULong(m, 4)).isEqualTo(0xFFFFFFFEL);
        }

        @Test
        void fourByteWritesTheLow32BitsOnly() {
            Memory m = new Memory(8);
            m.setInt(4, 0x12345678);
            four.setULong(m, 0, Pkcs11Constants.CK_UNAVAILABLE_INFORMATION);
            assertThat(m.getInt(0)).isEqualTo(0xFFFFFFFF);
            assertThat(m.getInt(4)).as("the next 4 bytes are untouched").isEqualTo(0x12345678);
            four.setULong(m, 0, 0x80000000L);
            assertThat(m.getInt(0)).isEqualTo(0x80000000);
            assertThat(four.getULong(m, 0)).isEqualTo(0x80000000L);
        }

        @Test
        void eightByteIsTheWholeLong() {
            Memory m = new Memory(16);
            eight.setULong(m, 8, -1L);
            assertThat(m.getLong(8)).isEqualTo(-1L);
            assertThat(eight.getULong(m, 8)).isEqualTo(Pkcs11Constants.CK_UNAVAILABLE_INFORMATION);
            eight.setULong(m, 0, 0x80000000L);
            assertThat(m.getLong(0)).isEqualTo(0x80000000L);
            assertThat(eight.getULong(m, 0)).isEqualTo(Pkcs11Constants.CKA_VENDOR_DEFINED);
        }

        @Test
        void ulongArgHasTheNativeWidth() {
            assertThat(four.ulongArg(5)).isInstanceOf(Integer.class).isEqualTo(5);
            assertThat(four.ulongArg(0x80000000L)).isEqualTo(0x80000000); // same 32 bits, as a Java int
            assertThat(four.ulongArg(-1L)).isEqualTo(-1);
            assertThat(Abi.of(4, 4, false).ulongArg(5)).isInstanceOf(Integer.class);
            assertThat(eight.ulongArg(5)).isInstanceOf(Long.class).isEqualTo(5L);
            assertThat(eight.ulongArg(0x80000000L)).isEqualTo(0x80000000L);
        }

        @Test
        void rvIsNormalisedLikeAReadULong() {
            assertThat(four.rvFrom(0xFFFFFFFFL)).isEqualTo(-1L);
            assertThat(four.rvFrom(0x80000000L)).isEqualTo(0x80000000L);
            assertThat(four.rvFrom(0xFFFFFFFF_00000005L)).as("a 4-byte CK_RV ignores the upper half").isEqualTo(5L);
            assertThat(eight.rvFrom(0x80000000L)).isEqualTo(0x80000000L);
        }

        @Test
        void fourByteArraysRoundTrip() {
            long[] values = {0, 1, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFEL, Pkcs11Constants.CK_UNAVAILABLE_INFORMATION};
            Memory m = new Memory(4 + values.length * 4L);
            m.clear();
            four.setULongArray(m, 4, values);
            assertThat(m.getInt(0)).as("nothing written before the offset").isZero();
            // 4-byte stride: the fourth value at 4 + 3*4 = 16, the last at 4 + 5*4 = 24
            assertThat(m.getInt(16)).isEqualTo(0x80000000);
            assertThat(m.getInt(24)).isEqualTo(0xFFFFFFFF);
            assertThat(four.getULongArray(m, 4, values.length)).containsExactly(values);
            assertThat(four.getULongArray(m, 16, 2)).containsExactly(0x80000000L, 0xFFFFFFFEL);
        }

        @Test
        void eightByteArraysRoundTrip() {
            long[] values = {0, 1, 0x80000000L, 0xFFFFFFFFL, 0x1_0000_0000L, Long.MIN_VALUE, -1L};
            Memory m = new Memory(8 + values.length * 8L);
            m.clear();
            eight.setULongArray(m, 8, values);
            assertThat(m.getLong(0)).isZero();
            // 8-byte stride: the third value at 8 + 2*8 = 24
            assertThat(m.getLong(24)).isEqualTo(0x80000000L);
            assertThat(eight.getULongArray(m, 8, values.length)).containsExactly(values);
        }

        @Test
        void emptyArrays() {
            Memory m = new Memory(8);
            four.setULongArray(m, 0, new long[0]);
            eight.setULongArray(m, 0, new long[0]);
            assertThat(four.getULongArray(m, 0, 0)).isEmpty();
            assertThat(eight.getULongArray(m, 0, 0)).isEmpty();
        }
    }
}
