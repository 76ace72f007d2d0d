// SPDX-License-Identifier: Apache-2.0
/**
 * RFC 7512 {@code pkcs11:} URIs, and the policy around the two things such a URI can make a
 * process do: read a PIN and load a native module.
 *
 * <ul>
 *   <li>{@link io.p11j.uri.Pkcs11Uri} is the URI: parsing with precise, typed errors
 *       ({@link io.p11j.uri.Pkcs11UriSyntaxException}), a canonical form, builders from a token's
 *       and an object's attributes, and matching against plain descriptions of a module, slot,
 *       token and object;</li>
 *   <li>{@link io.p11j.uri.PinSource} reads the PIN named by {@code pin-source} from a file, and
 *       nothing else (no commands, no environment, no network);</li>
 *   <li>{@link io.p11j.uri.ModuleResolver} finds the module named by {@code module-name} the way
 *       p11-kit does;</li>
 *   <li>{@link io.p11j.uri.ModuleAllowList} decides whether a URI may make the process load a
 *       module: loading a module runs its native code, so a URI that came from outside must not be
 *       able to name an arbitrary library.</li>
 * </ul>
 *
 * <p>Layer rule: this package depends on the JDK only. It knows nothing of JNA, of
 * {@code io.p11j.sys} or of any other p11j package, so that the wrapper and the provider can both
 * use it and so that a URI can be parsed, printed and checked without any native code present.
 * The values it matches against ({@link io.p11j.uri.Pkcs11Uri.TokenInfo} and its siblings) are its
 * own plain records; the layers above fill them from {@code CK_TOKEN_INFO} and friends.
 */
package io.p11j.uri;
