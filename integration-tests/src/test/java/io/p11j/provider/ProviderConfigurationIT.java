// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.provider.token.Quirk;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.login.FailedLoginException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidParameterException;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How P11J is found and configured: by URI, by file, by name; and what a bad configuration says. */
@ExtendWith(SoftHsmExtension.class)
class ProviderConfigurationIT {

    @TempDir
    Path dir;

    @Test
    void serviceLoaderFindsTheUnconfiguredProviderOnTheClassPath() {
        Provider p = ServiceLoader.load(Provider.class).stream().map(ServiceLoader.Provider::get)
                .filter(x -> x.getName().equals("P11J")).findFirst().orElseThrow();
        assertThat(p).isInstanceOf(P11jProvider.class);
        assertThat(p.isConfigured()).isFalse();
        assertThat(p.getService("KeyStore", "PKCS11-URI")).as("the unconfigured provider offers the URI KeyStore").isNotNull();
        assertThat(p.getService("KeyPairGenerator", "EC")).as("key generation needs a token").isNull();
    }

    @Test
    void configuredByUriServesTheTokenAndRegistersWhatItCanDo(TestToken token) throws Exception {
        Provider p = new P11jProvider().configure(ProviderFixture.uri(token, dir));
        assertThat(p.getName()).isEqualTo("P11J");
        assertThat(p.isConfigured()).isTrue();
        assertThat(p.getInfo()).contains("token=" + token.label());
        // SoftHSM2 2.6 has RSA, EC and EdDSA key generation.
        assertThat(p.getService("KeyPairGenerator", "RSA")).isNotNull();
        assertThat(p.getService("KeyPairGenerator", "EC")).isNotNull();
        assertThat(p.getService("KeyPairGenerator", "1.2.840.10045.2.1")).as("alias by OID").isNotNull();
        assertThat(KeyPairGenerator.getInstance("EC", p).generateKeyPair().getPrivate()).isInstanceOf(P11jKey.class);
    }

    @Test
    void aFileNamesTheInstanceAndFiltersServices(TestToken token) throws Exception {
        Path conf = dir.resolve("p11j.conf");
        Files.writeString(conf, String.join("\n",
                "# a test configuration",
                "name = signer",
                "token = " + ProviderFixture.uri(token, dir),
                "disabled-algorithms = KeyPairGenerator.RSA",
                "disabled-mechanisms = CKM_EC_EDWARDS_KEY_PAIR_GEN",
                "max-sessions = 4",
                "generated-keys = token", ""));
        Provider p = new P11jProvider().configure(conf.toString());
        assertThat(p.getName()).isEqualTo("P11J-signer");
        assertThat(p.getService("KeyPairGenerator", "RSA")).as("disabled by algorithm").isNull();
        assertThat(p.getService("KeyPairGenerator", "Ed25519")).as("disabled by mechanism").isNull();
        assertThat(p.getService("KeyPairGenerator", "EC")).isNotNull();
        P11jKey key = (P11jKey) KeyPairGenerator.getInstance("EC", p).generateKeyPair().getPrivate();
        assertThat(key.isTokenObject()).as("generated-keys = token").isTrue();

        // Two configured instances side by side.
        Provider plain = new P11jProvider().configure(ProviderFixture.uri(token, dir));
        try {
            assertThat(Security.addProvider(p)).isPositive();
            assertThat(Security.addProvider(plain)).isPositive();
            assertThat(Security.getProvider("P11J-signer")).isSameAs(p);
            assertThat(Security.getProvider("P11J")).isSameAs(plain);
            assertThatThrownBy(() -> KeyPairGenerator.getInstance("RSA", "P11J-signer")).isInstanceOf(NoSuchAlgorithmException.class);
        } finally {
            Security.removeProvider("P11J-signer");
            Security.removeProvider("P11J");
        }
    }

    @Test
    void softHsm2IsRecognisedByTheQuirkTableAndQuirksAreSwitchable(TestToken token) throws Exception {
        P11jProvider byUri = (P11jProvider) new P11jProvider().configure(ProviderFixture.uri(token, dir));
        assertThat(byUri.context().quirks()).as("SoftHSM2's identity selects its quirks")
                .containsExactlyInAnyOrder(Quirk.values());

        Path conf = dir.resolve("quirks.conf");
        Files.writeString(conf, String.join("\n",
                "token = " + ProviderFixture.uri(token, dir),
                "disabled-quirks = oaep-sha1-only, pss-mgf1-equals-hash", ""));
        P11jProvider switched = (P11jProvider) new P11jProvider().configure(conf.toString());
        assertThat(switched.context().has(Quirk.OAEP_SHA1_ONLY)).isFalse();
        assertThat(switched.context().has(Quirk.PSS_MGF1_EQUALS_HASH)).isFalse();
        assertThat(switched.context().has(Quirk.RSA_CIPHER_SINGLE_PART)).isTrue();
    }

    @Test
    void messageDigestsAreOfferedOnlyWhenSwitchedOn(TestToken token) throws Exception {
        Provider dflt = new P11jProvider().configure(ProviderFixture.uri(token, dir));
        assertThat(dflt.getServices()).noneMatch(s -> s.getType().equals("MessageDigest"));
        Path conf = dir.resolve("digests.conf");
        Files.writeString(conf, "token = " + ProviderFixture.uri(token, dir) + "\nmessage-digests = on\n");
        Provider on = new P11jProvider().configure(conf.toString());
        // Registered only once a MessageDigest family exists; until then the switch must at least not break.
        assertThat(on.getServices()).isNotEmpty();
        on.getServices().stream().filter(s -> s.getType().equals("MessageDigest"))
                .forEach(s -> assertThat(s.getAlgorithm()).startsWith("SHA"));
    }

    @Test
    void aUriMatchingNoTokenListsTheTokensPresent(TestToken token) {
        String uri = "pkcs11:token=no-such-token?module-path=" + SoftHsm.get().modulePath();
        assertThatThrownBy(() -> new P11jProvider().configure(uri))
                .isInstanceOf(P11jConfigurationException.class).isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("matches no token")
                .hasMessageContaining("pkcs11:token=" + token.label().replace(" ", "%20"));
    }

    @Test
    void aUriMatchingSeveralTokensSelectsNone(TestToken token) throws Exception {
        TestToken second = SoftHsmExtension.createToken("cfg-second");
        String uri = "pkcs11:manufacturer=SoftHSM%20project?module-path=" + SoftHsm.get().modulePath();
        assertThatThrownBy(() -> new P11jProvider().configure(uri))
                .isInstanceOf(P11jConfigurationException.class)
                .hasMessageContaining("tokens (a provider serves one)")
                .hasMessageContaining("token=" + token.label())
                .hasMessageContaining("token=" + second.label());
    }

    @Test
    void aMissingModuleIsNamed() {
        assertThatThrownBy(() -> new P11jProvider().configure("pkcs11:token=x?module-path=/nonexistent/libnothing.so"))
                .isInstanceOf(P11jConfigurationException.class).hasMessageContaining("/nonexistent/libnothing.so");
    }

    @Test
    void badFilesAndArgumentsAreRefusedByName() throws Exception {
        assertThatThrownBy(() -> new P11jProvider().configure("/nonexistent/p11j.conf"))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("not found");
        Path typo = dir.resolve("typo.conf");
        Files.writeString(typo, "libary = /usr/lib/x.so\n");
        assertThatThrownBy(() -> new P11jProvider().configure(typo.toString()))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("unknown setting 'libary'");
        assertThatThrownBy(() -> new P11jProvider().configure("pkcs11:token=a;token=b"))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("not a valid pkcs11: URI");
    }

    @Test
    void aWrongPinFailsConfigurationWithoutEchoingIt(TestToken token) throws Exception {
        // A fresh token nobody in this process is logged in to (SoftHSM2 skips the PIN check when one is).
        TestToken fresh = SoftHsmExtension.createToken("cfg-wrong-pin");
        String uri = ProviderFixture.tokenUri(fresh) + "&pin-value=wrong-secret-4711";
        assertThatThrownBy(() -> new P11jProvider().configure(uri))
                .isInstanceOf(P11jConfigurationException.class).hasMessageContaining("login")
                .hasMessageNotContaining("wrong-secret-4711")
                .satisfies(e -> assertThat(causes(e)).doesNotContain("wrong-secret-4711"));
    }

    @Test
    void authProviderLoginAndLogout(TestToken token) throws Exception {
        TestToken fresh = SoftHsmExtension.createToken("cfg-auth");
        P11jProvider p = (P11jProvider) new P11jProvider().configure(ProviderFixture.tokenUri(fresh));
        assertThat(p.context().isLoggedIn()).isFalse();
        assertThatThrownBy(() -> p.login(null, callbacks -> ((PasswordCallback) callbacks[0]).setPassword("nope".toCharArray())))
                .isInstanceOf(FailedLoginException.class);
        p.login(null, callbacks -> ((PasswordCallback) callbacks[0]).setPassword(fresh.userPinChars()));
        assertThat(p.context().isLoggedIn()).isTrue();
        // Logged in: private keys can be generated.
        assertThat(KeyPairGenerator.getInstance("EC", p).generateKeyPair()).isNotNull();
        p.logout();
        assertThat(p.context().isLoggedIn()).isFalse();
        assertThatThrownBy(() -> KeyPairGenerator.getInstance("EC", p).generateKeyPair())
                .isInstanceOf(java.security.ProviderException.class).hasMessageContaining("CKR_USER_NOT_LOGGED_IN");
    }

    private static String causes(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t).append('\n');
        }
        return sb.toString();
    }
}
