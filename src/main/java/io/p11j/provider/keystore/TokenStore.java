// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.key.Keys;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.PinSupplier;
import io.p11j.wrapper.attribute.Template;

import java.security.InvalidKeyException;
import java.security.UnrecoverableKeyException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Date;
import java.util.List;
import java.util.Optional;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * One token as a KeyStore sees it: its context, the index of its objects, and the writer. A KeyStore
 * has one for the token it loaded and one for each other token a URI alias named.
 */
final class TokenStore {

    private final TokenContext context;
    private final ObjectIndex index;
    private final EntryWriter writer;

    TokenStore(TokenContext context) {
        this.context = context;
        this.index = new ObjectIndex(context);
        this.writer = new EntryWriter(context);
    }

    TokenContext context() {
        return context;
    }

    Entries entries() throws Pkcs11Exception {
        return index.entries();
    }

    EntryWriter writer() {
        return writer;
    }

    /** Records what a write changed. */
    void apply(EntryWriter.Change change) {
        index.changed(change.added(), change.removed());
    }

    /** Reads the token again on next use (objects changed behind our back). */
    void invalidate() {
        index.invalidate();
    }

    /**
     * The entry's key as a P11J key; for a {@code CKA_ALWAYS_AUTHENTICATE} key with
     * {@code contextPin} attached (which is closed otherwise).
     */
    P11Key key(Entry e, PinSupplier contextPin) throws Pkcs11Exception, UnrecoverableKeyException {
        InvalidKeyException[] problem = new InvalidKeyException[1];
        P11Key key;
        try {
            key = context.execute(s -> {
                try {
                    return Keys.load(context, s, e.primary().handle());
                } catch (InvalidKeyException ex) {
                    problem[0] = ex;
                    return null;
                }
            });
        } catch (Pkcs11Exception | RuntimeException ex) {
            if (contextPin != null) {
                contextPin.close();
            }
            throw ex;
        }
        if (key == null) {
            if (contextPin != null) {
                contextPin.close();
            }
            UnrecoverableKeyException u = new UnrecoverableKeyException("'" + e.alias() + "': " + problem[0].getMessage());
            u.initCause(problem[0]);
            throw u;
        }
        if (key.alwaysAuthenticate() && contextPin != null) {
            key.contextPin(contextPin);
        } else if (contextPin != null) {
            contextPin.close();
        }
        return key;
    }

    /** A key entry's leaf certificate or a trusted entry's certificate; null for secret keys and keys without one. */
    X509Certificate certificate(Entry e) throws Pkcs11Exception {
        if (e.kind() == Entry.Kind.SECRET_KEY) {
            return null;
        }
        TokenObject leaf = index.leaf(e);
        return leaf == null ? null : index.certificate(leaf.handle());
    }

    /** A private key entry's chain (leaf first), completed from CA certificates on the token; null otherwise. */
    X509Certificate[] chain(Entry e) throws Pkcs11Exception {
        return e.kind() == Entry.Kind.PRIVATE_KEY ? index.chain(e) : null;
    }

    /**
     * {@code CKA_START_DATE} of the entry's certificate, else of its key (SoftHSM2 cannot read dates
     * of private objects back: that read fails and counts as none). Null when there is none.
     */
    Date creationDate(Entry e) {
        long[] handles = e.kind() == Entry.Kind.SECRET_KEY ? new long[] {e.primary().handle()}
                : e.kind() == Entry.Kind.TRUSTED_CERTIFICATE ? new long[] {e.primary().handle()}
                : concat(e.certificates(), e.primary());
        for (long h : handles) {
            try {
                Optional<LocalDate> d = context.execute(s -> s.getAttribute(h, START_DATE));
                if (d.isPresent()) {
                    return Date.from(d.get().atStartOfDay(ZoneId.systemDefault()).toInstant());
                }
            } catch (Pkcs11Exception | RuntimeException ignored) {
                // no date to be had from this object; try the next
            }
        }
        return null;
    }

    private static long[] concat(List<TokenObject> certs, TokenObject key) {
        long[] out = new long[certs.size() + 1];
        for (int i = 0; i < certs.size(); i++) {
            out[i] = certs.get(i).handle();
        }
        out[certs.size()] = key.handle();
        return out;
    }

    /** Whether another private key on the token has the entry key's id (its public key is then told apart by label). */
    boolean idShared(Entry e) throws Pkcs11Exception {
        if (e == null || !e.primary().hasId()) {
            return false;
        }
        String id = e.primary().idKey();
        return entries().objects().stream()
                .filter(o -> o.isPrivateKey() && o.handle() != e.primary().handle() && o.hasId() && o.idKey().equals(id))
                .findAny().isPresent();
    }

    /** The alias of the trusted entry holding {@code cert}, or of the key entry whose leaf it is; null if none. */
    String certificateAlias(X509Certificate cert) throws Pkcs11Exception {
        byte[] encoded;
        try {
            encoded = cert.getEncoded();
        } catch (CertificateEncodingException e) {
            return null;
        }
        Entries all = entries();
        List<Long> found = context.execute(s -> s.findAll(Template.builder().objectClass(CKO_CERTIFICATE)
                .set(CERTIFICATE_TYPE, CKC_X_509).flag(TOKEN, true).set(VALUE, encoded).build()));
        for (Long h : found) {
            Entry e = all.byHandle(h);
            if (e == null || all.byAlias(e.alias()) != e) {
                continue; // not indexed yet, or an entry no alias reaches
            }
            TokenObject leaf = index.leaf(e);
            if (leaf != null && leaf.handle() == h) {
                return e.alias();
            }
        }
        return null;
    }

    /**
     * Whether {@code key} is a token object on this token that no entry names yet — a private key
     * without certificate and without a label (or with {@code label} already) — so that storing it
     * labels it in place instead of leaving a nameless copy behind.
     */
    boolean adoptable(java.security.Key key, String label) throws Pkcs11Exception {
        if (!(key instanceof P11Key p) || !p.isTokenObject() || !EntryWriter.sameToken(p.context(), context)) {
            return false;
        }
        long handle = context.execute(p::handle);
        Entry e = entries().byHandle(handle);
        if (e != null) {
            return e.kind() == Entry.Kind.PRIVATE_KEY && e.certificates().isEmpty()
                    && (!e.primary().hasLabel() || e.primary().label().equals(label));
        }
        // Made since the index was read (a KeyPairGenerator of token keys): ask the token about its certificates.
        String own = p.label();
        if (own != null && !own.isEmpty() && !own.equals(label)) {
            return false;
        }
        byte[] id = p.id();
        return id == null || id.length == 0 || context.execute(s -> s.findAll(Template.builder().objectClass(CKO_CERTIFICATE)
                .flag(TOKEN, true).id(id).build())).isEmpty();
    }

    /** Whether {@code key} is the token object {@code o} on this token. */
    boolean isObject(java.security.Key key, TokenObject o) throws Pkcs11Exception {
        if (!(key instanceof P11Key p) || !p.isTokenObject() || !EntryWriter.sameToken(p.context(), context)) {
            return false;
        }
        return context.execute(p::handle) == o.handle();
    }
}
