// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.encodings.OAEPEncoding;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The provider-side OAEP decoding ({@link RsaTokenRawDecryption} under BC's {@code OAEPEncoding})
 * with a software raw RSA standing in for the token's {@code CKM_RSA_X_509}, against SunJCE's OAEP
 * encryption; and the parameter table.
 */
class RsaOaepDecodingTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final KeyPair PAIR;

    static {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
            g.initialize(2048);
            PAIR = g.generateKeyPair();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What a token's raw RSA returns: c^d mod n, in k octets, or (a token that trims) without leading zeros. */
    private static byte[] raw(byte[] c, boolean trim) {
        RSAPrivateKey k = (RSAPrivateKey) PAIR.getPrivate();
        BigInteger m = new BigInteger(1, c).modPow(k.getPrivateExponent(), k.getModulus());
        byte[] out = new byte[256];
        byte[] mb = m.toByteArray();
        int n = Math.min(mb.length, 256);
        System.arraycopy(mb, mb.length - n, out, 256 - n, n);
        if (!trim) {
            return out;
        }
        int zeros = 0;
        while (zeros < out.length && out[zeros] == 0) {
            zeros++;
        }
        return Arrays.copyOfRange(out, zeros, out.length);
    }

    private static byte[] decode(OaepParameters p, byte[] ct, boolean trim) throws InvalidCipherTextException {
        RsaTokenRawDecryption engine = new RsaTokenRawDecryption(256, c -> raw(c, trim));
        OAEPEncoding oaep = new OAEPEncoding(engine, p.hash().newDigest(), p.mgfHash().newDigest(), p.label());
        oaep.init(false, new ParametersWithRandom(null, RANDOM));
        byte[] out = oaep.processBlock(ct, 0, ct.length);
        if (engine.leadingOctet() != 0) {
            throw new InvalidCipherTextException("leading octet");
        }
        return out;
    }

    @Test
    void decodesWhatSunJceEncodes() throws Exception {
        for (OAEPParameterSpec spec : new OAEPParameterSpec[] {
                OAEPParameterSpec.DEFAULT,
                new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, new PSource.PSpecified("l".getBytes())),
                new OAEPParameterSpec("SHA-512", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT)}) {
            OaepParameters p = OaepParameters.of(spec);
            for (int len : new int[] {0, 1, p.maxMessage(256)}) {
                byte[] msg = new byte[len];
                RANDOM.nextBytes(msg);
                Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding", "SunJCE");
                c.init(Cipher.ENCRYPT_MODE, PAIR.getPublic(), spec);
                byte[] ct = c.doFinal(msg);
                assertThat(decode(p, ct, false)).as(p + " " + len).isEqualTo(msg);
                assertThat(decode(p, ct, true)).as(p + " " + len + ", trimmed raw output").isEqualTo(msg);
                byte[] bad = ct.clone();
                bad[100] ^= 1;
                assertThatThrownBy(() -> decode(p, bad, false)).isInstanceOf(InvalidCipherTextException.class);
                OaepParameters otherLabel = new OaepParameters(p.hash(), p.mgfHash(), "other".getBytes());
                assertThatThrownBy(() -> decode(otherLabel, ct, false)).isInstanceOf(InvalidCipherTextException.class);
            }
        }
    }

    @Test
    void aNonZeroLeadingOctetIsCaughtOutsideBc() throws Exception {
        // EM = 0x01 || maskedSeed || maskedDB, otherwise valid: BC alone accepts it (it sees k-1 octets).
        OaepParameters p = OaepParameters.defaults(OaepParameters.Hash.SHA1);
        Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding", "SunJCE");
        c.init(Cipher.ENCRYPT_MODE, PAIR.getPublic(), OAEPParameterSpec.DEFAULT);
        byte[] ct = c.doFinal("m".getBytes());
        byte[] em = raw(ct, false);
        em[0] = 1;
        Cipher rawEnc = Cipher.getInstance("RSA/ECB/NoPadding", "SunJCE");
        rawEnc.init(Cipher.ENCRYPT_MODE, PAIR.getPublic());
        byte[] forged = rawEnc.doFinal(em);
        RsaTokenRawDecryption engine = new RsaTokenRawDecryption(256, x -> raw(x, false));
        OAEPEncoding oaep = new OAEPEncoding(engine, p.hash().newDigest(), p.mgfHash().newDigest(), p.label());
        oaep.init(false, new ParametersWithRandom(null, RANDOM));
        assertThat(oaep.processBlock(forged, 0, forged.length)).isEqualTo("m".getBytes());
        assertThat(engine.leadingOctet()).isEqualTo(1);
    }

    @Test
    void parameters() throws Exception {
        assertThat(OaepParameters.Hash.ofPaddingName("OAEPWithSHA-256AndMGF1Padding")).isEqualTo(OaepParameters.Hash.SHA256);
        assertThat(OaepParameters.Hash.ofPaddingName("oaepwithsha512andmgf1padding")).isEqualTo(OaepParameters.Hash.SHA512);
        assertThat(OaepParameters.Hash.ofPaddingName("OAEPWithMD5AndMGF1Padding")).isNull();
        assertThat(OaepParameters.Hash.ofPaddingName("PKCS1Padding")).isNull();
        assertThat(OaepParameters.defaults(OaepParameters.Hash.SHA384).mgfHash()).as("SunJCE's MGF1 default")
                .isEqualTo(OaepParameters.Hash.SHA1);
        assertThat(OaepParameters.of(OaepParameters.defaults(OaepParameters.Hash.SHA224).spec()))
                .isEqualTo(OaepParameters.defaults(OaepParameters.Hash.SHA224));
        assertThat(OaepParameters.defaults(OaepParameters.Hash.SHA256).maxMessage(256)).isEqualTo(190);
        assertThatThrownBy(() -> OaepParameters.of(new OAEPParameterSpec("SHA3-256", "MGF1", MGF1ParameterSpec.SHA1,
                PSource.PSpecified.DEFAULT))).isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> OaepParameters.of(new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA512_256,
                PSource.PSpecified.DEFAULT))).isInstanceOf(InvalidAlgorithmParameterException.class);
    }
}
