// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.key.Keys;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.token.TokenContext;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.KeyPairHandles;
import io.p11j.wrapper.PinSupplier;
import io.p11j.wrapper.Pkcs11Errors;
import io.p11j.wrapper.PooledSession;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Keys with {@code CKA_ALWAYS_AUTHENTICATE}, which SoftHSM2 enforces: every signature needs a
 * context-specific login between {@code C_SignInit} and {@code C_Sign}, on the same session, with
 * the PIN the KeyStore attaches to the key ({@link P11Key#contextPin}). The keys are made with the
 * wrapper (the provider's KeyPairGenerator does not set the attribute) and loaded with
 * {@link Keys#load}, on the token context of the configured provider, reached through a key its
 * KeyPairGenerator made.
 */
@ExtendWith(SoftHsmExtension.class)
class AlwaysAuthenticateIT {

    @TempDir
    static Path dir;
    static TestToken token;
    static Provider provider;
    static TokenContext context;
    static P11Key rsaKey;
    static PublicKey rsaPublic;
    static P11Key ecKey;
    static PublicKey ecPublic;

    @BeforeAll
    static void keys(TestToken t) throws Exception {
        token = t;
        provider = ProviderFixture.provider(t, dir);
        context = SignatureFixtures.contextOf(SignatureFixtures.Kind.ED25519.generate(provider));
        Template rsaPub = Template.builder().objectClass(CKO_PUBLIC_KEY).keyType(CKK_RSA).flag(TOKEN, true)
                .flag(VERIFY, true).set(MODULUS_BITS, 2048L).bigInteger(PUBLIC_EXPONENT, BigInteger.valueOf(65537)).build();
        KeyPairHandles rsa = generate(CKM_RSA_PKCS_KEY_PAIR_GEN, rsaPub, "always rsa");
        Template ecPub = Template.builder().objectClass(CKO_PUBLIC_KEY).keyType(CKK_EC).flag(TOKEN, true)
                .flag(VERIFY, true).set(EC_PARAMS, io.p11j.provider.codec.EcCurves.encodeParams(
                        io.p11j.provider.codec.EcCurves.byName("secp256r1"))).build();
        KeyPairHandles ec = generate(CKM_EC_KEY_PAIR_GEN, ecPub, "always ec");
        try (PooledSession ps = context.pool().borrow()) {
            rsaKey = Keys.load(context, ps.session(), rsa.privateKey());
            rsaPublic = Keys.loadPublic(context, ps.session(), rsa.publicKey());
            ecKey = Keys.load(context, ps.session(), ec.privateKey());
            ecPublic = Keys.loadPublic(context, ps.session(), ec.publicKey());
        }
    }

    private static KeyPairHandles generate(long mechanism, Template pub, String label) throws Exception {
        Template priv = Template.builder().objectClass(CKO_PRIVATE_KEY).flag(TOKEN, true).flag(PRIVATE, true)
                .flag(SENSITIVE, true).flag(SIGN, true).flag(ALWAYS_AUTHENTICATE, true).label(label).build();
        return context.execute(s -> s.generateKeyPair(Mechanism.of(mechanism), pub, priv));
    }

    /** Hands out the PIN and remembers each copy, to check that every one was wiped. */
    private static final class RecordingPins implements PinSupplier {
        final char[] pin;
        final List<char[]> handedOut = new ArrayList<>();

        RecordingPins(String pin) {
            this.pin = pin.toCharArray();
        }

        @Override
        public char[] pin() {
            char[] copy = pin.clone();
            handedOut.add(copy);
            return copy;
        }

        boolean allWiped() {
            return handedOut.stream().allMatch(c -> new String(c).chars().allMatch(ch -> ch == 0));
        }
    }

    @Test
    void withoutAnAttachedPinTheKeyIsRefusedAtInitNamingTheNeed() throws Exception {
        P11Key fresh;
        try (PooledSession ps = context.pool().borrow()) {
            fresh = Keys.load(context, ps.session(), rsaKey.handle(ps.session()));
        }
        assertThat(fresh.alwaysAuthenticate()).isTrue();
        assertThat(fresh.contextPin()).isNull();
        assertThatThrownBy(() -> Signature.getInstance("SHA256withRSA", provider).initSign((PrivateKey) fresh))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("CKA_ALWAYS_AUTHENTICATE");
    }

    @Test
    void everySignatureLogsInOnItsOwnSessionAndWipesThePin() throws Exception {
        RecordingPins pins = new RecordingPins(token.userPin());
        rsaKey.contextPin(pins);
        ecKey.contextPin(pins);
        int signatures = 0;
        for (String algorithm : new String[] {"SHA256withRSA", "SHA384withRSA/PSS", "SHA3-256withRSA"}) {
            // single-part twice, then multi-part (the token hashes the combined mechanisms past 64 KiB)
            for (int size : new int[] {100, 200, 3 * P11Signature.SINGLE_PART_LIMIT}) {
                verifyJdk(algorithm, sign(algorithm, (PrivateKey) rsaKey, size), rsaPublic, size);
                signatures++;
            }
        }
        for (String algorithm : new String[] {"SHA256withECDSA", "NONEwithECDSA"}) { // raw CKM_ECDSA
            for (int i = 0; i < 2; i++) {
                verifyJdk(algorithm, sign(algorithm, (PrivateKey) ecKey, 32), ecPublic, 32);
                signatures++;
            }
        }
        assertThat(pins.handedOut).as("one context-specific login per signature").hasSize(signatures);
        assertThat(pins.allWiped()).as("every PIN copy wiped after its login").isTrue();
    }

    @Test
    void delayedProviderSelectionWithAnAlwaysAuthenticateKey() throws Exception {
        ecKey.contextPin(PinSupplier.of(token.userPinChars()));
        java.security.Security.addProvider(provider);
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign((PrivateKey) ecKey);
            assertThat(s.getProvider()).isSameAs(provider);
            s.update(SignatureFixtures.message("SHA256withECDSA", 32, 32));
            verifyJdk("SHA256withECDSA", s.sign(), ecPublic, 32);
        } finally {
            java.security.Security.removeProvider(provider.getName());
        }
    }

    @Test
    void aWrongPinIsASignatureExceptionThatDoesNotQuoteItAndBreaksNothing() throws Exception {
        String wrong = "Wr0ng-Pin-7c1e";
        rsaKey.contextPin(PinSupplier.of(wrong.toCharArray()));
        Signature s = Signature.getInstance("SHA256withRSA", provider);
        s.initSign((PrivateKey) rsaKey);
        s.update(new byte[10]);
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(s::sign);
        assertThat(thrown).isInstanceOf(SignatureException.class).hasMessageContaining("CKR_PIN_INCORRECT")
                .hasCauseInstanceOf(Pkcs11Errors.PinIncorrectException.class);
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(wrong).doesNotContain(token.userPin());
        }
        // The right PIN again: the pool's sessions and the user login are intact.
        rsaKey.contextPin(PinSupplier.of(token.userPinChars()));
        verifyJdk("SHA256withRSA", sign("SHA256withRSA", (PrivateKey) rsaKey, 10), rsaPublic, 10);
        Signature plain = Signature.getInstance("SHA256withECDSA", provider);
        plain.initSign(SignatureFixtures.Kind.P256.generate(provider).getPrivate());
        plain.update(new byte[1]);
        assertThat(plain.sign()).isNotEmpty();
    }

    @Test
    void aPinSupplierThatFailsIsASignatureException() throws Exception {
        rsaKey.contextPin(() -> {
            throw new java.io.IOException("the PIN pad went away");
        });
        Signature s = Signature.getInstance("SHA256withRSA", provider);
        s.initSign((PrivateKey) rsaKey);
        s.update(new byte[10]);
        assertThatThrownBy(s::sign).isInstanceOf(SignatureException.class).hasMessageContaining("PIN pad went away");
        rsaKey.contextPin(PinSupplier.of(token.userPinChars()));
    }

    private static byte[] sign(String algorithm, PrivateKey key, int size) throws Exception {
        Signature s = Signature.getInstance(algorithm, provider);
        s.initSign(key);
        s.update(SignatureFixtures.message(algorithm, size, size));
        return s.sign();
    }

    private static void verifyJdk(String algorithm, byte[] sig, PublicKey pub, int size) throws Exception {
        Signature v = SignatureFixtures.jdk(algorithm);
        v.initVerify(pub);
        v.update(SignatureFixtures.message(algorithm, size, size));
        assertThat(v.verify(sig)).as("%s over %d bytes", algorithm, size).isTrue();
    }
}
