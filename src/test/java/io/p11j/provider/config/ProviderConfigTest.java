// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.config;

import io.p11j.provider.token.Quirk;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.security.InvalidParameterException;

import static io.p11j.sys.Pkcs11Constants.CKM_SHA1_RSA_PKCS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProviderConfigTest {

    @Test
    void aUriIsAConfigurationWithDefaults() {
        ProviderConfig c = ProviderConfig.parse("pkcs11:token=demo?module-name=softhsm2&pin-value=1234");
        assertThat(c.providerName()).isEqualTo("P11J");
        assertThat(c.maxSessions()).isEqualTo(ProviderConfig.DEFAULT_MAX_SESSIONS);
        assertThat(c.tokenKeys()).isFalse();
        assertThat(c.toString()).doesNotContain("1234");
        assertThat(c.allows("Signature", "SHA256withRSA")).isTrue();
    }

    @Test
    void aFileGivesEverySetting() {
        ProviderConfig c = ProviderConfig.parse(String.join("\n",
                "name = hsm-1",
                "library = lib/libsofthsm2.so",
                "token = pkcs11:token=demo?pin-source=pin.txt",
                "init-args = configdir='sql:/x' flags=readOnly",
                "enabled-algorithms = Signature, KeyStore",
                "disabled-algorithms = Signature.SHA1withRSA",
                "disabled-mechanisms = CKM_SHA1_RSA_PKCS, 0x1041",
                "max-sessions = 3",
                "generated-keys = token",
                "allowed-modules = /usr/lib/x/libother.so"), Path.of("/etc/p11j"));
        assertThat(c.providerName()).isEqualTo("P11J-hsm-1");
        assertThat(c.token().modulePath()).contains("/etc/p11j/lib/libsofthsm2.so");
        assertThat(c.token().pinSource()).contains("/etc/p11j/pin.txt");
        assertThat(c.initArgs()).isEqualTo("configdir='sql:/x' flags=readOnly");
        assertThat(c.allows("Signature", "SHA256withRSA")).isTrue();
        assertThat(c.allows("signature", "sha1withrsa")).isFalse();
        assertThat(c.allows("KeyPairGenerator", "EC")).isFalse();
        assertThat(c.disabledMechanisms()).containsExactlyInAnyOrder(CKM_SHA1_RSA_PKCS, 0x1041L);
        assertThat(c.maxSessions()).isEqualTo(3);
        assertThat(c.tokenKeys()).isTrue();
        assertThat(c.allowedModules()).containsExactly(Path.of("/usr/lib/x/libother.so"));
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> ProviderConfig.parse("token = pkcs11:token=x\n", null))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("no module");
        assertThatThrownBy(() -> ProviderConfig.parse("library=/x.so\nmax-sessions = lots\n", null))
                .hasMessageContaining("max-sessions");
        assertThatThrownBy(() -> ProviderConfig.parse("library=/x.so\ngenerated-keys = forever\n", null))
                .hasMessageContaining("'session' or 'token'");
        assertThatThrownBy(() -> ProviderConfig.parse("library=/x.so\ndisabled-mechanisms = CKM_NOPE\n", null))
                .hasMessageContaining("CKM_NOPE");
        assertThatThrownBy(() -> ProviderConfig.parse("library=/x.so\nname = has space\n", null))
                .hasMessageContaining("name");
        assertThatThrownBy(() -> ProviderConfig.parse("library=/x.so\ntoken=pkcs11:?module-path=/y.so\n", null))
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> ProviderConfig.parse("  "))
                .hasMessageContaining("pkcs11: URI or the path");
    }

    @Test
    void digestsAreOffUnlessSwitchedOn() throws Exception {
        ProviderConfig dflt = ProviderConfig.parse("library=/x.so\n", null);
        assertThat(dflt.messageDigests()).isFalse();
        assertThat(dflt.allows("MessageDigest", "SHA-256")).isFalse();
        assertThat(dflt.allows("Signature", "SHA256withECDSA")).isTrue();
        ProviderConfig on = ProviderConfig.parse("library=/x.so\nmessage-digests = on\n", null);
        assertThat(on.allows("MessageDigest", "SHA-256")).isTrue();
        ProviderConfig onButDisabled = ProviderConfig.parse("library=/x.so\nmessage-digests = on\n"
                + "disabled-algorithms = MessageDigest.SHA-1\n", null);
        assertThat(onButDisabled.allows("MessageDigest", "SHA-1")).isFalse();
        assertThat(onButDisabled.allows("MessageDigest", "SHA-512")).isTrue();
        assertThat(ProviderConfig.ofUri(io.p11j.uri.Pkcs11Uri.parse("pkcs11:?module-path=/x.so")).allows("MessageDigest", "SHA-256"))
                .isFalse();
        assertThatThrownBy(() -> ProviderConfig.parse("library=/x.so\nmessage-digests = maybe\n", null))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("'on' or 'off'");
    }

    @Test
    void quirksAreNamedAndSwitchable() {
        ProviderConfig c = ProviderConfig.parse("library=/x.so\nenabled-quirks = rsa-cipher-single-part\n"
                + "disabled-quirks = OAEP-SHA1-ONLY, no-operation-state\n", null);
        assertThat(c.enabledQuirks()).containsExactly(Quirk.RSA_CIPHER_SINGLE_PART);
        assertThat(c.disabledQuirks()).containsExactlyInAnyOrder(Quirk.OAEP_SHA1_ONLY, Quirk.NO_OPERATION_STATE);
        assertThatThrownBy(() -> ProviderConfig.parse("library=/x.so\nenabled-quirks = flaky\n", null))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("unknown quirk 'flaky'")
                .hasMessageContaining("rsa-cipher-single-part");
        assertThatThrownBy(() -> ProviderConfig.parse("library=/x.so\nenabled-quirks = oaep-sha1-only\n"
                + "disabled-quirks = oaep-sha1-only\n", null)).hasMessageContaining("both enabled and disabled");
    }
}
