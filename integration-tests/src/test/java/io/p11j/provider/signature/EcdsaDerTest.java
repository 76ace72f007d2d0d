// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.codec.EcdsaSignatures;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link EcdsaDer} writes exactly the DER the codec (Bouncy Castle) writes, for every length and edge value. */
class EcdsaDerTest {

    @Test
    void sameBytesAsTheCodecForRandomAndEdgeValues() throws Exception {
        Random random = new Random(42);
        for (int half : new int[] {1, 20, 32, 48, 63, 64, 65, 66, 100, 126}) {
            for (int i = 0; i < 2000; i++) {
                byte[] raw = new byte[2 * half];
                random.nextBytes(raw);
                switch (i % 8) {
                    case 1 -> raw[0] = 0; // leading zero bytes in r
                    case 2 -> { raw[0] = 0; raw[1] = 0; raw[half] = 0; }
                    case 3 -> raw[0] |= (byte) 0x80; // top bit set: a zero byte goes in front
                    case 4 -> raw[half] = (byte) 0x80;
                    case 5 -> java.util.Arrays.fill(raw, 0, half, (byte) 0); // r = 0
                    case 6 -> { java.util.Arrays.fill(raw, (byte) 0); raw[raw.length - 1] = 1; }
                    case 7 -> java.util.Arrays.fill(raw, (byte) 0xff);
                    default -> { }
                }
                assertThat(EcdsaDer.encode(raw)).as("half %d, case %d", half, i).isEqualTo(EcdsaSignatures.rawToDer(raw));
            }
        }
    }

    @Test
    void refusesWhatIsNoRawSignature() {
        assertThatThrownBy(() -> EcdsaDer.encode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EcdsaDer.encode(new byte[65])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EcdsaDer.encode(new byte[254])).isInstanceOf(IllegalArgumentException.class);
    }
}
