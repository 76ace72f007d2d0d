// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.token;

import io.p11j.provider.config.ProviderConfig;
import io.p11j.sys.ModuleLoadException;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.uri.ModuleAllowList;
import io.p11j.uri.ModuleNotAllowedException;
import io.p11j.uri.ModuleResolver;
import io.p11j.uri.PinSourceException;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.MechanismInfo;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.PinSupplier;
import io.p11j.wrapper.Pkcs11Errors;
import io.p11j.wrapper.Pkcs11Module;
import io.p11j.wrapper.PoolConfig;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.SessionPool;
import io.p11j.wrapper.Token;
import io.p11j.wrapper.TokenInfo;
import io.p11j.wrapper.ModuleOptions;

import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Everything the provider knows about one token: the module, the session pool (logged in once), the
 * mechanism list, and a dedicated session for session objects. Keys hold their context, so an
 * operation runs on the key's own token whichever provider instance the JCA picked.
 *
 * <p>Session objects (keys generated as throw-away keys) are created on the object session, which
 * the pool never closes or recycles: PKCS#11 destroys session objects with the session that made
 * them. They are destroyed when their Java key becomes unreachable.
 *
 * <p>Thread-safe.
 */
public final class TokenContext implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TokenContext.class.getName());
    private static final Cleaner CLEANER = Cleaner.create();

    private final Pkcs11Module module;
    private final SessionPool pool;
    private final TokenInfo info;
    private final Pkcs11Uri.TokenInfo uriInfo;
    private final Map<Long, MechanismInfo> mechanisms;
    private final ProviderConfig config;
    private final Set<Quirk> quirks;
    private final Object objectLock = new Object();
    private Session objectSession; // guarded by objectLock
    private volatile boolean closed;

    private TokenContext(Pkcs11Module module, SessionPool pool, TokenInfo info, Map<Long, MechanismInfo> mechanisms,
                         ProviderConfig config) {
        this.module = module;
        this.pool = pool;
        this.info = info;
        this.uriInfo = new Pkcs11Uri.TokenInfo(info.label(), info.manufacturerId(), info.model(), info.serialNumber());
        this.mechanisms = mechanisms;
        this.config = config;
        Set<Quirk> q = EnumSet.noneOf(Quirk.class);
        for (Quirk quirk : Quirk.values()) {
            if ((quirk.appliesTo(info) || config.enabledQuirks().contains(quirk)) && !config.disabledQuirks().contains(quirk)) {
                q.add(quirk);
            }
        }
        this.quirks = Collections.unmodifiableSet(q);
    }

    /**
     * Opens the one token {@code config}'s URI selects, and logs in with {@code pin} when given, else
     * with the URI's {@code pin-source}/{@code pin-value} if it has one; otherwise sessions stay public
     * until {@link #login(PinSupplier)}.
     *
     * @throws TokenOpenException the module does not load, the URI matches no token or several (the
     *                            message lists the tokens present), or the token rejected the PIN
     */
    public static TokenContext open(ProviderConfig config, PinSupplier pin) throws TokenOpenException {
        return open(config, pin, null);
    }

    /**
     * As {@link #open(ProviderConfig, PinSupplier)}, with the module checked against {@code allowList}
     * (for a URI that arrived as a KeyStore alias rather than from the configuration).
     */
    public static TokenContext open(ProviderConfig config, PinSupplier pin, ModuleAllowList allowList)
            throws TokenOpenException {
        Pkcs11Uri uri = config.token();
        Pkcs11Module module = openModule(config, allowList);
        boolean done = false;
        try {
            List<Token> matching = module.tokens(uri);
            if (matching.size() != 1) {
                throw new TokenOpenException(selectionMessage(uri, matching.size(), module), null, false);
            }
            Token token = matching.get(0);
            TokenInfo info = token.info();
            Map<Long, MechanismInfo> mechanisms = new HashMap<>();
            for (MechanismInfo m : token.mechanisms()) {
                if (!config.disabledMechanisms().contains(m.type())) {
                    mechanisms.put(m.type(), m);
                }
            }
            PinSupplier pins = pin;
            if (pins == null) {
                try {
                    pins = PinSupplier.fromUri(uri).orElse(null);
                } catch (PinSourceException e) {
                    throw new TokenOpenException("cannot read the PIN source of " + uri + ": " + e.getMessage(), e, true);
                }
            }
            PoolConfig poolConfig = PoolConfig.defaults().withMaxSessions(config.maxSessions()).withReadWrite(true);
            SessionPool pool;
            try {
                pool = SessionPool.open(token, poolConfig, pins);
            } catch (Pkcs11Errors.PinIncorrectException | Pkcs11Errors.PinLockedException e) {
                throw new TokenOpenException("login to token '" + info.label() + "' failed: " + e.getMessage(), e, true);
            }
            TokenContext context = new TokenContext(module, pool, info, Collections.unmodifiableMap(mechanisms), config);
            done = true;
            return context;
        } catch (Pkcs11Exception e) {
            throw new TokenOpenException("cannot open token " + uri + ": " + e.getMessage(), e, false);
        } finally {
            if (!done) {
                closeQuietly(module);
            }
        }
    }

    private static Pkcs11Module openModule(ProviderConfig config, ModuleAllowList allowList) throws TokenOpenException {
        Pkcs11Uri uri = config.token();
        ModuleOptions options = ModuleOptions.defaults();
        if (config.initArgs() != null) {
            options = options.withReserved(config.initArgs());
        }
        try {
            if (allowList != null) {
                return Pkcs11Module.open(uri, allowList, options);
            }
            ModuleResolver resolver = ModuleResolver.system();
            Path path = resolver.resolve(uri).orElseThrow(() -> new IllegalArgumentException(uri.moduleName().isPresent()
                    ? "module-name '" + uri.moduleName().get() + "' matches no module in " + resolver.moduleDirectories()
                    : "the URI names no module (module-path or module-name)"));
            return Pkcs11Module.open(path, options);
        } catch (ModuleNotAllowedException | ModuleLoadException | IllegalArgumentException e) {
            throw new TokenOpenException("cannot load the PKCS#11 module of " + uri + ": " + e.getMessage(), e, false);
        } catch (Pkcs11Exception e) {
            throw new TokenOpenException("cannot initialize the PKCS#11 module of " + uri + ": " + e.getMessage(), e, false);
        }
    }

    /** "matches no token / 3 tokens" and the URIs of all tokens present, so the user can copy the right one. */
    private static String selectionMessage(Pkcs11Uri uri, int count, Pkcs11Module module) {
        StringBuilder sb = new StringBuilder();
        sb.append(uri.withoutQuery()).append(count == 0 ? " matches no token" : " matches " + count + " tokens")
                .append(" (a provider serves one); tokens present:");
        try {
            List<Token> all = module.tokens();
            if (all.isEmpty()) {
                sb.append(" none");
            }
            for (Token t : all) {
                sb.append("\n  ").append(t.uri());
            }
        } catch (Pkcs11Exception e) {
            sb.append(" (cannot list them: ").append(e.getMessage()).append(')');
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- what the token is

    public ProviderConfig config() {
        return config;
    }

    public TokenInfo info() {
        return info;
    }

    public Pkcs11Module module() {
        return module;
    }

    /** The token's URI (no module, no PIN). */
    public Pkcs11Uri tokenUri() {
        return Pkcs11Uri.forToken(uriInfo);
    }

    /** The URI of an object on this token, built from what the caller already read (no token call). */
    public Pkcs11Uri objectUri(String label, Pkcs11Uri.Type type, byte[] id) {
        return Pkcs11Uri.forObject(uriInfo, new Pkcs11Uri.ObjectInfo(label, type, id));
    }

    /** Whether the provider works around {@code quirk} on this token (by the quirk table and the configuration). */
    public boolean has(Quirk quirk) {
        return quirks.contains(quirk);
    }

    /** The quirks assumed for this token. */
    public Set<Quirk> quirks() {
        return quirks;
    }

    /** Whether the token has {@code mechanism} (and the configuration does not disable it). */
    public boolean supports(long mechanism) {
        return mechanisms.containsKey(mechanism);
    }

    /** The token's info for {@code mechanism}, if it has it. */
    public Optional<MechanismInfo> mechanism(long mechanism) {
        return Optional.ofNullable(mechanisms.get(mechanism));
    }

    public Map<Long, MechanismInfo> mechanisms() {
        return mechanisms;
    }

    // ---------------------------------------------------------------- sessions and login

    public SessionPool pool() {
        return pool;
    }

    /** Runs {@code work} on a pooled session (recovering once if the token dropped it). */
    public <T> T execute(SessionPool.SessionWork<T> work) throws Pkcs11Exception {
        return pool.execute(work);
    }

    /** Logs in (or in again) with {@code pins}; the pool keeps the supplier for re-logins after a recovery. */
    public void login(char[] pin) throws Pkcs11Exception {
        pool.login(pin);
    }

    public void logout() throws Pkcs11Exception {
        pool.logout();
    }

    public boolean isLoggedIn() {
        return pool.hasLogin();
    }

    /**
     * Runs {@code work} on the object session, the one session that lives as long as this context, so
     * that session objects created there (generated keys, imported public keys) outlive the call.
     * Serialized: one caller at a time.
     */
    public <T> T withObjectSession(SessionPool.SessionWork<T> work) throws Pkcs11Exception {
        synchronized (objectLock) {
            if (closed) {
                throw new IllegalStateException("the token context is closed");
            }
            if (objectSession == null || !objectSession.isCurrent()) {
                // A re-initialized module took the old session and its objects with it: start a new one.
                objectSession = pool.token().openSession(true);
            }
            try {
                return work.run(objectSession);
            } catch (Pkcs11Exception e) {
                if (Pkcs11Errors.isSessionLost(e.rv())) {
                    objectSession = null;
                }
                throw e;
            }
        }
    }

    /** A reference to {@code handle} (read on {@code session}) that finds the object again after a recovery. */
    public ObjectRef ref(Session session, long handle) throws Pkcs11Exception {
        return pool.ref(session, handle);
    }

    /** A reference to {@code handle} whose class, id and label the caller already knows (saves a read). */
    public ObjectRef ref(long handle, long objectClass, byte[] id, String label) {
        return pool.ref(handle, objectClass, id, label);
    }

    /**
     * Destroys the session object {@code handle} once {@code owner} is unreachable: a throw-away key
     * must not outlive its Java object (a JVM generating many would fill the token otherwise).
     */
    public void destroyWhenUnreachable(Object owner, ObjectRef object) {
        CLEANER.register(owner, new SessionObjectDestroyer(this, object));
    }

    /** Destroys a session object; holds no reference to the key that owns it. */
    private record SessionObjectDestroyer(TokenContext context, ObjectRef object) implements Runnable {
        @Override
        public void run() {
            if (context.closed) {
                return; // the sessions are closed, and session objects with them
            }
            try {
                context.execute(s -> {
                    s.destroyObject(object.handle(s));
                    return null;
                });
            } catch (Pkcs11Exception | RuntimeException e) {
                LOG.log(Level.FINE, "session object already gone: {0}", object);
            }
        }
    }

    /** Closes the object session and the pool (wiping the held PIN) and releases the module. */
    @Override
    public void close() {
        closed = true;
        synchronized (objectLock) {
            if (objectSession != null) {
                try {
                    objectSession.close();
                } catch (Pkcs11Exception | RuntimeException ignored) {
                    // the session is going either way
                }
                objectSession = null;
            }
        }
        pool.close();
        closeQuietly(module);
    }

    private static void closeQuietly(Pkcs11Module module) {
        try {
            module.close();
        } catch (Pkcs11Exception | RuntimeException e) {
            LOG.log(Level.FINE, "closing module: {0}", e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "TokenContext[" + tokenUri() + "]";
    }
}
