// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Pointer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NativeArenaTest {

    @Test
    void smallBuffersAreZeroedAlignedSlicesOfOneBlock() {
        try (NativeArena arena = new NativeArena(Abi.NATIVE)) {
            Pointer a = arena.allocate(3);
            Pointer b = arena.allocate(16);
            assertThat(Pointer.nativeValue(b) - Pointer.nativeValue(a)).as("3 bytes round up to 8").isEqualTo(8);
            assertThat(Pointer.nativeValue(a) % 8).isZero();
            assertThat(b.getByteArray(0, 16)).containsOnly(0);
        }
    }

    @Test
    void aReusableArenaZeroesWhatACallUsedAndKeepsItsBlock() {
        NativeArena arena = NativeArena.reusable(Abi.NATIVE);
        Pointer secret;
        try (NativeArena a = arena.open()) {
            secret = a.bytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
            assertThat(secret.getByteArray(0, 8)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        }
        assertThat(secret.getByteArray(0, 8)).as("wiped at the end of the call").containsOnly(0);
        try (NativeArena a = arena.open()) {
            Pointer again = a.allocate(8);
            assertThat(Pointer.nativeValue(again)).as("same memory, no new allocation").isEqualTo(Pointer.nativeValue(secret));
        }
        arena.dispose();
    }

    @Test
    void nestedUseOfAReusableArenaIsRefused() {
        NativeArena arena = NativeArena.reusable(Abi.NATIVE);
        NativeArena inUse = arena.open();
        try {
            assertThatThrownBy(arena::open).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already in use");
        } finally {
            inUse.close();
        }
        arena.open().close(); // usable again after the call ended
        arena.dispose();
    }

    @Test
    void largeBuffersGetMemoryOfTheirOwn() {
        try (NativeArena arena = new NativeArena(Abi.NATIVE)) {
            Pointer big = arena.allocate(100_000);
            big.setByte(99_999, (byte) 7);
            assertThat(big.getByte(99_999)).isEqualTo((byte) 7);
            assertThat(big.getByte(0)).isZero();
        }
    }

    @Test
    void utf8OfAPinHasItsLengthAndNoStringOnTheWay() {
        try (NativeArena arena = new NativeArena(Abi.NATIVE)) {
            NativeArena.Bytes b = arena.utf8("pïn".toCharArray());
            assertThat(b.length()).isEqualTo(4);
            assertThat(b.memory().getByteArray(0, 4)).containsExactly('p', 0xC3, 0xAF, 'n');
            assertThat(arena.utf8(new char[0]).length()).isZero();
        }
    }
}
