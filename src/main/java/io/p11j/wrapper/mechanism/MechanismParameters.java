// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.mechanism;

import com.sun.jna.Pointer;
import io.p11j.sys.NativeArena;

/**
 * The parameter of a mechanism, as a typed Java value. Each implementation writes its own
 * {@code CK_*_PARAMS} structure; no caller builds native memory by hand.
 */
public sealed interface MechanismParameters
        permits Params.Iv, Params.Gcm, Params.Ctr, Params.Pss, Params.Oaep, Params.Ecdh1Derive, Params.Eddsa,
        Params.KeyDerivationString, Params.AesCbcEncryptData, Params.RsaAesKeyWrap, Params.ChaCha20Poly1305,
        Params.Ulong, Params.Raw {

    /** Native memory: the parameter structure in {@code arena}. */
    Pointer encode(NativeArena arena);

    /** {@code ulParameterLen}: the size of what {@link #encode} writes. */
    long length(io.p11j.sys.Abi abi);
}
