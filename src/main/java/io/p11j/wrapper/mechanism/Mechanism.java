// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.mechanism;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.p11j.sys.Pkcs11Constants;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;
import io.p11j.sys.NativeArena;

import java.util.Objects;
import java.util.Optional;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * A mechanism ({@code CKM_*}) with its typed parameter, if it takes one: what every operation init
 * takes. Immutable.
 *
 * <pre>{@code
 * Mechanism.of(CKM_SHA256_RSA_PKCS)
 * Mechanism.rsaPss(CKM_SHA256, CKG_MGF1_SHA256, 32)
 * Mechanism.aesGcm(iv, aad, 128)
 * }</pre>
 */
public final class Mechanism {

    private final long type;
    private final MechanismParameters parameters;

    private Mechanism(long type, MechanismParameters parameters) {
        this.type = type;
        this.parameters = parameters;
    }

    /** A mechanism without a parameter. */
    public static Mechanism of(long type) {
        return new Mechanism(type, null);
    }

    /** A mechanism with {@code parameters}. */
    public static Mechanism of(long type, MechanismParameters parameters) {
        return new Mechanism(type, Objects.requireNonNull(parameters, "parameters"));
    }

    public static Mechanism rsaPss(long hashAlg, long mgf, long saltLength) {
        return of(CKM_RSA_PKCS_PSS, new Params.Pss(hashAlg, mgf, saltLength));
    }

    /** A hash-and-sign PSS mechanism such as {@code CKM_SHA256_RSA_PKCS_PSS}, with its parameters. */
    public static Mechanism rsaPss(long mechanism, long hashAlg, long mgf, long saltLength) {
        return of(mechanism, new Params.Pss(hashAlg, mgf, saltLength));
    }

    public static Mechanism rsaOaep(long hashAlg, long mgf, byte[] label) {
        return of(CKM_RSA_PKCS_OAEP, new Params.Oaep(hashAlg, mgf, label));
    }

    public static Mechanism aesGcm(byte[] iv, byte[] aad, int tagBits) {
        return of(CKM_AES_GCM, new Params.Gcm(iv, aad, tagBits));
    }

    public static Mechanism aesCtr(int counterBits, byte[] counterBlock) {
        return of(CKM_AES_CTR, new Params.Ctr(counterBits, counterBlock));
    }

    public static Mechanism aesCbc(byte[] iv) {
        return of(CKM_AES_CBC, new Params.Iv(iv));
    }

    public static Mechanism aesCbcPad(byte[] iv) {
        return of(CKM_AES_CBC_PAD, new Params.Iv(iv));
    }

    public static Mechanism ecdh1Derive(long kdf, byte[] sharedData, byte[] publicData) {
        return of(CKM_ECDH1_DERIVE, new Params.Ecdh1Derive(kdf, sharedData, publicData));
    }

    public static Mechanism eddsa(boolean preHash, byte[] context) {
        return of(CKM_EDDSA, new Params.Eddsa(preHash, context));
    }

    /** The {@code CKM_*} value. */
    public long type() {
        return type;
    }

    public Optional<MechanismParameters> parameters() {
        return Optional.ofNullable(parameters);
    }

    /** A native {@code CK_MECHANISM} (with its parameter structure) in {@code arena}. */
    public Pointer encode(NativeArena arena) {
        StructLayout l = Structs.CK_MECHANISM.layout(arena.abi());
        Pointer m = arena.allocate(l.size());
        l.field("mechanism").setULong(m, type);
        if (parameters != null) {
            l.field("pParameter").setPointer(m, parameters.encode(arena));
            l.field("ulParameterLen").setULong(m, parameters.length(arena.abi()));
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mechanism m && m.type == type && Objects.equals(m.parameters, parameters);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(type) * 31 + Objects.hashCode(parameters);
    }

    @Override
    public String toString() {
        return Pkcs11Constants.mechanismName(type) + (parameters == null ? "" : "(" + parameters.getClass().getSimpleName() + ")");
    }
}
