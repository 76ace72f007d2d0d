// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.key.PublicKeyImports;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.provider.cipher.P11RsaCipher.Padding;
import io.p11j.provider.key.P11RsaPrivateKey;
import io.p11j.provider.key.P11RsaPublicKey;
import io.p11j.provider.service.ServiceDescriptor;
import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.MechanismInfo;

import java.security.Key;
import java.security.PrivateKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * The RSA {@code Cipher} services: {@code RSA} (PKCS#1 v1.5 unless {@code setPadding} says otherwise,
 * as in SunJCE), {@code RSA/ECB/PKCS1Padding}, {@code RSA/ECB/NoPadding}, {@code RSA/ECB/OAEPPadding}
 * (with an {@code OAEPParameterSpec}, SHA-1 by default) and {@code RSA/ECB/OAEPWith<digest>AndMGF1Padding}
 * for SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512 — with SunJCE's meaning: the digest hashes the
 * label, MGF1 uses SHA-1 unless an {@code OAEPParameterSpec} says otherwise. Each also answers to
 * {@code RSA/NONE/…} and to the digest spelled without its hyphen ({@code OAEPWithSHA256AndMGF1Padding}).
 *
 * <p>Registered where the token has the mechanism: {@code CKM_RSA_PKCS}, {@code CKM_RSA_X_509}, and
 * for OAEP {@code CKM_RSA_PKCS_OAEP} or {@code CKM_RSA_X_509} (raw decryption with the OAEP decoding
 * in the provider, see {@link P11RsaCipher}).
 *
 * <p>Keys ({@code supportsParameter}), by the signature services' rule: P11J RSA private keys and
 * P11J RSA public keys whose token has the mechanism; other RSA public keys only on a configured
 * provider whose token has it, in the mechanism's key-size range (they are imported there); never a
 * software private key.
 */
public final class RsaCipherServices {

    private static final String KEYS = "io.p11j.provider.P11jKey|java.security.interfaces.RSAPublicKey";
    private static final long[] OAEP = {CKM_RSA_PKCS_OAEP, CKM_RSA_X_509};

    private RsaCipherServices() {
    }

    /** Every RSA cipher service, whatever the token; {@code ServiceTable} keeps those the token can do. */
    public static List<ServiceDescriptor> descriptors() {
        List<ServiceDescriptor> all = new ArrayList<>();
        PublicKeyImports imports = new PublicKeyImports(AttributeType.ENCRYPT, AttributeType.WRAP); // one cache per provider
        StringBuilder paddings = new StringBuilder("NOPADDING|PKCS1PADDING|OAEPPADDING");
        for (OaepParameters.Hash h : OaepParameters.Hash.values()) {
            paddings.append("|OAEPWITH").append(h.jcaName).append("ANDMGF1PADDING|OAEPWITH").append(h.jcaName.replace("-", ""))
                    .append("ANDMGF1PADDING");
        }
        all.add(service("RSA", List.of(), null, null, new long[] {CKM_RSA_PKCS}, imports,
                Map.of("SupportedKeyClasses", KEYS, "SupportedModes", "ECB|NONE", "SupportedPaddings", paddings.toString())));
        all.add(service("RSA/ECB/PKCS1Padding", List.of("RSA/NONE/PKCS1Padding"), Padding.PKCS1, null, new long[] {CKM_RSA_PKCS},
                imports, Map.of("SupportedKeyClasses", KEYS)));
        all.add(service("RSA/ECB/NoPadding", List.of("RSA/NONE/NoPadding"), Padding.NONE, null, new long[] {CKM_RSA_X_509},
                imports, Map.of("SupportedKeyClasses", KEYS)));
        all.add(service("RSA/ECB/OAEPPadding", List.of("RSA/NONE/OAEPPadding"), Padding.OAEP, null, OAEP, imports,
                Map.of("SupportedKeyClasses", KEYS)));
        for (OaepParameters.Hash h : OaepParameters.Hash.values()) {
            String name = "OAEPWith" + h.jcaName + "AndMGF1Padding";
            String unhyphenated = "OAEPWith" + h.jcaName.replace("-", "") + "AndMGF1Padding";
            all.add(service("RSA/ECB/" + name, List.of("RSA/NONE/" + name, "RSA/ECB/" + unhyphenated, "RSA/NONE/" + unhyphenated),
                    Padding.OAEP, h, OAEP, imports, Map.of("SupportedKeyClasses", KEYS)));
        }
        return all;
    }

    private static ServiceDescriptor service(String name, List<String> aliases, Padding padding, OaepParameters.Hash hash,
                                             long[] mechanisms, PublicKeyImports imports, Map<String, String> attributes) {
        return new ServiceDescriptor("Cipher", name, aliases, mechanisms, true, P11RsaCipher.class,
                context -> new P11RsaCipher(context, imports, padding, hash),
                (context, key) -> supports(mechanisms, context, key), attributes);
    }

    /** {@code supportsParameter}: no token call. */
    static boolean supports(long[] mechanisms, TokenContext providerContext, Key key) {
        if (!(key instanceof RSAKey rsa) || !"RSA".equalsIgnoreCase(key.getAlgorithm()) || rsa.getModulus() == null) {
            return false;
        }
        if (key instanceof P11RsaPrivateKey k) {
            return any(mechanisms, k.context(), 0);
        }
        if (key instanceof PrivateKey) {
            return false; // a software private key is the JDK's business
        }
        if (key instanceof P11RsaPublicKey k && any(mechanisms, k.context(), 0)) {
            return true;
        }
        return key instanceof RSAPublicKey && providerContext != null
                && any(mechanisms, providerContext, rsa.getModulus().bitLength());
    }

    /** Whether the token has one of the mechanisms, with {@code bits} (0 = any) in its key-size range. */
    private static boolean any(long[] mechanisms, TokenContext context, int bits) {
        for (long m : mechanisms) {
            MechanismInfo info = context.mechanism(m).orElse(null);
            if (info != null && (bits == 0 || info.maxKeySize() <= 0
                    || (bits >= info.minKeySize() && bits <= info.maxKeySize()))) {
                return true;
            }
        }
        return false;
    }
}
