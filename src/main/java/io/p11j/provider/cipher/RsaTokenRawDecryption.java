// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.sys.Pkcs11Exception;
import org.bouncycastle.crypto.AsymmetricBlockCipher;
import org.bouncycastle.crypto.CipherParameters;

import java.util.Arrays;

/**
 * Bouncy Castle's view of the token's raw RSA decryption ({@code CKM_RSA_X_509} with the private key
 * on the token), so that BC's {@code OAEPEncoding} decodes what the token decrypted: OAEP parameters
 * the token's own {@code CKM_RSA_PKCS_OAEP} does not take, without the private key leaving the token.
 *
 * <p>Like BC's {@code RSAEngine}, a block handed to the decoding is the encoded message without its
 * first octet (BC's {@code getOutputBlockSize()} is {@code k - 1}). BC's engine drops that octet by
 * stripping leading zeros, a length that depends on the secret; here the octet is always cut off
 * and kept, in constant time, as {@link #leadingOctet()}, which the caller must check to be zero
 * (RFC 8017 7.1.2 step 3g) together with BC's verdict, never on its own path.
 *
 * <p>One instance per decryption; not thread-safe.
 */
final class RsaTokenRawDecryption implements AsymmetricBlockCipher {

    /** The token's raw decryption: one {@code context.execute}. */
    @FunctionalInterface
    interface Raw {
        byte[] decrypt(byte[] ciphertext) throws Pkcs11Exception;
    }

    /** A token failure, carried through BC's code unchanged (BC catches nothing). */
    static final class TokenFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TokenFailure(Pkcs11Exception cause) {
            super(cause);
        }

        Pkcs11Exception pkcs11() {
            return (Pkcs11Exception) getCause();
        }
    }

    private final int k;
    private final Raw raw;
    private int leading;

    /** @param k the modulus length in bytes */
    RsaTokenRawDecryption(int k, Raw raw) {
        this.k = k;
        this.raw = raw;
    }

    @Override
    public void init(boolean forEncryption, CipherParameters param) {
        if (forEncryption) {
            throw new IllegalArgumentException("decryption only");
        }
    }

    @Override
    public int getInputBlockSize() {
        return k;
    }

    @Override
    public int getOutputBlockSize() {
        return k - 1;
    }

    @Override
    public byte[] processBlock(byte[] in, int inOff, int len) {
        byte[] em;
        try {
            em = raw.decrypt(inOff == 0 && len == in.length ? in : Arrays.copyOfRange(in, inOff, inOff + len));
        } catch (Pkcs11Exception e) {
            throw new TokenFailure(e);
        }
        // A token returns k octets; one that drops leading zeros (their number is what BC's engine would
        // reveal) is put back to k here. Longer is no RSA output at all.
        byte[] full = em;
        if (em.length != k) {
            full = new byte[k];
            System.arraycopy(em, 0, full, Math.max(0, k - em.length), Math.min(k, em.length));
            leading = em.length > k ? 1 : 0;
            Arrays.fill(em, (byte) 0);
        }
        leading |= full[0] & 0xff;
        byte[] out = Arrays.copyOfRange(full, 1, k);
        Arrays.fill(full, (byte) 0);
        return out;
    }

    /** The first octet of the encoded message (0 when well formed), or non-zero when the token's output was too long. */
    int leadingOctet() {
        return leading;
    }
}
