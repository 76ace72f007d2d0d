// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.P11jKeyStoreParameter;
import io.p11j.provider.P11jProvider;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.security.auth.callback.PasswordCallback;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.security.UnrecoverableKeyException;
import java.util.Collections;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every way to load the KeyStore, and wrong PINs. Each test makes a token of its own: SoftHSM2
 * accepts any PIN for a token this process is already logged in to ({@code CKR_USER_ALREADY_LOGGED_IN}
 * without a check), so a PIN is only really tested on a token nobody has logged in to yet.
 */
class KeyStoreLoadIT {

    private static final AtomicInteger TOKENS = new AtomicInteger();

    @TempDir
    Path dir;

    /** A new token holding a private key "private" and a (public) certificate "public", nobody logged in. */
    private static TestToken freshToken() throws Exception {
        TestToken t = SoftHsmExtension.createToken("ks-load-" + TOKENS.incrementAndGet());
        try (WrapperSession w = WrapperSession.open(t)) {
            w.ecPair("private", new byte[] {1});
            w.cert(Pki.root("public").cert(), "public", null);
        } // the last session closes: the token is logged out again
        return t;
    }

    private static KeyStore unconfigured() throws Exception {
        return KeyStore.getInstance("PKCS11-URI", new P11jProvider());
    }

    private static ByteArrayInputStream text(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    private static java.util.List<String> aliases(KeyStore ks) throws Exception {
        return Collections.list(ks.aliases());
    }

    @Test
    void aStreamHoldingAUriWithAPinSourceNeedsNoPassword() throws Exception {
        TestToken t = freshToken();
        KeyStore ks = unconfigured();
        ks.load(text("# written by hand\n\n" + ProviderFixture.uri(t, dir) + "\n"), null);
        assertThat(aliases(ks)).containsExactlyInAnyOrder("private", "public");
        assertThat(ks.getKey("private", null)).isNotNull();
    }

    @Test
    void aPasswordIsThePin() throws Exception {
        TestToken t = freshToken();
        KeyStore ks = unconfigured();
        ks.load(text(ProviderFixture.tokenUri(t)), t.userPinChars());
        assertThat(aliases(ks)).containsExactlyInAnyOrder("private", "public");
    }

    @Test
    void withoutAPinOnlyPublicObjectsShow() throws Exception {
        TestToken t = freshToken();
        KeyStore ks = unconfigured();
        ks.load(text(ProviderFixture.tokenUri(t)), null);
        assertThat(aliases(ks)).containsExactly("public");
    }

    @Test
    void aPinValueInTheUriIsUsedAndNeverWrittenBack() throws Exception {
        TestToken t = freshToken();
        KeyStore ks = unconfigured();
        ks.load(text(ProviderFixture.tokenUri(t) + "&pin-value=" + t.userPin()), null);
        assertThat(aliases(ks)).contains("private");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, null);
        String written = out.toString(StandardCharsets.UTF_8);
        assertThat(written).startsWith("pkcs11:token=" + t.label()).contains("module-path=").doesNotContain("pin")
                .doesNotContain(t.userPin()).endsWith("\n");
        KeyStore again = unconfigured();
        again.load(text(written), t.userPinChars());
        assertThat(aliases(again)).contains("private");
    }

    @Test
    void storeToAStreamKeepsAPinSource() throws Exception {
        TestToken t = freshToken();
        KeyStore ks = unconfigured();
        ks.load(text(ProviderFixture.uri(t, dir)), null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, "ignored".toCharArray());
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("pin-source=file:");
        ks.store(null, null); // a no-op
    }

    @Test
    void passwordProtectionWithTheUriInTheParameter() throws Exception {
        TestToken t = freshToken();
        KeyStore ks = unconfigured();
        ks.load(new P11jKeyStoreParameter(ProviderFixture.tokenUri(t), new KeyStore.PasswordProtection(t.userPinChars())));
        assertThat(aliases(ks)).contains("private");
    }

    @Test
    void callbackHandlerProtectionAsksForThePin() throws Exception {
        TestToken t = freshToken();
        AtomicInteger asked = new AtomicInteger();
        KeyStore.CallbackHandlerProtection handler = new KeyStore.CallbackHandlerProtection(callbacks -> {
            asked.incrementAndGet();
            ((PasswordCallback) callbacks[0]).setPassword(t.userPinChars());
        });
        KeyStore ks = unconfigured();
        ks.load(new P11jKeyStoreParameter(ProviderFixture.tokenUri(t), handler));
        assertThat(asked).hasPositiveValue();
        assertThat(aliases(ks)).contains("private");
    }

    @Test
    void aConfiguredProviderTakesThePinAtLoad() throws Exception {
        TestToken t = freshToken();
        Provider p = new P11jProvider().configure(ProviderFixture.tokenUri(t)); // no PIN in the URI
        KeyStore ks = KeyStore.getInstance("PKCS11-URI", p);
        ks.load(null, t.userPinChars());
        assertThat(aliases(ks)).contains("private");
        // Any LoadStoreParameter carries the protection.
        KeyStore again = KeyStore.getInstance("PKCS11-URI", p);
        again.load(() -> new KeyStore.PasswordProtection(t.userPinChars()));
        assertThat(aliases(again)).contains("private");
    }

    @Test
    void aWrongPinIsAnIoExceptionCausedByUnrecoverableKeyException() throws Exception {
        TestToken t = freshToken();
        KeyStore ks = unconfigured();
        assertThatThrownBy(() -> ks.load(text(ProviderFixture.tokenUri(t)), "wrong-pin".toCharArray()))
                .isInstanceOf(IOException.class).hasCauseInstanceOf(UnrecoverableKeyException.class)
                .hasMessageContaining("CKR_PIN_INCORRECT").hasMessageNotContaining("wrong-pin");
        // Not retried, not remembered: the right PIN works next.
        ks.load(text(ProviderFixture.tokenUri(t)), t.userPinChars());
        assertThat(aliases(ks)).contains("private");
    }

    @Test
    void aWrongPinDoesNotSpoilAConfiguredProvider() throws Exception {
        TestToken t = freshToken();
        Provider p = new P11jProvider().configure(ProviderFixture.tokenUri(t));
        KeyStore ks = KeyStore.getInstance("PKCS11-URI", p);
        assertThatThrownBy(() -> ks.load(null, "wrong-pin".toCharArray()))
                .isInstanceOf(IOException.class).hasCauseInstanceOf(UnrecoverableKeyException.class);
        assertThatThrownBy(() -> ks.load(new KeyStore.LoadStoreParameter() {
            @Override
            public KeyStore.ProtectionParameter getProtectionParameter() {
                return new KeyStore.CallbackHandlerProtection(cb -> ((PasswordCallback) cb[0]).setPassword("bad".toCharArray()));
            }
        })).isInstanceOf(IOException.class).hasCauseInstanceOf(UnrecoverableKeyException.class);
        // The provider's sessions still work, and the right PIN logs in.
        ks.load(null, null);
        assertThat(aliases(ks)).containsExactly("public");
        ks.load(null, t.userPinChars());
        assertThat(aliases(ks)).contains("private");
    }

    @Test
    void aTokenThisProcessIsLoggedInToIsNotAskedAgain() throws Exception {
        // Documented limit (SoftHSM2 and PKCS#11): C_Login on a logged-in token answers
        // CKR_USER_ALREADY_LOGGED_IN without checking the PIN, so a second load cannot check it either.
        TestToken t = freshToken();
        unconfigured().load(text(ProviderFixture.tokenUri(t)), t.userPinChars());
        KeyStore second = unconfigured();
        second.load(text(ProviderFixture.tokenUri(t)), "not-the-pin".toCharArray());
        assertThat(aliases(second)).contains("private");
    }

    @Test
    void theUnconfiguredProviderNeedsAUri() throws Exception {
        KeyStore ks = unconfigured();
        assertThatThrownBy(() -> ks.load(null, "123456".toCharArray())).isInstanceOf(IOException.class)
                .hasMessageContaining("pkcs11: URI");
        assertThatThrownBy(() -> ks.load(text("this is no URI"), null)).isInstanceOf(IOException.class)
                .hasMessageContaining("pkcs11: URI");
        assertThatThrownBy(() -> ks.load(text("pkcs11:token=x;bogus?pin-value=secret-pin"), null)).isInstanceOf(IOException.class)
                .hasMessageNotContaining("secret-pin");
    }

    @Test
    void anInstalledProviderFindsAndProbesUriFiles() throws Exception {
        TestToken t = freshToken();
        Path file = dir.resolve("token.uri");
        Files.writeString(file, ProviderFixture.tokenUri(t) + "\n");
        Security.addProvider(new P11jProvider());
        try {
            KeyStore byType = KeyStore.getInstance("PKCS11-URI");
            assertThat(byType.getProvider().getName()).isEqualTo("P11J");
            // KeyStore.getInstance(File) asks every provider's KeyStore whether the file is one of its own.
            KeyStore probed = KeyStore.getInstance(file.toFile(), t.userPinChars());
            assertThat(probed.getType()).isEqualTo("PKCS11-URI");
            assertThat(aliases(probed)).contains("private");
            assertThat(Security.getProvider("P11J").getService("KeyStore", "PKCS11-URI")).isNotNull();
        } finally {
            Security.removeProvider("P11J");
        }
    }
}
