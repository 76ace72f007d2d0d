// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

/** The two object handles {@code C_GenerateKeyPair} returns. */
public record KeyPairHandles(long publicKey, long privateKey) {
}
