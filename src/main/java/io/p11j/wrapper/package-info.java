// SPDX-License-Identifier: Apache-2.0
/**
 * The wrapper layer: PKCS#11 for Java engineers who want it without the JCA.
 *
 * <p>{@link io.p11j.wrapper.Pkcs11Module} (shared, reference-counted per module file) →
 * {@link io.p11j.wrapper.Slot} → {@link io.p11j.wrapper.Token} → {@link io.p11j.wrapper.Session}
 * (an {@code AutoCloseable}, one thread at a time) → object handles; typed
 * {@link io.p11j.wrapper.attribute attributes} and {@link io.p11j.wrapper.mechanism mechanisms};
 * {@code CKR_*} as typed exceptions ({@link io.p11j.wrapper.Pkcs11Errors}); a thread-safe
 * {@link io.p11j.wrapper.SessionPool} that recovers from dropped sessions and restarted tokens.
 *
 * <p>Layer rule: depends on {@code io.p11j.sys} and the JDK only; never on the provider.
 */
package io.p11j.wrapper;
