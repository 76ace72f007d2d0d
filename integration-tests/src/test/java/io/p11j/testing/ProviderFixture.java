// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import io.p11j.provider.P11jProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Provider;

/** Configured P11J providers for a test token: the URI a user would write, with the PIN in a private file. */
public final class ProviderFixture {

    private ProviderFixture() {
    }

    /** {@code pkcs11:token=<label>?module-path=<softhsm>&pin-source=file:<pin file>}; the PIN file goes into {@code dir}. */
    public static String uri(TestToken token, Path dir) {
        return tokenUri(token) + "&pin-source=file:" + pinFile(token, dir);
    }

    /** The token and module, no PIN. */
    public static String tokenUri(TestToken token) {
        return "pkcs11:token=" + enc(token.label()) + "?module-path=" + SoftHsm.get().modulePath();
    }

    /** A private file holding the token's user PIN. */
    public static Path pinFile(TestToken token, Path dir) {
        Path pin = dir.resolve("pin-" + token.label());
        try {
            if (!Files.exists(pin)) {
                Files.writeString(pin, token.userPin() + "\n");
                Files.setPosixFilePermissions(pin, PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pin;
    }

    /** A provider configured for {@code token}, logged in. */
    public static Provider provider(TestToken token, Path dir) {
        return new P11jProvider().configure(uri(token, dir));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
