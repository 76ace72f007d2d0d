// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.key.Keys;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.key.P11PrivateKey;
import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.PooledSession;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;

import javax.crypto.SecretKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * Writes and deletes entries on one token. Each write runs on one session and either completes or
 * destroys what it had created ({@link WriteLog}); an entry being replaced is deleted only once its
 * successor is complete. Returns what changed, for the index.
 *
 * <p>Keys of this provider are made persistent by {@code C_CopyObject} with {@code CKA_TOKEN=true}
 * and the alias as {@code CKA_LABEL}: the copy keeps {@code CKA_LOCAL}, {@code CKA_SENSITIVE} and
 * {@code CKA_NEVER_EXTRACTABLE} (SoftHSM2 2.6.1 verified), and the key value never leaves the token.
 * A session key keeps its {@code CKA_ID}; a token key that already is another entry's gets a new
 * one, so that each copy pairs with its own certificates; a token key of no entry (generated as a
 * token object, no label yet) is labelled in place instead of copied. Software keys are imported as
 * sensitive, non-extractable token objects.
 */
final class EntryWriter {

    /** What a write did: objects created (for the index) and handles destroyed. */
    record Change(List<TokenObject> added, List<Long> removed) {
    }

    private final TokenContext context;

    EntryWriter(TokenContext context) {
        this.context = context;
    }

    @FunctionalInterface
    private interface Work {
        void run(Session s, WriteLog log, List<Long> removed) throws Pkcs11Exception, KeyStoreException;
    }

    /** Runs {@code work} on one borrowed session (never retried: a retry could write twice), undoing it on failure. */
    private Change write(String what, Work work) throws KeyStoreException {
        WriteLog log = new WriteLog();
        List<Long> removed = new ArrayList<>();
        try (PooledSession ps = context.pool().borrow()) {
            Session s = ps.session();
            try {
                work.run(s, log, removed);
                List<Long> gone = new ArrayList<>(removed);
                gone.addAll(log.changedHandles()); // forgotten in their old state, added in the new
                return new Change(log.touched(), gone);
            } catch (Pkcs11Exception e) {
                KeyStoreException k = new KeyStoreException(what + " on " + context.tokenUri() + " failed: " + e.getMessage(), e);
                log.rollback(context, s, k);
                throw k;
            } catch (KeyStoreException | RuntimeException e) {
                log.rollback(context, s, e);
                throw e;
            }
        } catch (Pkcs11Exception e) {
            throw new KeyStoreException(what + ": no session on " + context.tokenUri() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A private key entry: the key (copied, adopted or imported), its public key, and the chain, all
     * with one id and {@code label}.
     *
     * @param adopt whether {@code key} is a token object of no entry of its own (no label, or this
     *              one, and no certificate): it is then labelled in place rather than copied
     */
    Change keyEntry(String label, PrivateKey key, X509Certificate[] chain, boolean adopt, Entry replaced,
                    boolean replacedIdShared) throws KeyStoreException {
        KeyObjects.checkMatches(key, chain[0].getPublicKey());
        return write("storing key entry '" + label + "'", (s, log, removed) -> {
            byte[] id;
            if (key instanceof P11PrivateKey p) {
                requireThisToken(p);
                byte[] own = p.id();
                boolean keepId = (adopt || !p.isTokenObject()) && own != null && own.length > 0;
                id = keepId ? own : KeyObjects.randomId();
                Long pubSource = publicPartner(s, p);
                checkPartner(s, pubSource, chain[0]);
                if (adopt) {
                    // A token key no entry names (generated-keys=token): name it rather than leave a nameless twin.
                    relabel(s, log, p.handle(s), CKO_PRIVATE_KEY, label, id);
                    if (pubSource != null) {
                        relabel(s, log, pubSource, CKO_PUBLIC_KEY, label, id);
                    }
                } else {
                    long priv = s.copyObject(p.handle(s), Template.builder().flag(TOKEN, true).label(label).id(id).build());
                    log.created(new TokenObject(priv, CKO_PRIVATE_KEY, id, label));
                    if (pubSource != null) {
                        long pub = s.copyObject(pubSource, Template.builder().flag(TOKEN, true).label(label).id(id)
                                .date(START_DATE, LocalDate.now()).build());
                        log.created(new TokenObject(pub, CKO_PUBLIC_KEY, id, label));
                    }
                }
                if (pubSource == null) {
                    long pub = s.createObject(KeyObjects.publicKey(chain[0].getPublicKey(), id, label));
                    log.created(new TokenObject(pub, CKO_PUBLIC_KEY, id, label));
                }
            } else {
                id = KeyObjects.idOf(chain[0].getPublicKey());
                Template privateTemplate = KeyObjects.privateKey(key, chain[0].getPublicKey(), id, label);
                long priv;
                try {
                    priv = s.createObject(privateTemplate);
                } finally {
                    privateTemplate.wipeSecrets(); // the key's value does not wait in the heap for GC
                }
                log.created(new TokenObject(priv, CKO_PRIVATE_KEY, id, label));
                long pub = s.createObject(KeyObjects.publicKey(chain[0].getPublicKey(), id, label));
                log.created(new TokenObject(pub, CKO_PUBLIC_KEY, id, label));
            }
            writeChain(s, log, chain, id, label);
            if (replaced != null) {
                destroyEntry(s, replaced, replacedIdShared, removed);
            }
        });
    }

    /** The chain of an existing key entry replaced (keytool's import of a CA reply); the key stays. */
    Change replaceChain(Entry entry, String label, X509Certificate[] chain, java.security.Key key) throws KeyStoreException {
        KeyObjects.checkMatches(key, chain[0].getPublicKey());
        return write("replacing the chain of '" + label + "'", (s, log, removed) -> {
            writeChain(s, log, chain, entry.primary().id(), label);
            for (TokenObject c : entry.certificates()) {
                s.destroyObject(c.handle());
                removed.add(c.handle());
            }
        });
    }

    /** A secret key entry: a key of this provider copied to a token object, or a software key imported. */
    Change secretKeyEntry(String label, SecretKey key, Entry replaced, boolean replacedIdShared) throws KeyStoreException {
        return write("storing secret key '" + label + "'", (s, log, removed) -> {
            long h;
            byte[] id;
            if (key instanceof P11SecretKey p) {
                requireThisToken(p);
                byte[] own = p.id();
                id = !p.isTokenObject() && own != null && own.length > 0 ? own : KeyObjects.randomId();
                h = s.copyObject(p.handle(s), Template.builder().flag(TOKEN, true).label(label).id(id).build());
            } else {
                id = KeyObjects.randomId();
                Template secretTemplate = KeyObjects.secretKey(key, id, label);
                try {
                    h = s.createObject(secretTemplate);
                } finally {
                    secretTemplate.wipeSecrets();
                }
            }
            log.created(new TokenObject(h, CKO_SECRET_KEY, id, label));
            if (replaced != null) {
                destroyEntry(s, replaced, replacedIdShared, removed);
            }
        });
    }

    /**
     * A trusted certificate: no {@code CKA_ID} (so that no key pairs with it by id), {@code CKA_TRUSTED}
     * where the token lets the user set it.
     */
    Change trustedCertificate(String label, X509Certificate cert, Entry replaced) throws KeyStoreException {
        return write("storing certificate '" + label + "'", (s, log, removed) -> {
            long h = CertificateObjects.createTrusted(s, cert, new byte[0], label);
            log.created(new TokenObject(h, CKO_CERTIFICATE, new byte[0], label));
            if (replaced != null) {
                destroyEntry(s, replaced, false, removed);
            }
        });
    }

    /** Deletes an entry: certificates, public key, then the key itself (last, so a failure leaves the key). */
    Change delete(Entry entry, boolean idShared) throws KeyStoreException {
        return write("deleting '" + entry.alias() + "'", (s, log, removed) -> destroyEntry(s, entry, idShared, removed));
    }

    /** Sets label and id of a token object, logging the old ones so that a failure puts them back. */
    private static void relabel(Session s, WriteLog log, long handle, long objectClass, String label, byte[] id)
            throws Pkcs11Exception {
        AttributeValues old = s.getAttributes(handle, LABEL, ID);
        Template before = Template.builder().label(old.get(LABEL).orElse("")).id(old.get(ID).orElse(new byte[0])).build();
        s.setAttributes(handle, Template.builder().label(label).id(id).build());
        log.changed(new TokenObject(handle, objectClass, id, label), before);
    }

    private static void writeChain(Session s, WriteLog log, X509Certificate[] chain, byte[] id, String label)
            throws Pkcs11Exception, KeyStoreException {
        for (X509Certificate c : chain) {
            long h = CertificateObjects.create(s, c, id, label);
            log.created(new TokenObject(h, CKO_CERTIFICATE, id, label));
        }
    }

    private static void destroyEntry(Session s, Entry e, boolean idShared, List<Long> removed) throws Pkcs11Exception {
        if (e.kind() != Entry.Kind.TRUSTED_CERTIFICATE) {
            for (TokenObject c : e.certificates()) {
                s.destroyObject(c.handle());
                removed.add(c.handle());
            }
        }
        if (e.kind() == Entry.Kind.PRIVATE_KEY) {
            for (long pub : publicKeys(s, e.primary(), idShared)) {
                s.destroyObject(pub);
                removed.add(pub);
            }
        }
        s.destroyObject(e.primary().handle());
        removed.add(e.primary().handle());
    }

    /** The key's public key objects: by id (and label too, when another private key shares the id); by label without an id. */
    private static List<Long> publicKeys(Session s, TokenObject key, boolean idShared) throws Pkcs11Exception {
        Template.Builder t = Template.builder().objectClass(CKO_PUBLIC_KEY).flag(TOKEN, true);
        if (key.hasId()) {
            t.id(key.id());
            if (idShared) {
                if (!key.hasLabel()) {
                    return List.of();
                }
                t.label(key.label());
            }
        } else if (key.hasLabel()) {
            t.label(key.label());
        } else {
            return List.of();
        }
        return s.findAll(t.build());
    }

    /** The public key object made with {@code p}: same id, same kind (session or token object), if exactly one. */
    private static Long publicPartner(Session s, P11PrivateKey p) throws Pkcs11Exception {
        byte[] id = p.id();
        if (id == null || id.length == 0) {
            return null;
        }
        List<Long> found = s.findAll(Template.builder().objectClass(CKO_PUBLIC_KEY).id(id).flag(TOKEN, p.isTokenObject()).build());
        return found.size() == 1 ? found.get(0) : null; // none: collected with its Java key; the certificate's key is used
    }

    /** The key's own public key object, where there is one, must be the certificate's key (the curve alone says little). */
    private void checkPartner(Session s, Long publicKey, X509Certificate leaf) throws Pkcs11Exception, KeyStoreException {
        if (publicKey == null) {
            return;
        }
        String mine;
        try {
            mine = ObjectIndex.fingerprint(Keys.loadPublic(context, s, publicKey));
        } catch (InvalidKeyException e) {
            return; // a public key the provider cannot read: nothing to compare
        }
        if (mine != null && !mine.equals(ObjectIndex.fingerprint(leaf.getPublicKey()))) {
            throw new KeyStoreException("the first certificate of the chain is not for this key: its public key is another one");
        }
    }

    /** A key of another token cannot be copied here: its value never leaves its token. */
    private void requireThisToken(P11Key key) throws KeyStoreException {
        if (!sameToken(key.context(), context)) {
            throw new KeyStoreException("the key lives on " + key.context().tokenUri() + " and cannot be stored on "
                    + context.tokenUri() + " (token keys do not leave their token)");
        }
    }

    /** Whether two contexts are the same token of the same module (object handles are then valid in both). */
    static boolean sameToken(TokenContext a, TokenContext b) {
        if (a == b) {
            return true;
        }
        return Objects.equals(a.info().serialNumber(), b.info().serialNumber()) && Objects.equals(a.info().label(), b.info().label())
                && samePath(a.module().path(), b.module().path());
    }

    static boolean samePath(Path a, Path b) {
        try {
            return a.equals(b) || Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
