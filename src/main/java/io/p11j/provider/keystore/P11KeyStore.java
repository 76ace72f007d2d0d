// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.P11jKeyStoreParameter;
import io.p11j.provider.config.ProviderConfig;
import io.p11j.provider.token.Errors;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.uri.ModuleAllowList;
import io.p11j.uri.ModuleResolver;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.uri.Pkcs11UriSyntaxException;
import io.p11j.wrapper.PinSupplier;

import javax.crypto.SecretKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.KeyStoreSpi;
import java.security.PrivateKey;
import java.security.ProviderException;
import java.security.UnrecoverableEntryException;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.Date;
import java.util.Enumeration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import static io.p11j.sys.Pkcs11Constants.CKR_OBJECT_HANDLE_INVALID;

/**
 * The {@code PKCS11-URI} KeyStore: the objects of a PKCS#11 token as KeyStore entries.
 *
 * <h2>Which token</h2>
 * A configured provider's KeyStore shows its token; {@code load} may name another token by URI, if
 * the configuration allows its module. The unconfigured provider's KeyStore takes the token's URI at
 * {@code load}: from a stream holding the URI as text ({@code keytool -keystore token.uri}), or a
 * {@link P11jKeyStoreParameter}. The PIN is the password or {@code ProtectionParameter} given to
 * {@code load} ({@code PasswordProtection} or {@code CallbackHandlerProtection}), else the URI's
 * {@code pin-source}/{@code pin-value}; without one, only public objects are seen. A wrong PIN is an
 * {@code IOException} caused by an {@code UnrecoverableKeyException}, never retried. A token this
 * process is already logged in to does not check the PIN again (see {@link TokenAccess}).
 *
 * <h2>Entries and aliases</h2>
 * Private keys (with the certificates paired with them by id, label or public key, and the chain
 * completed from CA certificates on the token), secret keys, and trusted certificates. An alias is
 * the object's label (UTF-8, case-sensitive) or, when that does not name the entry alone, the
 * object's URI of object attributes only; every method also takes a {@code pkcs11:} URI, which may
 * name another token of an allowed module (see {@link Entries}).
 *
 * <h2>Writing</h2>
 * {@code setKeyEntry} stores keys of this provider by copying them to token objects (the value never
 * leaves the token), imports RSA/EC/EdDSA software keys and AES/DESede/HMAC secret keys as sensitive,
 * non-extractable objects, and on the alias of an existing key entry with that same key replaces its
 * chain; {@code setCertificateEntry} stores a trusted certificate; {@code deleteEntry} removes the
 * entry's objects. Key passwords are accepted and ignored, except as the PIN of a key that needs a
 * context-specific login. A write that fails half-way removes what it created. The token is written
 * at once: {@code store(null, …)} does nothing, {@code store(stream, …)} writes the URI back (without
 * a {@code pin-value}) so that a URI file still works.
 *
 * <h2>Caching</h2>
 * The token's objects are read once after {@code load} (see {@link ObjectIndex}); this KeyStore's
 * own writes update that view; objects other processes create appear on the next {@code load}.
 *
 * <p>Thread-safe: calls are serialized.
 */
public final class P11KeyStore extends KeyStoreSpi {

    private static final Logger LOG = Logger.getLogger(P11KeyStore.class.getName());

    private final TokenContext providerContext;
    private TokenStore primary;
    private final Map<TokenContext, TokenStore> others = new IdentityHashMap<>();
    private Protection protection = Protection.none();
    private Pkcs11Uri loadedUri;
    private ModuleAllowList aliasModules;

    /** A KeyStore on {@code providerContext}'s token, or (null) one that takes its token URI at {@code load}. */
    public P11KeyStore(TokenContext providerContext) {
        this.providerContext = providerContext;
    }

    // ---------------------------------------------------------------- load and store

    /** {@code stream}: null, or a {@code pkcs11:} URI as text; {@code password}: the PIN, or null to use the URI's. */
    @Override
    public synchronized void engineLoad(InputStream stream, char[] password) throws IOException {
        Pkcs11Uri uri = stream == null ? null : UriText.read(stream);
        try {
            load(uri, Protection.of(password));
        } finally {
            if (uri != null) {
                uri.destroy(); // wipes a pin-value; what is kept is a copy without it
            }
        }
    }

    /**
     * {@code param}: null, any parameter with a {@code PasswordProtection} or
     * {@code CallbackHandlerProtection} (or none), or a {@link P11jKeyStoreParameter} to name the token.
     *
     * @throws IllegalArgumentException for another kind of {@code ProtectionParameter}
     */
    @Override
    public synchronized void engineLoad(KeyStore.LoadStoreParameter param) throws IOException {
        if (param == null) {
            load(null, Protection.none());
            return;
        }
        Protection p = protectionOf(param.getProtectionParameter());
        load(param instanceof P11jKeyStoreParameter k ? k.uri() : null, p);
    }

    private static Protection protectionOf(KeyStore.ProtectionParameter p) {
        if (p == null) {
            return Protection.none();
        }
        if (p instanceof KeyStore.PasswordProtection pp) {
            return Protection.of(pp.getPassword());
        }
        if (p instanceof KeyStore.CallbackHandlerProtection ch) {
            return Protection.of(ch.getCallbackHandler());
        }
        throw new IllegalArgumentException("the PKCS11-URI KeyStore takes a PasswordProtection or a CallbackHandlerProtection,"
                + " not a " + p.getClass().getName());
    }

    private void load(Pkcs11Uri uri, Protection newProtection) throws IOException {
        TokenContext context;
        ModuleAllowList modules;
        try {
            if (providerContext != null) {
                modules = configuredModules(providerContext.config(), providerContext.module().path());
                Pkcs11Uri u = uri == null || uri.namesModule() ? uri
                        : uri.toBuilder().modulePath(providerContext.module().path().toString()).build();
                if (u == null || isProviderToken(u, modules)) {
                    TokenAccess.ensureLogin(providerContext, newProtection, u, false);
                    context = providerContext;
                } else {
                    context = TokenAccess.open(u, newProtection, false, modules);
                }
            } else {
                if (uri == null) {
                    throw new IOException("the unconfigured P11J provider's PKCS11-URI KeyStore needs the token's pkcs11: URI:"
                            + " load a stream holding it (keytool -keystore token.uri), pass a P11jKeyStoreParameter,"
                            + " or use a provider configured for the token");
                }
                context = TokenAccess.open(uri, newProtection, false, null);
                modules = ModuleAllowList.builder(ModuleResolver.system()).allowModule(context.module().path()).build();
            }
        } catch (IOException | RuntimeException e) {
            newProtection.close();
            throw e;
        }
        protection.close();
        protection = newProtection;
        aliasModules = modules;
        primary = new TokenStore(context); // a fresh index: objects are read again on first use
        others.clear();
        Pkcs11Uri source = uri != null ? uri : providerContext.config().token();
        loadedUri = source.withoutPin().toBuilder().modulePath(context.module().path().toString()).moduleName(null).build();
    }

    /** The configured module and the configuration's {@code allowed-modules}: what URIs given to this KeyStore may load. */
    private static ModuleAllowList configuredModules(ProviderConfig config, Path module) {
        ModuleAllowList.Builder b = ModuleAllowList.builder(ModuleResolver.system()).allowModule(module);
        config.allowedModules().forEach(b::allowModule);
        return b.build();
    }

    private boolean isProviderToken(Pkcs11Uri uri, ModuleAllowList modules) throws IOException {
        if (!uri.hasTokenAttributes() && !uri.hasSlotAttributes() && !uri.hasModuleAttributes() && !uri.namesModule()) {
            return true;
        }
        Path module = TokenAccess.modulePath(uri, modules);
        return EntryWriter.samePath(module, providerContext.module().path()) && TokenAccess.selects(providerContext, uri);
    }

    /**
     * Nothing to do with a null stream: every change is on the token already. Given a stream (the
     * keystore file {@code keytool} rewrites after a change), writes the token's URI back to it,
     * without a {@code pin-value}, so that the file still names the token.
     */
    @Override
    public synchronized void engineStore(OutputStream stream, char[] password) throws IOException {
        if (stream != null) {
            UriText.write(loadedUri, stream);
        }
    }

    /** Nothing to do: every change is on the token already. */
    @Override
    public void engineStore(KeyStore.LoadStoreParameter param) {
        // the token is the store
    }

    /** Whether {@code stream} holds a {@code pkcs11:} URI (for {@code KeyStore.getInstance(File, …)}). */
    @Override
    public boolean engineProbe(InputStream stream) throws IOException {
        return stream != null && UriText.probe(stream);
    }

    // ---------------------------------------------------------------- aliases

    /** Where an alias points: the token, its entry there (null: none), and the label a new entry would get. */
    private record Target(TokenStore store, Entry entry, String label) {
    }

    @FunctionalInterface
    private interface TokenRead<T> {
        T run() throws Pkcs11Exception, IOException;
    }

    /** Runs a read; an object gone behind the index's back (another process deleted it) makes it read the token again, once. */
    private <T> T read(TokenRead<T> work) throws IOException {
        try {
            return work.run();
        } catch (Pkcs11Exception e) {
            if (e.rv() != CKR_OBJECT_HANDLE_INVALID) {
                throw Errors.provider("reading token " + primary.context().tokenUri(), e);
            }
            primary.invalidate();
            others.values().forEach(TokenStore::invalidate);
            try {
                return work.run();
            } catch (Pkcs11Exception again) {
                throw Errors.provider("reading token " + primary.context().tokenUri(), again);
            }
        }
    }

    private Target target(String alias) throws Pkcs11Exception, IOException {
        if (alias == null) {
            return new Target(primary, null, null);
        }
        if (!Entries.looksLikeUri(alias)) {
            return new Target(primary, primary.entries().byAlias(alias), alias);
        }
        Pkcs11Uri uri;
        try {
            uri = Pkcs11Uri.parse(alias);
        } catch (Pkcs11UriSyntaxException e) {
            return new Target(primary, null, null); // matches no object
        }
        TokenStore store = storeFor(uri);
        return new Target(store, store.entries().resolve(uri), uri.object().orElse(null));
    }

    /** The loaded token, or the other token the URI's token, slot or module attributes select (opened once). */
    private TokenStore storeFor(Pkcs11Uri uri) throws IOException {
        if (!uri.hasTokenAttributes() && !uri.hasSlotAttributes() && !uri.hasModuleAttributes() && !uri.namesModule()) {
            return primary;
        }
        Pkcs11Uri u = uri.namesModule() ? uri : uri.toBuilder().modulePath(primary.context().module().path().toString()).build();
        Path module = TokenAccess.modulePath(u, aliasModules); // the allow-list first, whatever is open already
        if (EntryWriter.samePath(module, primary.context().module().path()) && TokenAccess.selects(primary.context(), u)) {
            return primary;
        }
        for (TokenStore s : others.values()) {
            if (EntryWriter.samePath(module, s.context().module().path()) && TokenAccess.selects(s.context(), u)) {
                return s;
            }
        }
        TokenContext c = TokenAccess.open(u, protection, true, aliasModules);
        if (c == primary.context()) {
            return primary;
        }
        return others.computeIfAbsent(c, TokenStore::new);
    }

    /** The entry behind {@code alias}, for methods that cannot throw: a token that cannot be opened has none. */
    private Target quietTarget(String alias) {
        try {
            return read(() -> target(alias));
        } catch (IOException e) {
            LOG.log(Level.FINE, "alias names a token that cannot be opened: {0}", e.getMessage());
            return new Target(primary, null, null);
        }
    }

    @Override
    public synchronized Enumeration<String> engineAliases() {
        return Collections.enumeration(uncheckedRead(() -> primary.entries().aliases()));
    }

    @Override
    public synchronized int engineSize() {
        return uncheckedRead(() -> primary.entries().aliases().size());
    }

    private <T> T uncheckedRead(TokenRead<T> work) {
        try {
            return read(work);
        } catch (IOException e) {
            throw new ProviderException(e.getMessage(), e);
        }
    }

    @Override
    public synchronized boolean engineContainsAlias(String alias) {
        return quietTarget(alias).entry() != null;
    }

    @Override
    public synchronized boolean engineIsKeyEntry(String alias) {
        Entry e = quietTarget(alias).entry();
        return e != null && e.isKey();
    }

    @Override
    public synchronized boolean engineIsCertificateEntry(String alias) {
        Entry e = quietTarget(alias).entry();
        return e != null && e.kind() == Entry.Kind.TRUSTED_CERTIFICATE;
    }

    @Override
    public synchronized boolean engineEntryInstanceOf(String alias, Class<? extends KeyStore.Entry> entryClass) {
        Entry e = quietTarget(alias).entry();
        if (e == null) {
            return false;
        }
        return switch (e.kind()) {
            case PRIVATE_KEY -> entryClass == KeyStore.PrivateKeyEntry.class;
            case SECRET_KEY -> entryClass == KeyStore.SecretKeyEntry.class;
            case TRUSTED_CERTIFICATE -> entryClass == KeyStore.TrustedCertificateEntry.class;
        };
    }

    // ---------------------------------------------------------------- reading entries

    /**
     * The key of a key entry, as a P11J key. {@code password} is not checked (the token's login
     * protects its keys); for a key that needs a context-specific login it is that PIN, and without
     * one the PIN the KeyStore was loaded with is used.
     *
     * @throws UnrecoverableKeyException the alias names a token that cannot be opened, or a key the provider cannot read
     */
    @Override
    public synchronized Key engineGetKey(String alias, char[] password) throws UnrecoverableKeyException {
        try {
            return read(() -> {
                Target t = target(alias);
                if (t.entry() == null || !t.entry().isKey()) {
                    return null;
                }
                PinSupplier pin = password != null ? PinSupplier.of(password) : protection.supplier("PIN for key " + alias + ": ");
                try {
                    return t.store().key(t.entry(), pin);
                } catch (UnrecoverableKeyException e) {
                    throw new IOException(e.getMessage(), e);
                }
            });
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException u) {
                throw u;
            }
            UnrecoverableKeyException u = new UnrecoverableKeyException(e.getMessage());
            u.initCause(e);
            throw u;
        }
    }

    @Override
    public synchronized Certificate engineGetCertificate(String alias) {
        Target t = quietTarget(alias);
        return t.entry() == null ? null : uncheckedRead(() -> t.store().certificate(t.entry()));
    }

    @Override
    public synchronized Certificate[] engineGetCertificateChain(String alias) {
        Target t = quietTarget(alias);
        return t.entry() == null ? null : uncheckedRead(() -> t.store().chain(t.entry()));
    }

    /** {@code CKA_START_DATE} of the entry (its certificate's, else its key's), or null. Never throws. */
    @Override
    public synchronized Date engineGetCreationDate(String alias) {
        try {
            Target t = quietTarget(alias);
            return t.entry() == null ? null : t.store().creationDate(t.entry());
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "no creation date: {0}", e.toString());
            return null;
        }
    }

    @Override
    public synchronized String engineGetCertificateAlias(Certificate cert) {
        if (!(cert instanceof X509Certificate x)) {
            return null;
        }
        return uncheckedRead(() -> primary.certificateAlias(x));
    }

    // ---------------------------------------------------------------- writing entries

    /**
     * Stores a key entry. {@code password} is ignored (token keys are protected by the token's
     * login). A private key needs its chain; a secret key takes none.
     */
    @Override
    public synchronized void engineSetKeyEntry(String alias, Key key, char[] password, Certificate[] chain)
            throws KeyStoreException {
        if (key instanceof PrivateKey pk) {
            if (chain == null || chain.length == 0) {
                throw new KeyStoreException("a private key entry needs the key's certificate chain");
            }
            X509Certificate[] x = x509(chain);
            write(alias, t -> {
                if (t.entry() != null && t.entry().kind() == Entry.Kind.PRIVATE_KEY && t.store().isObject(key, t.entry().primary())) {
                    return t.store().writer().replaceChain(t.entry(), labelOf(t), x, key);
                }
                String label = newLabel(t);
                return t.store().writer().keyEntry(label, pk, x, t.store().adoptable(key, label), t.entry(),
                        t.store().idShared(t.entry()));
            });
        } else if (key instanceof SecretKey sk) {
            write(alias, t -> t.store().writer().secretKeyEntry(newLabel(t), sk, t.entry(), t.store().idShared(t.entry())));
        } else {
            throw new KeyStoreException("cannot store a " + (key == null ? "null key" : key.getClass().getName())
                    + ": a private key (with its chain) or a secret key is needed");
        }
    }

    /** Not supported: a token stores keys, not protected key bytes. */
    @Override
    public void engineSetKeyEntry(String alias, byte[] key, Certificate[] chain) throws KeyStoreException {
        throw new KeyStoreException("the PKCS11-URI KeyStore does not take protected key bytes: pass a Key");
    }

    @Override
    public synchronized void engineSetCertificateEntry(String alias, Certificate cert) throws KeyStoreException {
        X509Certificate x = x509(new Certificate[] {cert})[0];
        write(alias, t -> {
            if (t.entry() != null && t.entry().isKey()) {
                throw new KeyStoreException("'" + alias + "' is a key entry; a certificate entry cannot replace it");
            }
            return t.store().writer().trustedCertificate(newLabel(t), x, t.entry());
        });
    }

    /** Removes the entry's objects from the token: key, public key and certificates. An unknown alias is no error. */
    @Override
    public synchronized void engineDeleteEntry(String alias) throws KeyStoreException {
        write(alias, t -> t.entry() == null ? null : t.store().writer().delete(t.entry(), t.store().idShared(t.entry())));
    }

    @FunctionalInterface
    private interface Write {
        EntryWriter.Change run(Target target) throws Pkcs11Exception, KeyStoreException;
    }

    private void write(String alias, Write work) throws KeyStoreException {
        if (alias == null) {
            throw new KeyStoreException("alias is null");
        }
        Target t;
        try {
            t = read(() -> target(alias));
        } catch (IOException e) {
            throw new KeyStoreException(e.getMessage(), e);
        }
        try {
            EntryWriter.Change change = work.run(t);
            if (change != null) {
                t.store().apply(change);
            }
        } catch (Pkcs11Exception e) {
            t.store().invalidate();
            throw new KeyStoreException("writing to " + t.store().context().tokenUri() + " failed: " + e.getMessage(), e);
        } catch (KeyStoreException | RuntimeException e) {
            // What was created is undone, but a deletion that failed half-way cannot be: read the token again.
            t.store().invalidate();
            throw e;
        }
    }

    /** The label of a new entry: the alias, or a URI alias's {@code object}. */
    private static String newLabel(Target t) throws KeyStoreException {
        String label = t.label();
        if (label == null && t.entry() != null) {
            label = labelOf(t);
        }
        if (label == null || label.isEmpty()) {
            throw new KeyStoreException("a new entry needs a label: give a plain alias, or a pkcs11: URI with object=");
        }
        if (Entries.looksLikeUri(label)) {
            throw new KeyStoreException("a label starting with 'pkcs11:' could not be used as an alias: choose another");
        }
        return label;
    }

    /** The label the certificates of an existing key entry get: the alias, else the key's or its certificate's label. */
    private static String labelOf(Target t) {
        if (t.label() != null && !t.label().isEmpty()) {
            return t.label();
        }
        Entry e = t.entry();
        if (e.primary().hasLabel()) {
            return e.primary().label();
        }
        return e.certificates().stream().filter(TokenObject::hasLabel).map(TokenObject::label).findFirst().orElse("");
    }

    private static X509Certificate[] x509(Certificate[] chain) throws KeyStoreException {
        X509Certificate[] out = new X509Certificate[chain.length];
        for (int i = 0; i < chain.length; i++) {
            if (!(chain[i] instanceof X509Certificate x)) {
                throw new KeyStoreException("only X.509 certificates can be stored, not "
                        + (chain[i] == null ? "null" : chain[i].getType()));
            }
            out[i] = x;
        }
        return out;
    }

    // ---------------------------------------------------------------- entries as objects

    /**
     * As the default, except that a token's entries need no protection parameter: null is accepted
     * for every kind, and a {@code PasswordProtection}'s password, if any, is only the context-specific
     * PIN of a key that needs one.
     *
     * @throws KeyStoreException for a private key without a certificate ({@code PrivateKeyEntry} needs a chain; use {@code getKey})
     */
    @Override
    public synchronized KeyStore.Entry engineGetEntry(String alias, KeyStore.ProtectionParameter protParam)
            throws KeyStoreException, UnrecoverableEntryException {
        Target t = quietTarget(alias);
        Entry e = t.entry();
        if (e == null) {
            return null;
        }
        if (e.kind() == Entry.Kind.TRUSTED_CERTIFICATE) {
            Certificate c = engineGetCertificate(alias);
            return c == null ? null : new KeyStore.TrustedCertificateEntry(c);
        }
        char[] password = protParam instanceof KeyStore.PasswordProtection pp ? pp.getPassword() : null;
        Key key;
        try {
            key = engineGetKey(alias, password);
        } catch (UnrecoverableKeyException u) {
            UnrecoverableEntryException x = new UnrecoverableEntryException(u.getMessage());
            x.initCause(u);
            throw x;
        }
        if (key instanceof SecretKey s) {
            return new KeyStore.SecretKeyEntry(s);
        }
        Certificate[] chain = engineGetCertificateChain(alias);
        if (chain == null || chain.length == 0) {
            throw new KeyStoreException("'" + alias + "' is a private key without a certificate; KeyStore.PrivateKeyEntry"
                    + " needs one: use getKey");
        }
        return new KeyStore.PrivateKeyEntry((PrivateKey) key, chain);
    }

    /** As the default, except that no password is needed: the token's login protects its keys. */
    @Override
    public synchronized void engineSetEntry(String alias, KeyStore.Entry entry, KeyStore.ProtectionParameter protParam)
            throws KeyStoreException {
        char[] password = protParam instanceof KeyStore.PasswordProtection pp ? pp.getPassword() : null;
        if (entry instanceof KeyStore.TrustedCertificateEntry t) {
            engineSetCertificateEntry(alias, t.getTrustedCertificate());
        } else if (entry instanceof KeyStore.PrivateKeyEntry p) {
            engineSetKeyEntry(alias, p.getPrivateKey(), password, p.getCertificateChain());
        } else if (entry instanceof KeyStore.SecretKeyEntry s) {
            engineSetKeyEntry(alias, s.getSecretKey(), password, null);
        } else {
            throw new KeyStoreException("unsupported entry type: " + (entry == null ? "null" : entry.getClass().getName()));
        }
    }
}
