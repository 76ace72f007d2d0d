// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.cipher.CipherVectors.Vector;
import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.Provider;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Wycheproof's AES-GCM and AES-CBC-PKCS5 vectors on SoftHSM2, every key imported onto the token as a
 * sensitive object: each valid case encrypts to the expected ciphertext and decrypts back, each
 * invalid case is refused with the exception the JCA documents. GCM: 229 valid (226 pass, 3 skipped:
 * IVs over 128 bytes, which P11J refuses because SoftHSM2 2.6.1 computes them wrongly), 87 invalid
 * (81 modified tags, 6 empty IVs); the file's tags are all 128 bits. CBC-PKCS5: 72 valid, 144 invalid
 * (141 bad paddings, 3 empty ciphertexts), none skipped.
 */
@ExtendWith(SoftHsmExtension.class)
class CipherWycheproofIT {

    @TempDir
    static Path dir;
    static Provider provider;
    static TokenContext context;

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        context = CipherFixtures.context(provider);
    }

    @Test
    void withoutItsQuirkSoftHsm2GetsLongGcmIvsWrong(TestToken token) throws Exception {
        // Why the quirk exists, kept measurable: switched off, the long IVs reach SoftHSM2, which answers
        // CKR_OK with a wrong ciphertext and tag. If a SoftHSM2 release fixes it, this fails: narrow the quirk.
        java.nio.file.Path conf = dir.resolve("no-gcm-quirk.conf");
        java.nio.file.Files.writeString(conf, "token = " + ProviderFixture.uri(token, dir)
                + "\ndisabled-quirks = gcm-iv-max-128-bytes\n");
        Provider unguarded = new io.p11j.provider.P11jProvider().configure(conf.toString());
        TokenContext unguardedContext = CipherFixtures.context(unguarded);
        int wrong = 0;
        for (Vector v : CipherVectors.load("aes_gcm_test.json").tests()) {
            if (v.result().equals("valid") && v.iv().length > P11SymmetricCipher.MAX_GCM_IV) {
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding", unguarded);
                c.init(Cipher.ENCRYPT_MODE, CipherFixtures.aes(unguardedContext, v.key()), new GCMParameterSpec(v.tagBits(), v.iv()));
                c.updateAAD(v.aad());
                if (!java.util.Arrays.equals(c.doFinal(v.msg()), v.ctAndTag())) {
                    wrong++;
                }
            }
        }
        assertThat(wrong).as("long-IV cases SoftHSM2 computes wrongly").isEqualTo(3);
    }

    @Test
    void aesGcm() throws Exception {
        CipherVectors.File file = CipherVectors.load("aes_gcm_test.json");
        assertThat(file.tests()).hasSize(file.numberOfTests()).hasSize(316);
        int valid = 0;
        int badTag = 0;
        int emptyIv = 0;
        List<Integer> tooLongIv = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        for (Vector v : file.tests()) {
            P11SecretKey key = CipherFixtures.aes(context, v.key());
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
            GCMParameterSpec spec = new GCMParameterSpec(v.tagBits(), v.iv());
            if (v.result().equals("valid") && v.iv().length > P11SymmetricCipher.MAX_GCM_IV) {
                // Skipped (refused by P11J): tcId 268, 272, 276, "long IV size", 2056-bit IVs. SoftHSM2 2.6.1 over
                // OpenSSL 3 computes a wrong result for IVs over 128 bytes without an error, so P11J never sends them.
                assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, key, spec)).as("%s", v)
                        .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("gcm-iv-max-128-bytes");
                tooLongIv.add(v.tcId());
            } else if (v.result().equals("valid")) {
                c.init(Cipher.ENCRYPT_MODE, key, spec);
                c.updateAAD(v.aad());
                assertThat(c.doFinal(v.msg())).as("%s encrypt", v).isEqualTo(v.ctAndTag());
                c.init(Cipher.DECRYPT_MODE, key, spec);
                c.updateAAD(v.aad());
                assertThat(c.doFinal(v.ctAndTag())).as("%s decrypt", v).isEqualTo(v.msg());
                valid++;
            } else if (v.flags().contains("ZeroLengthIv")) {
                // Refused at init, before the token: a GCM IV has at least one byte (SunJCE: the same).
                assertThatThrownBy(() -> c.init(Cipher.DECRYPT_MODE, key, spec)).as("%s", v)
                        .isInstanceOf(InvalidAlgorithmParameterException.class);
                assertThatThrownBy(() -> c.init(Cipher.ENCRYPT_MODE, key, spec)).as("%s", v)
                        .isInstanceOf(InvalidAlgorithmParameterException.class);
                emptyIv++;
            } else if (v.flags().contains("ModifiedTag")) {
                c.init(Cipher.DECRYPT_MODE, key, spec);
                c.updateAAD(v.aad());
                assertThatThrownBy(() -> c.doFinal(v.ctAndTag())).as("%s", v).isInstanceOf(AEADBadTagException.class);
                badTag++;
            } else {
                unexpected.add(v.toString());
            }
        }
        assertThat(unexpected).isEmpty();
        assertThat(valid).isEqualTo(226);
        assertThat(tooLongIv).containsExactly(268, 272, 276);
        assertThat(badTag).isEqualTo(81);
        assertThat(emptyIv).isEqualTo(6);
    }

    @Test
    void aesCbcPkcs5() throws Exception {
        CipherVectors.File file = CipherVectors.load("aes_cbc_pkcs5_test.json");
        assertThat(file.tests()).hasSize(file.numberOfTests()).hasSize(216);
        int valid = 0;
        int badPadding = 0;
        int empty = 0;
        List<String> unexpected = new ArrayList<>();
        for (Vector v : file.tests()) {
            P11SecretKey key = CipherFixtures.aes(context, v.key());
            Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding", provider);
            IvParameterSpec spec = new IvParameterSpec(v.iv());
            if (v.result().equals("valid")) {
                c.init(Cipher.ENCRYPT_MODE, key, spec);
                assertThat(c.doFinal(v.msg())).as("%s encrypt", v).isEqualTo(v.ct());
                c.init(Cipher.DECRYPT_MODE, key, spec);
                assertThat(c.doFinal(v.ct())).as("%s decrypt", v).isEqualTo(v.msg());
                valid++;
            } else if (v.flags().contains("BadPadding") || v.flags().contains("NoPadding")) {
                c.init(Cipher.DECRYPT_MODE, key, spec);
                // An empty ciphertext ("NoPadding") too: SunJCE returns an empty plaintext there, P11J refuses it.
                assertThatThrownBy(() -> c.doFinal(v.ct())).as("%s", v).isInstanceOf(BadPaddingException.class)
                        .isNotInstanceOf(AEADBadTagException.class);
                if (v.ct().length == 0) {
                    empty++;
                } else {
                    badPadding++;
                }
            } else {
                unexpected.add(v.toString());
            }
        }
        assertThat(unexpected).isEmpty();
        assertThat(valid).isEqualTo(72);
        assertThat(badPadding).isEqualTo(141);
        assertThat(empty).isEqualTo(3);
    }
}
