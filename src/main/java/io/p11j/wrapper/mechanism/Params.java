// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper.mechanism;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.p11j.sys.Abi;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;
import io.p11j.sys.NativeArena;

import java.util.Objects;

import static io.p11j.sys.Pkcs11Constants.CKZ_DATA_SPECIFIED;

/** The mechanism parameter types. Arrays are copied in, so every parameter is immutable. */
public final class Params {

    private Params() {
    }

    private static Pointer bytesOrNull(byte[] b, NativeArena arena) {
        return b == null || b.length == 0 ? Pointer.NULL : arena.bytes(b);
    }

    /** An initialization vector alone (CBC, CBC_PAD, ECB-less modes): the parameter is the IV's bytes. */
    public record Iv(byte[] iv) implements MechanismParameters {
        public Iv {
            iv = Objects.requireNonNull(iv, "iv").clone();
        }

        @Override
        public byte[] iv() {
            return iv.clone();
        }

        @Override
        public Pointer encode(NativeArena arena) {
            return arena.bytes(iv);
        }

        @Override
        public long length(Abi abi) {
            return iv.length;
        }
    }

    /** {@code CK_GCM_PARAMS}: IV, additional authenticated data, tag length in bits. */
    public record Gcm(byte[] iv, byte[] aad, int tagBits) implements MechanismParameters {
        public Gcm {
            iv = Objects.requireNonNull(iv, "iv").clone();
            aad = aad == null ? new byte[0] : aad.clone();
            if (tagBits <= 0 || tagBits > 128 || tagBits % 8 != 0) {
                throw new IllegalArgumentException("GCM tag length must be 8..128 bits in whole bytes, not " + tagBits);
            }
        }

        @Override
        public byte[] iv() {
            return iv.clone();
        }

        @Override
        public byte[] aad() {
            return aad.clone();
        }

        @Override
        public Pointer encode(NativeArena arena) {
            StructLayout l = Structs.CK_GCM_PARAMS.layout(arena.abi());
            Pointer m = arena.allocate(l.size());
            l.field("pIv").setPointer(m, bytesOrNull(iv, arena));
            l.field("ulIvLen").setULong(m, iv.length);
            l.field("ulIvBits").setULong(m, iv.length * 8L);
            l.field("pAAD").setPointer(m, bytesOrNull(aad, arena));
            l.field("ulAADLen").setULong(m, aad.length);
            l.field("ulTagBits").setULong(m, tagBits);
            return m;
        }

        @Override
        public long length(Abi abi) {
            return Structs.CK_GCM_PARAMS.layout(abi).size();
        }
    }

    /** {@code CK_AES_CTR_PARAMS}: how many bits of the 16-byte counter block count, and the block. */
    public record Ctr(int counterBits, byte[] counterBlock) implements MechanismParameters {
        public Ctr {
            counterBlock = Objects.requireNonNull(counterBlock, "counterBlock").clone();
            if (counterBlock.length != 16) {
                throw new IllegalArgumentException("CTR counter block must be 16 bytes, not " + counterBlock.length);
            }
            if (counterBits < 1 || counterBits > 128) {
                throw new IllegalArgumentException("counter bits must be 1..128, not " + counterBits);
            }
        }

        @Override
        public byte[] counterBlock() {
            return counterBlock.clone();
        }

        @Override
        public Pointer encode(NativeArena arena) {
            StructLayout l = Structs.CK_AES_CTR_PARAMS.layout(arena.abi());
            Pointer m = arena.allocate(l.size());
            l.field("ulCounterBits").setULong(m, counterBits);
            l.field("cb").setBytes(m, counterBlock);
            return m;
        }

        @Override
        public long length(Abi abi) {
            return Structs.CK_AES_CTR_PARAMS.layout(abi).size();
        }
    }

    /** {@code CK_RSA_PKCS_PSS_PARAMS}: hash mechanism ({@code CKM_SHA256} …), MGF ({@code CKG_MGF1_SHA256} …), salt length. */
    public record Pss(long hashAlg, long mgf, long saltLength) implements MechanismParameters {
        @Override
        public Pointer encode(NativeArena arena) {
            StructLayout l = Structs.CK_RSA_PKCS_PSS_PARAMS.layout(arena.abi());
            Pointer m = arena.allocate(l.size());
            l.field("hashAlg").setULong(m, hashAlg);
            l.field("mgf").setULong(m, mgf);
            l.field("sLen").setULong(m, saltLength);
            return m;
        }

        @Override
        public long length(Abi abi) {
            return Structs.CK_RSA_PKCS_PSS_PARAMS.layout(abi).size();
        }
    }

    /** {@code CK_RSA_PKCS_OAEP_PARAMS}: hash mechanism, MGF, and the label ({@code null} or empty for none). */
    public record Oaep(long hashAlg, long mgf, byte[] label) implements MechanismParameters {
        public Oaep {
            label = label == null ? new byte[0] : label.clone();
        }

        @Override
        public byte[] label() {
            return label.clone();
        }

        @Override
        public Pointer encode(NativeArena arena) {
            StructLayout l = Structs.CK_RSA_PKCS_OAEP_PARAMS.layout(arena.abi());
            Pointer m = arena.allocate(l.size());
            l.field("hashAlg").setULong(m, hashAlg);
            l.field("mgf").setULong(m, mgf);
            // CKZ_DATA_SPECIFIED always, the one source PKCS#11 defines; an empty label is a NULL pointer and length 0
            // (2.40 §2.1.8). SoftHSM2's C_EncryptInit refuses source 0 with CKR_ARGUMENTS_BAD.
            l.field("source").setULong(m, CKZ_DATA_SPECIFIED);
            l.field("pSourceData").setPointer(m, bytesOrNull(label, arena));
            l.field("ulSourceDataLen").setULong(m, label.length);
            return m;
        }

        @Override
        public long length(Abi abi) {
            return Structs.CK_RSA_PKCS_OAEP_PARAMS.layout(abi).size();
        }
    }

    /** {@code CK_ECDH1_DERIVE_PARAMS}: KDF ({@code CKD_NULL} …), optional shared data, the peer's public point. */
    public record Ecdh1Derive(long kdf, byte[] sharedData, byte[] publicData) implements MechanismParameters {
        public Ecdh1Derive {
            sharedData = sharedData == null ? new byte[0] : sharedData.clone();
            publicData = Objects.requireNonNull(publicData, "publicData").clone();
        }

        @Override
        public byte[] sharedData() {
            return sharedData.clone();
        }

        @Override
        public byte[] publicData() {
            return publicData.clone();
        }

        @Override
        public Pointer encode(NativeArena arena) {
            StructLayout l = Structs.CK_ECDH1_DERIVE_PARAMS.layout(arena.abi());
            Pointer m = arena.allocate(l.size());
            l.field("kdf").setULong(m, kdf);
            l.field("ulSharedDataLen").setULong(m, sharedData.length);
            l.field("pSharedData").setPointer(m, bytesOrNull(sharedData, arena));
            l.field("ulPublicDataLen").setULong(m, publicData.length);
            l.field("pPublicData").setPointer(m, bytesOrNull(publicData, arena));
            return m;
        }

        @Override
        public long length(Abi abi) {
            return Structs.CK_ECDH1_DERIVE_PARAMS.layout(abi).size();
        }
    }

    /** {@code CK_EDDSA_PARAMS}: pre-hash flag and context data (Ed25519ctx/ph, Ed448). */
    public record Eddsa(boolean preHash, byte[] context) implements MechanismParameters {
        public Eddsa {
            context = context == null ? new byte[0] : context.clone();
        }

        @Override
        public byte[] context() {
            return context.clone();
        }

        @Override
        public Pointer encode(NativeArena arena) {
            StructLayout l = Structs.CK_EDDSA_PARAMS.layout(arena.abi());
            Pointer m = arena.allocate(l.size());
            l.field("phFlag").setByte(m, (byte) (preHash ? 1 : 0));
            l.field("ulContextDataLen").setULong(m, context.length);
            l.field("pContextData").setPointer(m, bytesOrNull(context, arena));
            return m;
        }

        @Override
        public long length(Abi abi) {
            return Structs.CK_EDDSA_PARAMS.layout(abi).size();
        }
    }

    /** {@code CK_KEY_DERIVATION_STRING_DATA}: data for {@code CKM_*_ECB_ENCRYPT_DATA}, {@code CKM_CONCATENATE_*} … */
    public record KeyDerivationString(byte[] data) implements MechanismParameters {
        public KeyDerivationString {
            data = Objects.requireNonNull(data, "data").clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public Pointer encode(NativeArena arena) {
            StructLayout l = Structs.CK_KEY_DERIVATION_STRING_DATA.layout(arena.abi());
            Pointer m = arena.allocate(l.size());
            l.field("pData").setPointer(m, bytesOrNull(data, arena));
            l.field("ulLen").setULong(m, data.length);
            return m;
        }

        @Override
        public long length(Abi abi) {
            return Structs.CK_KEY_DERIVATION_STRING_DATA.layout(abi).size();
        }
    }

    /** {@code CK_AES_CBC_ENCRYPT_DATA_PARAMS}: IV and data for {@code CKM_AES_CBC_ENCRYPT_DATA}. */
    public record AesCbcEncryptData(byte[] iv, byte[] data) implements MechanismParameters {
        public AesCbcEncryptData {
            iv = Objects.requireNonNull(iv, "iv").clone();
            data = Objects.requireNonNull(data, "data").clone();
            if (iv.length != 16) {
                throw new IllegalArgumentException("IV must be 16 bytes, not " + iv.length);
            }
        }

        @Override
        public byte[] iv() {
            return iv.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public Pointer encode(NativeArena arena) {
            StructLayout l = Structs.CK_AES_CBC_ENCRYPT_DATA_PARAMS.layout(arena.abi());
            Pointer m = arena.allocate(l.size());
            l.field("iv").setBytes(m, iv);
            l.field("pData").setPointer(m, bytesOrNull(data, arena));
            l.field("length").setULong(m, data.length);
            return m;
        }

        @Override
        public long length(Abi abi) {
            return Structs.CK_AES_CBC_ENCRYPT_DATA_PARAMS.layout(abi).size();
        }
    }

    /** {@code CK_RSA_AES_KEY_WRAP_PARAMS}: AES key size and the OAEP parameters. */
    public record RsaAesKeyWrap(long aesKeyBits, Oaep oaep) implements MechanismParameters {
        public RsaAesKeyWrap {
            Objects.requireNonNull(oaep, "oaep");
        }

        @Override
        public Pointer encode(NativeArena arena) {
            StructLayout l = Structs.CK_RSA_AES_KEY_WRAP_PARAMS.layout(arena.abi());
            Pointer m = arena.allocate(l.size());
            l.field("ulAESKeyBits").setULong(m, aesKeyBits);
            l.field("pOAEPParams").setPointer(m, oaep.encode(arena));
            return m;
        }

        @Override
        public long length(Abi abi) {
            return Structs.CK_RSA_AES_KEY_WRAP_PARAMS.layout(abi).size();
        }
    }

    /** {@code CK_SALSA20_CHACHA20_POLY1305_PARAMS}: nonce and AAD. */
    public record ChaCha20Poly1305(byte[] nonce, byte[] aad) implements MechanismParameters {
        public ChaCha20Poly1305 {
            nonce = Objects.requireNonNull(nonce, "nonce").clone();
            aad = aad == null ? new byte[0] : aad.clone();
        }

        @Override
        public byte[] nonce() {
            return nonce.clone();
        }

        @Override
        public byte[] aad() {
            return aad.clone();
        }

        @Override
        public Pointer encode(NativeArena arena) {
            StructLayout l = Structs.CK_SALSA20_CHACHA20_POLY1305_PARAMS.layout(arena.abi());
            Pointer m = arena.allocate(l.size());
            l.field("pNonce").setPointer(m, bytesOrNull(nonce, arena));
            l.field("ulNonceLen").setULong(m, nonce.length);
            l.field("pAAD").setPointer(m, bytesOrNull(aad, arena));
            l.field("ulAADLen").setULong(m, aad.length);
            return m;
        }

        @Override
        public long length(Abi abi) {
            return Structs.CK_SALSA20_CHACHA20_POLY1305_PARAMS.layout(abi).size();
        }
    }

    /** A single {@code CK_ULONG} parameter ({@code CK_MAC_GENERAL_PARAMS}, {@code CK_EXTRACT_PARAMS} …). */
    public record Ulong(long value) implements MechanismParameters {
        @Override
        public Pointer encode(NativeArena arena) {
            return arena.ulong(value);
        }

        @Override
        public long length(Abi abi) {
            return abi.ulongSize();
        }
    }

    /**
     * Raw parameter bytes, for vendor mechanisms the wrapper has no type for. The bytes must already
     * be in the platform's layout (they contain no pointers the wrapper could fix up).
     */
    public record Raw(byte[] bytes) implements MechanismParameters {
        public Raw {
            bytes = Objects.requireNonNull(bytes, "bytes").clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public Pointer encode(NativeArena arena) {
            return arena.bytes(bytes);
        }

        @Override
        public long length(Abi abi) {
            return bytes.length;
        }
    }

}
