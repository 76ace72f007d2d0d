// SPDX-License-Identifier: Apache-2.0
/**
 * p11j: PKCS#11 for Java.
 *
 * <p>{@code io.p11j.sys} is the raw layer: the PKCS#11 2.40 and 3.0 function lists, structure
 * layouts and constants over JNA, correct for each platform's {@code CK_ULONG} width and packing.
 * It is a supported API for programs that want raw PKCS#11.
 *
 * <p>{@code io.p11j.wrapper} (with {@code .attribute} and {@code .mechanism}) is the safe layer on
 * top: modules, slots, tokens, sessions, typed attributes and mechanisms, typed errors, a session
 * pool. {@code io.p11j.wrapper.internal} is not exported.
 */
module io.p11j {
    requires transitive com.sun.jna; // the sys layer's API speaks JNA Pointers
    requires org.bouncycastle.provider; // ASN.1/DER in the provider (not its JCA provider)
    requires java.logging;

    provides java.security.Provider with io.p11j.provider.P11jProvider;

    exports io.p11j.sys;
    exports io.p11j.uri;
    exports io.p11j.wrapper;
    exports io.p11j.wrapper.attribute;
    exports io.p11j.wrapper.mechanism;
    exports io.p11j.provider;
}
