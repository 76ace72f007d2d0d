// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.key.P11Key;
import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.key.SecretKeys;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.attribute.AttributeType;

import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.spec.ECGenParameterSpec;
import java.util.HexFormat;
import java.util.Random;

import static io.p11j.sys.Pkcs11Constants.CKK_AES;
import static io.p11j.sys.Pkcs11Constants.CKK_DES3;

/**
 * Test keys for the cipher tests: secret key objects with a known value ({@code CKA_VALUE}), made
 * sensitive on the token through the provider's one creation path ({@link SecretKeys}), so that the
 * same bytes can key SunJCE for comparison.
 */
final class CipherFixtures {

    static final HexFormat HEX = HexFormat.of();

    private CipherFixtures() {
    }

    /** The provider's token, reached through a key the provider generates (the context is not public API). */
    static TokenContext context(Provider provider) throws GeneralSecurityException {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", provider);
        kpg.initialize(new ECGenParameterSpec("secp256r1"));
        return ((P11Key) kpg.generateKeyPair().getPrivate()).context();
    }

    /** A sensitive, non-extractable AES session key holding {@code value}. */
    static P11SecretKey aes(TokenContext context, byte[] value) throws Pkcs11Exception {
        return key(context, CKK_AES, "AES", value, false, null);
    }

    /** A sensitive DESede session key holding {@code value} (24 bytes). */
    static P11SecretKey des3(TokenContext context, byte[] value) throws Pkcs11Exception {
        return key(context, CKK_DES3, "DESede", value, false, null);
    }

    /** A secret key object with {@code value}, sensitive, extractable (may be wrapped) as asked. */
    static P11SecretKey key(TokenContext context, long keyType, String algorithm, byte[] value, boolean extractable,
                            String label) throws Pkcs11Exception {
        var template = SecretKeys.template(keyType, false, extractable, label, null).set(AttributeType.VALUE, value).build();
        return SecretKeys.create(context, template, algorithm, (s, t) -> s.createObject(t));
    }

    static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }
}
