// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.key.PublicKeyImports;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.provider.service.ServiceDescriptor;
import io.p11j.provider.signature.SignatureAlgorithm.Family;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * The {@code Signature} services: RSA PKCS#1 v1.5 ({@code SHA256withRSA}, …, {@code NONEwithRSA}),
 * RSASSA-PSS ({@code RSASSA-PSS} with a {@code PSSParameterSpec}, and {@code SHA256withRSA/PSS}-style
 * names with fixed parameters), ECDSA in DER and IEEE P1363 form ({@code SHA256withECDSA},
 * {@code SHA256withECDSAinP1363Format}, {@code NONEwithECDSA}, …), and EdDSA ({@code Ed25519},
 * {@code Ed448}, {@code EdDSA}).
 *
 * <p>A service is registered when the token has its combined mechanism (e.g. {@code CKM_SHA256_RSA_PKCS})
 * or the raw one it falls back to with hashing in software ({@code CKM_RSA_PKCS}); the SHA-3 services
 * the same way, so a token with {@code CKM_RSA_PKCS} offers {@code SHA3-256withRSA} too. The unconfigured
 * provider registers them all, for P11J keys. Names and OIDs are the JDK's ({@code SunRsaSign},
 * {@code SunEC}); the fixed-PSS names, which the JDK lacks, also answer to Bouncy Castle's
 * {@code SHA256withRSAandMGF1}.
 */
public final class SignatureServices {

    private static final String RSA_KEYS = "io.p11j.provider.P11jKey|java.security.interfaces.RSAPublicKey";
    private static final String EC_KEYS = "io.p11j.provider.P11jKey|java.security.interfaces.ECPublicKey";
    private static final String ED_KEYS = "io.p11j.provider.P11jKey|java.security.interfaces.EdECPublicKey";

    private SignatureServices() {
    }

    /** Every signature service, whatever the token; {@code ServiceTable} keeps those the token can do. */
    public static List<ServiceDescriptor> descriptors() {
        List<ServiceDescriptor> all = new ArrayList<>();
        // One cache of imported public keys for the services of one provider (ServiceTable asks for the
        // descriptors per provider): it lives and goes with the provider.
        PublicKeyImports imports = new PublicKeyImports(AttributeType.VERIFY);
        for (SignatureAlgorithm a : algorithms()) {
            String keys = switch (a.family()) {
                case RSA_PKCS1, RSA_PSS -> RSA_KEYS;
                case ECDSA -> EC_KEYS;
                case EDDSA -> ED_KEYS;
            };
            // As the key pair generators: Ed448 only where the token's CKM_EDDSA range reaches 448 bits.
            int minKeyBits = "Ed448".equals(a.edCurve()) ? 448 : a.family() == Family.EDDSA ? 255 : 0;
            all.add(new ServiceDescriptor("Signature", a.name(), a.aliases(), a.mechanisms(), true, P11Signature.class,
                    context -> new P11Signature(context, a, imports), (context, key) -> KeyRules.supports(a, context, key),
                    Map.of("SupportedKeyClasses", keys), minKeyBits));
        }
        return all;
    }

    /** The algorithms, in registration order. */
    static List<SignatureAlgorithm> algorithms() {
        List<SignatureAlgorithm> list = new ArrayList<>();
        // RSA PKCS#1 v1.5 (RFC 8017 A.2.4; SHA-3: NIST CSOR 2.16.840.1.101.3.4.3.13-16)
        rsa(list, HashAlg.SHA1, "1.2.840.113549.1.1.5", "1.3.14.3.2.29");
        rsa(list, HashAlg.SHA224, "1.2.840.113549.1.1.14");
        rsa(list, HashAlg.SHA256, "1.2.840.113549.1.1.11");
        rsa(list, HashAlg.SHA384, "1.2.840.113549.1.1.12");
        rsa(list, HashAlg.SHA512, "1.2.840.113549.1.1.13");
        rsa(list, HashAlg.SHA3_224, "2.16.840.1.101.3.4.3.13");
        rsa(list, HashAlg.SHA3_256, "2.16.840.1.101.3.4.3.14");
        rsa(list, HashAlg.SHA3_384, "2.16.840.1.101.3.4.3.15");
        rsa(list, HashAlg.SHA3_512, "2.16.840.1.101.3.4.3.16");
        list.add(new SignatureAlgorithm("NONEwithRSA", List.of(), Family.RSA_PKCS1, null, 0, CKM_RSA_PKCS, false, null, false));

        // RSASSA-PSS (RFC 8017 A.2.3), and the fixed-parameter names
        list.add(new SignatureAlgorithm("RSASSA-PSS", withOid("1.2.840.113549.1.1.10", "PSS"), Family.RSA_PSS, null, 0,
                CKM_RSA_PKCS_PSS, false, null, false));
        for (HashAlg h : new HashAlg[] {HashAlg.SHA1, HashAlg.SHA224, HashAlg.SHA256, HashAlg.SHA384, HashAlg.SHA512}) {
            list.add(new SignatureAlgorithm(h.prefix() + "withRSA/PSS", List.of(h.prefix() + "withRSAandMGF1"), Family.RSA_PSS,
                    h, h.rsaPss, CKM_RSA_PKCS_PSS, false, null, true));
        }

        // ECDSA (RFC 5758 3.2, RFC 3279 2.2.3; SHA-3: NIST CSOR 2.16.840.1.101.3.4.3.9-12)
        ecdsa(list, HashAlg.SHA1, "1.2.840.10045.4.1");
        ecdsa(list, HashAlg.SHA224, "1.2.840.10045.4.3.1");
        ecdsa(list, HashAlg.SHA256, "1.2.840.10045.4.3.2");
        ecdsa(list, HashAlg.SHA384, "1.2.840.10045.4.3.3");
        ecdsa(list, HashAlg.SHA512, "1.2.840.10045.4.3.4");
        ecdsa(list, HashAlg.SHA3_224, "2.16.840.1.101.3.4.3.9");
        ecdsa(list, HashAlg.SHA3_256, "2.16.840.1.101.3.4.3.10");
        ecdsa(list, HashAlg.SHA3_384, "2.16.840.1.101.3.4.3.11");
        ecdsa(list, HashAlg.SHA3_512, "2.16.840.1.101.3.4.3.12");
        list.add(new SignatureAlgorithm("NONEwithECDSA", List.of(), Family.ECDSA, null, 0, CKM_ECDSA, false, null, false));
        list.add(new SignatureAlgorithm("NONEwithECDSAinP1363Format", List.of(), Family.ECDSA, null, 0, CKM_ECDSA, true, null,
                false));

        // EdDSA (RFC 8032, RFC 8410)
        list.add(new SignatureAlgorithm("EdDSA", List.of(), Family.EDDSA, null, 0, CKM_EDDSA, false, null, false));
        list.add(new SignatureAlgorithm("Ed25519", withOid("1.3.101.112"), Family.EDDSA, null, 0, CKM_EDDSA, false, "Ed25519",
                false));
        list.add(new SignatureAlgorithm("Ed448", withOid("1.3.101.113"), Family.EDDSA, null, 0, CKM_EDDSA, false, "Ed448", false));
        return list;
    }

    private static void rsa(List<SignatureAlgorithm> list, HashAlg h, String... oids) {
        list.add(new SignatureAlgorithm(h.prefix() + "withRSA", withOid(oids), Family.RSA_PKCS1, h, h.rsaPkcs, CKM_RSA_PKCS,
                false, null, false));
    }

    private static void ecdsa(List<SignatureAlgorithm> list, HashAlg h, String oid) {
        list.add(new SignatureAlgorithm(h.prefix() + "withECDSA", withOid(oid), Family.ECDSA, h, h.ecdsa, CKM_ECDSA, false,
                null, false));
        list.add(new SignatureAlgorithm(h.prefix() + "withECDSAinP1363Format", List.of(), Family.ECDSA, h, h.ecdsa, CKM_ECDSA,
                true, null, false));
    }

    /** Each dotted OID as itself and as {@code OID.}…, the JDK's two spellings; other names as given. */
    private static List<String> withOid(String... names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            out.add(n);
            if (Character.isDigit(n.charAt(0))) {
                out.add("OID." + n);
            }
        }
        return out;
    }
}
