// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.codec;

import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA1;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA224;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA256;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA384;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA3_224;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA3_256;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA3_384;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA3_512;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA512;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA224;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA256;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA384;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA3_224;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA3_256;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA3_384;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA3_512;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA512;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA512_224;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA512_256;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA_1;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.X509ObjectIdentifiers;

/**
 * The message digests the codecs know, with each one's names in the JCA and in PKCS#11: one table,
 * so that {@link DigestInfos} and {@link PssParameters} cannot disagree about a digest.
 *
 * <p>Names are looked up loosely, the way the JDK's providers accept them: case-insensitive, with
 * or without the hyphen ({@code SHA256}, {@code SHA-256}, {@code sha-256}), {@code SHA} for
 * SHA-1, and the digest's OID in dotted form.
 *
 * <p>SHA-1's OID is OIW's 1.3.14.3.2.26; bcprov exports it as {@code X509ObjectIdentifiers.id_SHA1}
 * (its {@code OIWObjectIdentifiers} is in a package the module does not export).
 */
enum Digest {
    SHA_1("SHA-1", X509ObjectIdentifiers.id_SHA1, 20, CKM_SHA_1, CKG_MGF1_SHA1, "SHA"),
    SHA_224("SHA-224", NISTObjectIdentifiers.id_sha224, 28, CKM_SHA224, CKG_MGF1_SHA224),
    SHA_256("SHA-256", NISTObjectIdentifiers.id_sha256, 32, CKM_SHA256, CKG_MGF1_SHA256),
    SHA_384("SHA-384", NISTObjectIdentifiers.id_sha384, 48, CKM_SHA384, CKG_MGF1_SHA384),
    SHA_512("SHA-512", NISTObjectIdentifiers.id_sha512, 64, CKM_SHA512, CKG_MGF1_SHA512),
    // PKCS#11 defines no CKG_MGF1_ value for the truncated SHA-512 variants.
    SHA_512_224("SHA-512/224", NISTObjectIdentifiers.id_sha512_224, 28, CKM_SHA512_224, Digest.NO_MGF1),
    SHA_512_256("SHA-512/256", NISTObjectIdentifiers.id_sha512_256, 32, CKM_SHA512_256, Digest.NO_MGF1),
    SHA3_224("SHA3-224", NISTObjectIdentifiers.id_sha3_224, 28, CKM_SHA3_224, CKG_MGF1_SHA3_224),
    SHA3_256("SHA3-256", NISTObjectIdentifiers.id_sha3_256, 32, CKM_SHA3_256, CKG_MGF1_SHA3_256),
    SHA3_384("SHA3-384", NISTObjectIdentifiers.id_sha3_384, 48, CKM_SHA3_384, CKG_MGF1_SHA3_384),
    SHA3_512("SHA3-512", NISTObjectIdentifiers.id_sha3_512, 64, CKM_SHA3_512, CKG_MGF1_SHA3_512);

    /** {@link #mgf1} of a digest that has no {@code CKG_MGF1_} constant; every real one is at least 1. */
    static final long NO_MGF1 = 0;

    private static final Map<String, Digest> BY_NAME = new HashMap<>();

    static {
        for (Digest d : values()) {
            BY_NAME.put(key(d.jcaName), d);
            BY_NAME.put(d.oid.getId(), d);
            for (String alias : d.aliases) {
                BY_NAME.put(key(alias), d);
            }
        }
    }

    /** The JDK's standard name, e.g. {@code SHA-256}. */
    final String jcaName;
    final ASN1ObjectIdentifier oid;
    /** Output length in bytes. */
    final int length;
    /** The {@code CKM_} digest mechanism. */
    final long ckm;
    /** The {@code CKG_MGF1_} mask generation function over this digest, or {@link #NO_MGF1}. */
    final long mgf1;
    private final String[] aliases;

    Digest(String jcaName, ASN1ObjectIdentifier oid, int length, long ckm, long mgf1, String... aliases) {
        this.jcaName = jcaName;
        this.oid = oid;
        this.length = length;
        this.ckm = ckm;
        this.mgf1 = mgf1;
        this.aliases = aliases;
    }

    /** The digest a JCA name or dotted OID names, if it is one of these. */
    static Optional<Digest> byName(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(BY_NAME.get(key(name)));
    }

    /** The digest whose {@code CKM_} mechanism is {@code ckm}, if it is one of these. */
    static Optional<Digest> byCkm(long ckm) {
        for (Digest d : values()) {
            if (d.ckm == ckm) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** The digest whose {@code CKG_MGF1_} value is {@code mgf}, if it is one of these. */
    static Optional<Digest> byMgf1(long mgf) {
        for (Digest d : values()) {
            if (d.mgf1 != NO_MGF1 && d.mgf1 == mgf) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    private static String key(String name) {
        return name.trim().toUpperCase(Locale.ROOT).replace("-", "").replace("_", "");
    }
}
