// SPDX-License-Identifier: Apache-2.0
/**
 * The sys layer: raw PKCS#11 2.40 and 3.0 bindings over JNA.
 *
 * <ul>
 *   <li>{@link io.p11j.sys.Pkcs11Library} loads a module and obtains its function list
 *       ({@code C_GetInterface} for 3.0, else {@code C_GetFunctionList});</li>
 *   <li>{@link io.p11j.sys.Pkcs11Functions} is every function, raw: C names, {@code long} return values;</li>
 *   <li>{@link io.p11j.sys.Structs} declares the {@code CK_*} structures, laid out per platform by
 *       {@link io.p11j.sys.Abi} (the only place that knows {@code CK_ULONG}'s width and the packing);</li>
 *   <li>{@link io.p11j.sys.Pkcs11Constants} holds every constant, generated from the headers, with
 *       value-to-name lookup.</li>
 * </ul>
 *
 * <p>Layer rule: this package depends on JNA and the JDK only. It holds no policy (no sessions, no
 * pools, no PIN handling); that is the wrapper's job, which sits on top of it.
 */
package io.p11j.sys;
