// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.key.Keys;
import io.p11j.provider.key.P11PublicKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.ObjectSearch;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * What a KeyStore knows of one token's objects, read once and kept until it changes.
 *
 * <p><b>Reading.</b> The first use after {@link #invalidate()} (a KeyStore {@code load}) runs one
 * search for the token objects and reads {@code CKA_CLASS}, {@code CKA_ID}, {@code CKA_LABEL} and
 * {@code CKA_CERTIFICATE_TYPE} of each, in one {@code C_GetAttributeValue} per object
 * ({@link Session#getAttributesSized}; the certificate type, absent from other objects, costs no
 * extra call). One search rather than one per class: a search costs the token a pass over all its
 * objects (SoftHSM2: about 15 ms per search at 1,000 objects, more than reading the public keys it
 * would skip), and the public keys' ids serve pairing later without a search. So listing the
 * aliases of N objects costs one search ({@code C_FindObjectsInit}, N/64+1 {@code C_FindObjects},
 * {@code C_FindObjectsFinal}) and N {@code C_GetAttributeValue} calls (a label or id longer than
 * 128 bytes costs that object one more). Nothing else is read to list aliases unless keys and
 * certificates are left that only their public keys can pair (see {@link Entries}). Certificate
 * subjects and issuers are read when a key has several certificates to choose a leaf from;
 * certificate values when a certificate or chain is asked for. Everything read is kept by handle.
 *
 * <p><b>Staying current.</b> Writes and deletes made through the KeyStore update the index
 * ({@link #changed}); the entries are regrouped in memory, nothing is read again. Objects that other
 * processes create or destroy are seen on the next {@code load} (which calls {@link #invalidate()}).
 * If the session pool recovered since the index was read (handles may have changed), it is read
 * again on the next use.
 *
 * <p>Not thread-safe: the KeyStore serializes its calls.
 */
final class ObjectIndex implements Entries.Details {

    private static final Logger LOG = Logger.getLogger(ObjectIndex.class.getName());
    /** Buffer per label/id in the one-call read: most labels and ids fit, longer ones cost a second call. */
    private static final int LABEL_ID_HINT = 128;
    private static final int NAME_HINT = 512;
    private static final int MAX_CHAIN = 10;
    private static final HexFormat HEX = HexFormat.of();

    private final TokenContext context;
    private List<TokenObject> objects; // entry objects (private keys, secret keys, X.509 certificates); null: enumerate on next use
    private List<TokenObject> publicKeys = List.of(); // not entries: for pairing by public key
    private long epoch;
    private Entries entries; // null: regroup on next use
    private final Map<Long, Optional<X509Certificate>> certificates = new HashMap<>();
    private final Map<Long, byte[][]> names = new HashMap<>();
    private final Map<Long, Optional<String>> fingerprints = new HashMap<>();

    ObjectIndex(TokenContext context) {
        this.context = context;
    }

    TokenContext context() {
        return context;
    }

    /** The entries, reading the token first if needed. */
    Entries entries() throws Pkcs11Exception {
        long now = context.pool().epoch();
        if (objects == null || now != epoch) {
            List<TokenObject> read = context.execute(ObjectIndex::enumerate);
            clearCaches();
            objects = new ArrayList<>();
            publicKeys = new ArrayList<>();
            for (TokenObject o : read) {
                (o.objectClass() == CKO_PUBLIC_KEY ? publicKeys : objects).add(o);
            }
            epoch = now;
            entries = null;
        }
        if (entries == null) {
            entries = Entries.group(objects, this);
        }
        return entries;
    }

    /** Forget everything: the next use reads the token again. */
    void invalidate() {
        objects = null;
        entries = null;
        clearCaches();
    }

    /** The KeyStore created {@code added} and destroyed {@code removed}: regroup without reading the token again. */
    void changed(Collection<TokenObject> added, Collection<Long> removed) {
        if (objects == null) {
            return; // nothing read yet: the next use enumerates anyway
        }
        Set<Long> gone = new HashSet<>(removed);
        List<TokenObject> now = new ArrayList<>(objects.size() + added.size());
        List<TokenObject> pubs = new ArrayList<>(publicKeys.size());
        for (TokenObject o : objects) {
            if (!gone.contains(o.handle())) {
                now.add(o);
            }
        }
        for (TokenObject o : publicKeys) {
            if (!gone.contains(o.handle())) {
                pubs.add(o);
            }
        }
        for (TokenObject o : added) {
            if (o.isPrivateKey() || o.isSecretKey() || o.isCertificate()) {
                now.add(o);
            } else if (o.objectClass() == CKO_PUBLIC_KEY) {
                pubs.add(o);
            }
        }
        publicKeys = pubs;
        for (Long h : gone) {
            certificates.remove(h);
            names.remove(h);
            fingerprints.remove(h);
        }
        objects = now;
        entries = null;
    }

    private void clearCaches() {
        certificates.clear();
        names.clear();
        fingerprints.clear();
    }

    /** Every token object that can be an entry, or a public key; data objects, other certificate types etc. are left out. */
    private static List<TokenObject> enumerate(Session s) throws Pkcs11Exception {
        List<Long> handles = new ArrayList<>();
        try (ObjectSearch search = s.find(Template.builder().flag(TOKEN, true).build())) {
            while (search.hasNext()) {
                handles.add(search.next());
            }
        }
        List<TokenObject> out = new ArrayList<>(handles.size());
        for (long h : handles) {
            AttributeValues v;
            try {
                v = s.getAttributesSized(h, LABEL_ID_HINT, CLASS, ID, LABEL, CERTIFICATE_TYPE);
            } catch (Pkcs11Exception e) {
                if (e.rv() == CKR_OBJECT_HANDLE_INVALID) {
                    continue; // destroyed by someone else between the search and the read
                }
                throw e;
            }
            long cls = v.get(CLASS).orElse(-1L);
            boolean wanted = cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY || cls == CKO_PUBLIC_KEY
                    || (cls == CKO_CERTIFICATE && v.get(CERTIFICATE_TYPE).orElse(-1L) == CKC_X_509);
            if (wanted) {
                out.add(new TokenObject(h, cls, v.get(ID).orElse(null), v.get(LABEL).orElse(null)));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- certificates

    /** The certificate object's value, parsed; null when it is not a readable X.509 certificate. */
    X509Certificate certificate(long handle) throws Pkcs11Exception {
        Optional<X509Certificate> known = certificates.get(handle);
        if (known != null) {
            return known.orElse(null);
        }
        byte[] value = context.execute(s -> s.getAttribute(handle, VALUE)).orElse(null);
        X509Certificate cert = null;
        if (value != null && value.length > 0) {
            try {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(value));
            } catch (CertificateException | ClassCastException e) {
                LOG.log(Level.FINE, "certificate object {0} does not hold an X.509 certificate: {1}",
                        new Object[] {handle, e.getMessage()});
            }
        }
        certificates.put(handle, Optional.ofNullable(cert));
        return cert;
    }

    /** {subject, issuer} as DER, from CKA_SUBJECT/CKA_ISSUER (the value when a tool left them empty). */
    private byte[][] names(TokenObject cert) throws Pkcs11Exception {
        byte[][] known = names.get(cert.handle());
        if (known != null) {
            return known;
        }
        AttributeValues v = context.execute(s -> s.getAttributesSized(cert.handle(), NAME_HINT, SUBJECT, ISSUER));
        byte[] subject = v.get(SUBJECT).orElse(new byte[0]);
        byte[] issuer = v.get(ISSUER).orElse(new byte[0]);
        if (subject.length == 0 || issuer.length == 0) {
            X509Certificate c = certificate(cert.handle());
            if (c != null) {
                subject = c.getSubjectX500Principal().getEncoded();
                issuer = c.getIssuerX500Principal().getEncoded();
            }
        }
        byte[][] out = {subject, issuer};
        names.put(cert.handle(), out);
        return out;
    }

    /**
     * A key entry's leaf: of its certificates, the one that issued none of the others; if that
     * leaves several (a renewed certificate stored with the same id), those of the key's own public
     * key, then the most recent.
     */
    @Override
    public TokenObject leaf(Entry e) throws Pkcs11Exception {
        if (e.leafKnown) {
            return e.leaf;
        }
        List<TokenObject> certs = e.certificates();
        TokenObject leaf = null;
        if (e.kind() == Entry.Kind.TRUSTED_CERTIFICATE) {
            leaf = e.primary();
        } else if (certs.size() == 1) {
            leaf = certs.get(0);
        } else if (certs.size() > 1) {
            List<TokenObject> candidates = new ArrayList<>();
            for (TokenObject c : certs) {
                byte[] subject = names(c)[0];
                boolean issuesAnother = false;
                for (TokenObject o : certs) {
                    if (o != c && subject.length > 0 && Arrays.equals(names(o)[1], subject)) {
                        issuesAnother = true;
                    }
                }
                if (!issuesAnother) {
                    candidates.add(c);
                }
            }
            if (candidates.isEmpty()) {
                candidates = new ArrayList<>(certs);
            }
            if (candidates.size() > 1) {
                String key = keyFingerprint(e.primary());
                List<TokenObject> own = new ArrayList<>();
                for (TokenObject c : candidates) {
                    if (key != null && key.equals(certificateFingerprint(c))) {
                        own.add(c);
                    }
                }
                if (!own.isEmpty()) {
                    candidates = own;
                }
            }
            if (candidates.size() > 1) {
                Map<TokenObject, Long> notBefore = new HashMap<>();
                for (TokenObject c : candidates) {
                    X509Certificate x = certificate(c.handle());
                    notBefore.put(c, x == null ? Long.MIN_VALUE : x.getNotBefore().getTime());
                }
                candidates.sort(Comparator.comparing(notBefore::get, Comparator.reverseOrder()));
            }
            leaf = candidates.get(0);
        }
        e.leaf = leaf;
        e.leafKnown = true;
        return leaf;
    }

    /**
     * A key entry's chain: its leaf, then each certificate's issuer — among the entry's own
     * certificates first, then any certificate on the token with that subject — taking a candidate
     * whose key verifies the certificate's signature. Null when the entry has no readable leaf.
     */
    X509Certificate[] chain(Entry e) throws Pkcs11Exception {
        if (e.chain != null) {
            return e.chain.clone();
        }
        TokenObject leafObject = leaf(e);
        X509Certificate leaf = leafObject == null ? null : certificate(leafObject.handle());
        if (leaf == null) {
            return null;
        }
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf);
        Set<Long> used = new HashSet<>();
        used.add(leafObject.handle());
        X509Certificate current = leaf;
        while (chain.size() < MAX_CHAIN && !current.getSubjectX500Principal().equals(current.getIssuerX500Principal())) {
            X509Certificate next = issuer(current, e, used);
            if (next == null) {
                break;
            }
            chain.add(next);
            current = next;
        }
        e.chain = chain.toArray(new X509Certificate[0]);
        return e.chain.clone();
    }

    private X509Certificate issuer(X509Certificate child, Entry e, Set<Long> used) throws Pkcs11Exception {
        byte[] issuerName = child.getIssuerX500Principal().getEncoded();
        List<Long> candidates = new ArrayList<>();
        for (TokenObject c : e.certificates()) {
            if (!used.contains(c.handle()) && Arrays.equals(names(c)[0], issuerName)) {
                candidates.add(c.handle());
            }
        }
        // The rest of the token by CKA_SUBJECT: a search, no attribute read per certificate.
        List<Long> bySubject = context.execute(s -> s.findAll(Template.builder().objectClass(CKO_CERTIFICATE)
                .set(CERTIFICATE_TYPE, CKC_X_509).flag(TOKEN, true).set(SUBJECT, issuerName).build()));
        for (Long h : bySubject) {
            if (!used.contains(h) && !candidates.contains(h)) {
                candidates.add(h);
            }
        }
        Long unverified = null;
        for (Long h : candidates) {
            X509Certificate c = certificate(h);
            if (c == null || !c.getSubjectX500Principal().equals(child.getIssuerX500Principal())) {
                continue;
            }
            Boolean ok = verifies(child, c.getPublicKey());
            if (Boolean.TRUE.equals(ok)) {
                used.add(h);
                return c;
            }
            if (ok == null && unverified == null) {
                unverified = h;
            }
        }
        if (unverified != null) {
            used.add(unverified); // no provider here could check the signature: the subject match stands
            return certificate(unverified);
        }
        return null;
    }

    /** True: {@code key} verifies {@code cert}; false: it does not; null: cannot tell (algorithm unavailable). */
    private static Boolean verifies(X509Certificate cert, PublicKey key) {
        try {
            cert.verify(key);
            return true;
        } catch (SignatureException | InvalidKeyException e) {
            return false;
        } catch (GeneralSecurityException | RuntimeException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- public keys, for pairing

    @Override
    public String certificateFingerprint(TokenObject cert) throws Pkcs11Exception {
        Optional<String> known = fingerprints.get(cert.handle());
        if (known != null) {
            return known.orElse(null);
        }
        X509Certificate c = certificate(cert.handle());
        String fp = c == null ? null : fingerprint(c.getPublicKey());
        fingerprints.put(cert.handle(), Optional.ofNullable(fp));
        return fp;
    }

    /**
     * The private key's public key: an RSA key's modulus is on the private key itself; for other
     * keys, the public key object with the key's id (or, without one, its label), from the index.
     */
    @Override
    public String keyFingerprint(TokenObject key) throws Pkcs11Exception {
        Optional<String> known = fingerprints.get(key.handle());
        if (known != null) {
            return known.orElse(null);
        }
        List<Long> partners = new ArrayList<>();
        for (TokenObject p : publicKeys) {
            if (key.hasId() ? p.hasId() && p.idKey().equals(key.idKey()) : key.hasLabel() && p.label().equals(key.label())) {
                partners.add(p.handle());
            }
        }
        String fp = context.execute(s -> {
            AttributeValues v = s.getAttributesSized(key.handle(), NAME_HINT, KEY_TYPE, MODULUS);
            if (v.get(KEY_TYPE).orElse(-1L) == CKK_RSA && v.get(MODULUS).isPresent()) {
                return rsa(v.get(MODULUS).get());
            }
            String found = null;
            for (long h : partners) {
                try {
                    P11PublicKey pub = Keys.loadPublic(context, s, h);
                    String f = fingerprint(pub);
                    if (found != null && !found.equals(f)) {
                        return null; // two different public keys claim the key: pair by neither
                    }
                    found = f;
                } catch (InvalidKeyException e) {
                    // a public key type the provider does not read: no help in pairing
                }
            }
            return found;
        });
        fingerprints.put(key.handle(), Optional.ofNullable(fp));
        return fp;
    }

    /** RSA: the modulus; other keys: the subjectPublicKey bits of the X.509 encoding. */
    static String fingerprint(PublicKey key) {
        if (key instanceof RSAPublicKey r) {
            return rsa(r.getModulus());
        }
        byte[] encoded = key.getEncoded();
        if (encoded == null) {
            return null;
        }
        try {
            return "KEY:" + HEX.formatHex(SubjectPublicKeyInfo.getInstance(encoded).getPublicKeyData().getBytes());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String rsa(BigInteger modulus) {
        return "RSA:" + modulus.toString(16);
    }
}
