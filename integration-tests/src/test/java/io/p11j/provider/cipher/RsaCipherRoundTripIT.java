// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.P11jProvider;
import io.p11j.provider.key.P11RsaPrivateKey;
import io.p11j.provider.key.P11RsaPublicKey;
import io.p11j.provider.token.Quirk;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.InvalidAlgorithmParameterException;
import java.security.Key;
import java.security.KeyPair;
import java.security.Provider;
import java.security.ProviderException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every RSA transformation against SunJCE with the same key: a software key pair (SunRsaSign) whose
 * two halves are also imported onto the token. P11J encrypts (with the software public key, imported
 * as a session object, and with the token's own public key object) and SunJCE decrypts; SunJCE
 * encrypts and P11J decrypts with the token's private key. Message lengths 0, 1 and the most the
 * padding allows; one more byte is an {@code IllegalBlockSizeException}.
 *
 * <p>Which path OAEP took is shown by configuration: SoftHSM2's {@code CKM_RSA_PKCS_OAEP} takes
 * SHA-1/MGF1-SHA-1 without a label only, so every other parameter set decrypts through the provider's
 * decoding over {@code CKM_RSA_X_509} — with that mechanism disabled those are refused and SHA-1 still
 * works; with {@code CKM_RSA_PKCS_OAEP} disabled SHA-1 works through the raw path; with the quirk
 * switched off SoftHSM2 is asked for SHA-256 itself and refuses.
 */
@ExtendWith(SoftHsmExtension.class)
class RsaCipherRoundTripIT {

    private static final String LABEL = "rsa-round-trip";
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    static Path dir;
    static TestToken token;
    static Provider provider;
    static RsaTokenKeys keys;
    static KeyPair soft;
    static P11RsaPrivateKey tokenPrivate;
    static P11RsaPublicKey tokenPublic;

    /** A transformation, the parameters given at init (null: the name's defaults), and the padding's overhead in bytes. */
    record T(String name, AlgorithmParameterSpec spec, int overhead) {
        @Override
        public String toString() {
            return name + (spec instanceof OAEPParameterSpec o ? " " + o.getDigestAlgorithm() + "/MGF1-"
                    + ((MGF1ParameterSpec) o.getMGFParameters()).getDigestAlgorithm()
                    + (((PSource.PSpecified) o.getPSource()).getValue().length == 0 ? "" : " with a label") : "");
        }
    }

    static final List<T> TRANSFORMATIONS = List.of(
            new T("RSA", null, 11),
            new T("RSA/ECB/PKCS1Padding", null, 11),
            new T("RSA/ECB/NoPadding", null, 0),
            new T("RSA/ECB/OAEPPadding", null, 42),
            new T("RSA/ECB/OAEPWithSHA-1AndMGF1Padding", null, 42),
            new T("RSA/ECB/OAEPWithSHA-224AndMGF1Padding", null, 58),
            new T("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", null, 66),
            new T("RSA/ECB/OAEPWithSHA-384AndMGF1Padding", null, 98),
            new T("RSA/ECB/OAEPWithSHA-512AndMGF1Padding", null, 130),
            new T("RSA/ECB/OAEPPadding", oaep("SHA-256", MGF1ParameterSpec.SHA256, null), 66),
            new T("RSA/ECB/OAEPPadding", oaep("SHA-256", MGF1ParameterSpec.SHA256, "a label".getBytes()), 66),
            new T("RSA/ECB/OAEPPadding", oaep("SHA-384", MGF1ParameterSpec.SHA384, "label".getBytes()), 98),
            new T("RSA/ECB/OAEPPadding", oaep("SHA-512", MGF1ParameterSpec.SHA512, null), 130),
            new T("RSA/ECB/OAEPPadding", oaep("SHA-1", MGF1ParameterSpec.SHA1, "label".getBytes()), 42),
            new T("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", oaep("SHA-256", MGF1ParameterSpec.SHA256, null), 66));

    @BeforeAll
    static void configure(TestToken t) throws Exception {
        token = t;
        keys = RsaTokenKeys.open(t);
        provider = ProviderFixture.provider(t, dir);
        soft = RsaTokenKeys.softwarePair(2048);
        keys.importPair(soft, LABEL);
        tokenPrivate = RsaTokenKeys.privateKey(provider, LABEL);
        tokenPublic = RsaTokenKeys.publicKey(tokenPrivate, LABEL);
    }

    @AfterAll
    static void close() throws Exception {
        keys.close();
    }

    static OAEPParameterSpec oaep(String digest, MGF1ParameterSpec mgf, byte[] label) {
        return new OAEPParameterSpec(digest, "MGF1", mgf, label == null ? PSource.PSpecified.DEFAULT : new PSource.PSpecified(label));
    }

    @Test
    void p11jEncryptsAndSunJceDecrypts() throws Exception {
        int checked = 0;
        for (T t : TRANSFORMATIONS) {
            for (PublicKey key : List.of(soft.getPublic(), tokenPublic)) {
                for (byte[] msg : messages(t)) {
                    byte[] ct = p11j(t, Cipher.ENCRYPT_MODE, key, msg, provider);
                    assertThat(ct).as(t + " with " + key.getClass().getSimpleName()).hasSize(256);
                    assertThat(sunJce(t, Cipher.DECRYPT_MODE, soft.getPrivate(), ct)).as(t + " " + msg.length)
                            .isEqualTo(t.overhead() == 0 ? leftPad(msg) : msg);
                    checked++;
                }
                Cipher c = init(t, Cipher.ENCRYPT_MODE, key, provider);
                byte[] tooLong = new byte[256 - t.overhead() + 1];
                assertThatThrownBy(() -> c.doFinal(tooLong)).as(t.toString()).isInstanceOf(IllegalBlockSizeException.class);
            }
        }
        assertThat(checked).isEqualTo(TRANSFORMATIONS.size() * 2 * 3);
    }

    @Test
    void sunJceEncryptsAndP11jDecrypts() throws Exception {
        for (T t : TRANSFORMATIONS) {
            for (byte[] msg : messages(t)) {
                byte[] ct = sunJce(t, Cipher.ENCRYPT_MODE, soft.getPublic(), msg);
                assertThat(p11j(t, Cipher.DECRYPT_MODE, tokenPrivate, ct, provider)).as(t + " " + msg.length)
                        .isEqualTo(t.overhead() == 0 ? leftPad(msg) : msg);
            }
            Cipher c = init(t, Cipher.DECRYPT_MODE, tokenPrivate, provider);
            assertThatThrownBy(() -> c.doFinal(new byte[257])).as(t.toString()).isInstanceOf(IllegalBlockSizeException.class);
        }
    }

    @Test
    void theCipherIsReadyForTheNextMessageAndReportsItsParameters() throws Exception {
        Cipher enc = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", provider);
        enc.init(Cipher.ENCRYPT_MODE, soft.getPublic());
        AlgorithmParameters params = enc.getParameters();
        OAEPParameterSpec spec = params.getParameterSpec(OAEPParameterSpec.class);
        assertThat(spec.getDigestAlgorithm()).isEqualTo("SHA-256");
        assertThat(((MGF1ParameterSpec) spec.getMGFParameters()).getDigestAlgorithm()).as("SunJCE's default").isEqualTo("SHA-1");
        Cipher dec = Cipher.getInstance("RSA/ECB/OAEPPadding", provider);
        dec.init(Cipher.DECRYPT_MODE, tokenPrivate, params); // AlgorithmParameters, not a spec
        for (int i = 0; i < 3; i++) {
            byte[] msg = ("message " + i).getBytes();
            assertThat(dec.doFinal(enc.doFinal(msg))).isEqualTo(msg);
        }
        Cipher pkcs1 = Cipher.getInstance("RSA/ECB/PKCS1Padding", provider);
        pkcs1.init(Cipher.ENCRYPT_MODE, tokenPublic);
        assertThat(pkcs1.getParameters()).isNull();
        assertThat(pkcs1.getOutputSize(10)).isEqualTo(256);
        byte[] out = new byte[300];
        int n = pkcs1.doFinal("abc".getBytes(), 0, 3, out, 10);
        assertThat(n).isEqualTo(256);
        assertThat(sunJce(new T("RSA/ECB/PKCS1Padding", null, 11), Cipher.DECRYPT_MODE, soft.getPrivate(),
                Arrays.copyOfRange(out, 10, 266))).isEqualTo("abc".getBytes());
    }

    @Test
    void withoutRawRsaOnlyTheTokensOwnOaepParametersDecrypt() throws Exception {
        assertThat(tokenPrivate.context().has(Quirk.OAEP_SHA1_ONLY)).isTrue();
        Provider noRaw = configured("noraw", "disabled-mechanisms = CKM_RSA_X_509");
        P11RsaPrivateKey key = RsaTokenKeys.privateKey(noRaw, LABEL);
        int refused = 0;
        try {
            assertThat(noRaw.getService("Cipher", "RSA/ECB/NoPadding")).isNull();
            for (T t : TRANSFORMATIONS) {
                if (t.overhead() == 0) {
                    continue;
                }
                boolean tokenTakes = t.overhead() == 11 || (t.overhead() == 42 && t.spec() == null);
                byte[] msg = "a message".getBytes();
                // Encryption runs on the token where it can, else in software: always possible.
                byte[] ct = p11j(t, Cipher.ENCRYPT_MODE, soft.getPublic(), msg, noRaw);
                assertThat(sunJce(t, Cipher.DECRYPT_MODE, soft.getPrivate(), ct)).as(t.toString()).isEqualTo(msg);
                if (tokenTakes) {
                    assertThat(p11j(t, Cipher.DECRYPT_MODE, key, ct, noRaw)).as(t.toString()).isEqualTo(msg);
                } else {
                    // init(mode, key) may throw only InvalidKeyException: the refusal of the name's parameters is its cause.
                    Class<? extends Exception> expected = t.spec() == null ? java.security.InvalidKeyException.class
                            : InvalidAlgorithmParameterException.class;
                    assertThatThrownBy(() -> init(t, Cipher.DECRYPT_MODE, key, noRaw)).as(t.toString())
                            .isInstanceOf(expected).hasMessageContaining("no CKM_RSA_X_509");
                    refused++;
                }
            }
            assertThat(refused).isEqualTo(10); // all OAEP sets but SHA-1/MGF1-SHA-1 without a label
        } finally {
            key.context().close();
        }
    }

    @Test
    void withoutTheTokensOaepSha1GoesThroughTheRawPath() throws Exception {
        Provider noOaep = configured("nooaep", "disabled-mechanisms = CKM_RSA_PKCS_OAEP");
        P11RsaPrivateKey key = RsaTokenKeys.privateKey(noOaep, LABEL);
        try {
            T sha1 = new T("RSA/ECB/OAEPWithSHA-1AndMGF1Padding", null, 42);
            for (byte[] msg : messages(sha1)) {
                byte[] ct = sunJce(sha1, Cipher.ENCRYPT_MODE, soft.getPublic(), msg);
                assertThat(p11j(sha1, Cipher.DECRYPT_MODE, key, ct, noOaep)).isEqualTo(msg);
                byte[] ours = p11j(sha1, Cipher.ENCRYPT_MODE, soft.getPublic(), msg, noOaep); // in software
                assertThat(sunJce(sha1, Cipher.DECRYPT_MODE, soft.getPrivate(), ours)).isEqualTo(msg);
            }
            Cipher wrap = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding", noOaep);
            assertThatThrownBy(() -> wrap.init(Cipher.WRAP_MODE, soft.getPublic()))
                    .isInstanceOf(java.security.InvalidKeyException.class).hasMessageContaining("no CKM_RSA_PKCS_OAEP");
        } finally {
            key.context().close();
        }
    }

    @Test
    void withoutTheQuirkSoftHsmIsAskedForSha256OaepAndRefuses() throws Exception {
        Provider unquirked = configured("unquirked", "disabled-quirks = oaep-sha1-only");
        P11RsaPrivateKey key = RsaTokenKeys.privateKey(unquirked, LABEL);
        try {
            assertThat(key.context().has(Quirk.OAEP_SHA1_ONLY)).isFalse();
            T sha256 = new T("RSA/ECB/OAEPPadding", oaep("SHA-256", MGF1ParameterSpec.SHA256, null), 66);
            byte[] ct = sunJce(sha256, Cipher.ENCRYPT_MODE, soft.getPublic(), "x".getBytes());
            Cipher c = init(sha256, Cipher.DECRYPT_MODE, key, unquirked);
            assertThatThrownBy(() -> c.doFinal(ct)).isInstanceOf(ProviderException.class)
                    .hasCauseInstanceOf(io.p11j.sys.Pkcs11Exception.class).hasMessageContaining("C_Decrypt");
            // SHA-1 without a label is what SoftHSM2 does take.
            T sha1 = new T("RSA/ECB/OAEPPadding", null, 42);
            byte[] ct1 = sunJce(sha1, Cipher.ENCRYPT_MODE, soft.getPublic(), "x".getBytes());
            assertThat(p11j(sha1, Cipher.DECRYPT_MODE, key, ct1, unquirked)).isEqualTo("x".getBytes());
        } finally {
            key.context().close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Provider configured(String name, String... settings) throws Exception {
        StringBuilder text = new StringBuilder("name = " + name + "\ntoken = " + ProviderFixture.uri(token, dir) + "\n");
        for (String s : settings) {
            text.append(s).append('\n');
        }
        Path file = dir.resolve(name + ".conf");
        Files.writeString(file, text);
        return new P11jProvider().configure(file.toString());
    }

    /** Lengths 0, 1 and the most; for NoPadding 1, 100 and a full block below the modulus. */
    private static List<byte[]> messages(T t) {
        if (t.overhead() == 0) {
            byte[] full = random(256);
            full[0] = 0x01;
            return List.of(random(1), random(100), full);
        }
        return List.of(new byte[0], random(1), random(256 - t.overhead()));
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static byte[] leftPad(byte[] msg) {
        byte[] out = new byte[256];
        System.arraycopy(msg, 0, out, 256 - msg.length, msg.length);
        return out;
    }

    static Cipher init(T t, int mode, Key key, Provider p) throws Exception {
        Cipher c = Cipher.getInstance(t.name(), p);
        if (t.spec() == null) {
            c.init(mode, key);
        } else {
            c.init(mode, key, t.spec());
        }
        return c;
    }

    /** Through P11J, the input in two updates and a doFinal (RSA buffers them into one token call). */
    static byte[] p11j(T t, int mode, Key key, byte[] input, Provider p) throws Exception {
        Cipher c = init(t, mode, key, p);
        int half = input.length / 2;
        byte[] first = c.update(input, 0, half);
        assertThat(first == null || first.length == 0).isTrue();
        c.update(input, half, input.length - half - Math.min(1, input.length - half));
        return c.doFinal(input, input.length - Math.min(1, input.length - half), Math.min(1, input.length - half));
    }

    static byte[] sunJce(T t, int mode, Key key, byte[] input) throws Exception {
        return init(t, mode, key, java.security.Security.getProvider("SunJCE")).doFinal(input);
    }
}
