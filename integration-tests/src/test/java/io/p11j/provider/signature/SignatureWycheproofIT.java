// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.codec.EcCurves;
import io.p11j.provider.codec.EcPoints;
import io.p11j.provider.key.Keys;
import io.p11j.provider.key.P11PublicKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.testing.Wycheproof;
import io.p11j.testing.Wycheproof.Group;
import io.p11j.testing.Wycheproof.TestCase;
import io.p11j.testing.Wycheproof.TestFile;
import io.p11j.wrapper.PooledSession;
import io.p11j.wrapper.attribute.Template;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Wycheproof's signature vectors through the provider, verified on SoftHSM2: every {@code valid}
 * signature accepted, every {@code invalid} one rejected ({@code false} or a
 * {@code SignatureException}, never {@code true}), the {@code acceptable} ones listed with what the
 * token made of them. Each group's public key reaches the token both ways a key can: as a public key
 * object made with the wrapper and loaded as a P11J key ({@link Keys#loadPublic}), and as the JDK's
 * software key, which the configured provider imports as a session object.
 *
 * <p>A case the token cannot take at all would be counted as unsupported, listed with its reason,
 * and the expected count written here; with these files on SoftHSM2 2.6.1 there is none: the PSS
 * file uses MGF1 over the message digest (SoftHSM2 refuses any other MGF1 digest with
 * {@code CKR_ARGUMENTS_BAD}), and every key is on a curve and of a size it takes. The counts are
 * asserted exactly, so that a regression — or a case that starts failing differently — fails here.
 *
 * <p>P11J must agree with Wycheproof, not with the JDK: JDK 17's SunEC accepts some ECDSA
 * signatures with a negative {@code s} and rejects some valid ones, which is why nothing here
 * compares with the JDK.
 */
@ExtendWith(SoftHsmExtension.class)
class SignatureWycheproofIT {

    @TempDir
    static Path dir;
    static Provider provider;
    static TokenContext context;

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", provider);
        kpg.initialize(new ECGenParameterSpec("secp256r1"));
        context = SignatureFixtures.contextOf(kpg.generateKeyPair());
    }

    /** How each group's key reaches the token. */
    enum KeyPath {
        /** A public key object created through the wrapper, loaded as a P11J key. */
        TOKEN_OBJECT,
        /** The JDK's key; the provider imports it as a session object. */
        SOFTWARE_IMPORT
    }

    @ParameterizedTest(name = "{0} ({2})")
    @CsvSource({
        // file,                                  algorithm,                    key path,        valid, invalid, acceptable, unsupported
        "ecdsa_secp256r1_sha256_test.json,        SHA256withECDSA,              TOKEN_OBJECT,    174,   310,     0,          0",
        "ecdsa_secp256r1_sha256_test.json,        SHA256withECDSA,              SOFTWARE_IMPORT, 174,   310,     0,          0",
        "ecdsa_secp256r1_sha256_p1363_test.json,  SHA256withECDSAinP1363Format, TOKEN_OBJECT,    173,   89,      0,          0",
        "ecdsa_secp256r1_sha256_p1363_test.json,  SHA256withECDSAinP1363Format, SOFTWARE_IMPORT, 173,   89,      0,          0",
        "ecdsa_secp384r1_sha384_test.json,        SHA384withECDSA,              TOKEN_OBJECT,    194,   310,     0,          0",
        "ecdsa_secp384r1_sha384_test.json,        SHA384withECDSA,              SOFTWARE_IMPORT, 194,   310,     0,          0",
        "rsa_signature_2048_sha256_test.json,     SHA256withRSA,                TOKEN_OBJECT,    9,     249,     1,          0",
        "rsa_signature_2048_sha256_test.json,     SHA256withRSA,                SOFTWARE_IMPORT, 9,     249,     1,          0",
        "rsa_pss_2048_sha256_mgf1_32_test.json,   RSASSA-PSS,                   TOKEN_OBJECT,    63,    45,      0,          0",
        "rsa_pss_2048_sha256_mgf1_32_test.json,   RSASSA-PSS,                   SOFTWARE_IMPORT, 63,    45,      0,          0",
        "ed25519_test.json,                       Ed25519,                      TOKEN_OBJECT,    88,    63,      0,          0",
        "ed25519_test.json,                       Ed25519,                      SOFTWARE_IMPORT, 88,    63,      0,          0",
    })
    void everyVectorAsWycheproofSays(String file, String algorithm, KeyPath path, int valid, int invalid, int acceptable,
                                     int unsupported) throws Exception {
        TestFile vectors = Wycheproof.load(file);
        List<String> wrong = new ArrayList<>();
        List<String> acceptableSeen = new ArrayList<>();
        List<String> unsupportedSeen = new ArrayList<>();
        int validAccepted = 0;
        int invalidRejected = 0;
        int rejectedByException = 0;
        for (Group g : vectors.groups()) {
            Signature verifier = Signature.getInstance(algorithm, provider);
            if (g.pss() != null) {
                verifier.setParameter(new PSSParameterSpec(g.sha(), "MGF1", new MGF1ParameterSpec(g.pss().mgfSha()),
                        g.pss().sLen(), 1));
            }
            // Persistent token objects where there are few groups (the RSA files); session objects where
            // there are a hundred: SoftHSM2 writes each token object to disk and rereads them all after
            // every change, which makes the test disk-bound without testing anything more.
            boolean persistent = vectors.groups().size() <= 10;
            PublicKey key = path == KeyPath.TOKEN_OBJECT ? tokenObject(g, persistent) : g.publicKey();
            try {
                verifier.initVerify(key);
            } catch (InvalidKeyException e) {
                for (TestCase t : g.tests()) {
                    unsupportedSeen.add(t.tcId() + " (" + t.result() + "): key refused: " + e.getMessage());
                }
                destroy(key);
                continue;
            }
            for (TestCase t : g.tests()) {
                Boolean verified;
                String how;
                try {
                    verifier.update(t.msg());
                    verified = verifier.verify(t.sig());
                    how = String.valueOf(verified);
                } catch (SignatureException e) {
                    verified = false;
                    how = "SignatureException: " + e.getMessage();
                    rejectedByException++;
                } catch (RuntimeException e) {
                    verified = null; // not an answer: a failure of the provider or the token
                    how = e.toString();
                }
                String line = "tcId " + t.tcId() + " " + t.result() + " " + t.flags() + " '" + t.comment() + "' -> " + how;
                if (verified == null) {
                    unsupportedSeen.add(line);
                } else if (t.acceptable()) {
                    acceptableSeen.add(line);
                } else if (t.valid() && verified) {
                    validAccepted++;
                } else if (t.invalid() && !verified) {
                    invalidRejected++;
                } else {
                    wrong.add(line);
                }
            }
            destroy(key);
        }
        System.out.printf("Wycheproof %s via %s (%s): valid accepted %d, invalid rejected %d (%d by SignatureException), "
                        + "acceptable %d, unsupported %d%n", file, algorithm, path, validAccepted, invalidRejected,
                rejectedByException, acceptableSeen.size(), unsupportedSeen.size());
        acceptableSeen.forEach(a -> System.out.println("  acceptable: " + a));
        unsupportedSeen.forEach(u -> System.out.println("  unsupported: " + u));

        assertThat(wrong).as("cases decided against Wycheproof").isEmpty();
        assertThat(unsupportedSeen).as("cases the token could not take").hasSize(unsupported);
        assertThat(validAccepted).as("valid signatures accepted").isEqualTo(valid);
        assertThat(invalidRejected).as("invalid signatures rejected").isEqualTo(invalid);
        assertThat(acceptableSeen).as("acceptable cases").hasSize(acceptable);
        assertThat(valid + invalid + acceptable + unsupported).as("every test counted").isEqualTo(vectors.numberOfTests());
    }

    /**
     * Destroys a group's token object once its tests ran: SoftHSM2 reloads every token object from disk
     * after each change, so letting a hundred of them pile up makes each import slower than the last.
     */
    private static void destroy(PublicKey key) throws io.p11j.sys.Pkcs11Exception {
        if (key instanceof P11PublicKey p) {
            context.execute(s -> {
                s.destroyObject(p.handle(s));
                return null;
            });
        }
    }

    /**
     * The group's key as a public key object on the token, made through the wrapper and loaded as a P11J
     * key: a token object ({@code CKA_TOKEN=true}) if {@code persistent}, else a session object on the
     * context's object session.
     */
    private static P11PublicKey tokenObject(Group g, boolean persistent) throws GeneralSecurityException,
            io.p11j.sys.Pkcs11Exception {
        Template.Builder t = Template.builder().objectClass(CKO_PUBLIC_KEY).flag(TOKEN, persistent).flag(PRIVATE, false)
                .flag(VERIFY, true).label("wycheproof " + g.type());
        if (g.rsaKey() != null) {
            t.keyType(CKK_RSA).bigInteger(MODULUS, g.rsaKey().n()).bigInteger(PUBLIC_EXPONENT, g.rsaKey().e());
        } else if (g.ecKey() != null) {
            ECParameterSpec params = EcCurves.byName(g.ecKey().curve());
            t.keyType(CKK_EC).set(EC_PARAMS, EcCurves.encodeParams(params))
                    .set(EC_POINT, EcPoints.encodeCkaEcPoint(g.ecKey().w(), params));
        } else {
            t.keyType(CKK_EC_EDWARDS).set(EC_PARAMS, EcCurves.edwardsParams(g.edKey().curve()))
                    .set(EC_POINT, EcPoints.encodeOctetString(g.edKey().pk()));
        }
        Template template = t.build();
        long handle = persistent ? context.execute(s -> s.createObject(template))
                : context.withObjectSession(s -> s.createObject(template));
        try (PooledSession ps = context.pool().borrow()) {
            return Keys.loadPublic(context, ps.session(), handle);
        }
    }
}
