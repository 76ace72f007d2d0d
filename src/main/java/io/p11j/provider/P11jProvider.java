// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.provider.config.ProviderConfig;
import io.p11j.provider.service.ServiceTable;
import io.p11j.provider.token.TokenContext;
import io.p11j.provider.token.TokenOpenException;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.Pkcs11Errors;

import javax.security.auth.Subject;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.login.AccountLockedException;
import javax.security.auth.login.FailedLoginException;
import javax.security.auth.login.LoginException;
import java.io.IOException;
import java.security.AuthProvider;
import java.security.Provider;
import java.security.Security;
import java.util.Arrays;

/**
 * The P11J security provider: keys on a PKCS#11 token through the standard JCA/JCE API, the token
 * chosen by an RFC 7512 {@code pkcs11:} URI.
 *
 * <p>The no-arg constructor gives the <em>unconfigured</em> provider {@code P11J} (what
 * {@code ServiceLoader} and {@code security.provider.N=P11J} find). It offers the
 * {@code PKCS11-URI} KeyStore, which takes its token URI at {@code load}, and the signature services
 * for the keys that KeyStore returns. {@link #configure(String)} returns a provider for one token,
 * from a {@code pkcs11:} URI or a configuration file ({@code provider-config/README.md}), named
 * {@code P11J}, or {@code P11J-name} when the file names it, offering what that token can do.
 *
 * <pre>{@code
 * Provider p = Security.getProvider("P11J")
 *         .configure("pkcs11:token=demo;module-name=softhsm2?pin-source=file:/run/pin");
 * Security.addProvider(p);
 * }</pre>
 *
 * <p>As an {@link AuthProvider} it logs in and out of its token; the PIN comes from the URI's
 * {@code pin-source}/{@code pin-value}, from {@link #login}, or from a KeyStore's protection
 * parameter.
 */
public final class P11jProvider extends AuthProvider {

    private static final long serialVersionUID = 1L;
    private static final String VERSION = "0.1";

    private final transient ProviderConfig config;
    private final transient TokenContext context;
    private transient volatile CallbackHandler callbackHandler;

    /** The unconfigured provider {@code P11J}. */
    public P11jProvider() {
        this(null, null);
    }

    private P11jProvider(ProviderConfig config, TokenContext context) {
        super(config == null ? "P11J" : config.providerName(), VERSION, info(config, context));
        this.config = config;
        this.context = context;
        ServiceTable.register(this, config, context, this::putService);
    }

    private static String info(ProviderConfig config, TokenContext context) {
        return context == null
                ? "P11J: PKCS#11 tokens through pkcs11: URIs (unconfigured: KeyStore PKCS11-URI)"
                : "P11J: PKCS#11 token " + context.tokenUri() + " via " + context.module().path();
    }

    /**
     * A provider for the one token {@code arg} selects: a {@code pkcs11:} URI (module by
     * {@code module-path} or {@code module-name}, token by its path attributes, PIN by
     * {@code pin-source} or {@code pin-value}) or the path of a {@code provider-config} file.
     *
     * @throws P11jConfigurationException (an {@code InvalidParameterException}) when the module does not
     *         load, the URI matches no token or several (the message lists the tokens present), or the
     *         login fails
     */
    @Override
    public Provider configure(String arg) {
        ProviderConfig c = ProviderConfig.parse(arg);
        try {
            return new P11jProvider(c, TokenContext.open(c, null));
        } catch (TokenOpenException e) {
            throw new P11jConfigurationException(e.getMessage(), e);
        }
    }

    @Override
    public boolean isConfigured() {
        return context != null;
    }

    /** The token of a configured provider (internal to P11J's engines and tests). */
    TokenContext context() {
        return context;
    }

    /**
     * Logs in to the token with a PIN asked from {@code handler}, else from the handler set by
     * {@link #setCallbackHandler}, else from the {@code auth.login.defaultCallbackHandler} security
     * property's class.
     *
     * @throws FailedLoginException the token rejected the PIN
     * @throws AccountLockedException the PIN is locked
     * @throws LoginException no handler, or the handler gave no PIN
     */
    @Override
    public void login(Subject subject, CallbackHandler handler) throws LoginException {
        if (context == null) {
            throw new LoginException("the unconfigured P11J provider has no token: configure it with a pkcs11: URI first");
        }
        CallbackHandler h = handler != null ? handler : callbackHandler != null ? callbackHandler : defaultHandler();
        if (h == null) {
            throw new LoginException("no CallbackHandler to ask for the PIN of " + context.tokenUri());
        }
        char[] pin;
        try {
            pin = io.p11j.wrapper.PinSupplier.fromCallback(h, "PIN for " + context.info().label() + ": ").pin();
        } catch (IOException e) {
            throw (LoginException) new LoginException("no PIN: " + e.getMessage()).initCause(e);
        }
        try {
            context.login(pin);
        } catch (Pkcs11Errors.PinIncorrectException e) {
            throw (LoginException) new FailedLoginException("the token rejected the PIN: " + e.getMessage()).initCause(e);
        } catch (Pkcs11Errors.PinLockedException e) {
            throw (LoginException) new AccountLockedException("the PIN is locked: " + e.getMessage()).initCause(e);
        } catch (Pkcs11Exception e) {
            throw (LoginException) new LoginException("login failed: " + e.getMessage()).initCause(e);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    /** Logs out of the token and forgets the PIN; keys need a new login before they can be used. */
    @Override
    public void logout() throws LoginException {
        if (context == null) {
            return;
        }
        try {
            context.logout();
        } catch (Pkcs11Exception e) {
            throw (LoginException) new LoginException("logout failed: " + e.getMessage()).initCause(e);
        }
    }

    @Override
    public void setCallbackHandler(CallbackHandler handler) {
        this.callbackHandler = handler;
    }

    private static CallbackHandler defaultHandler() throws LoginException {
        String cls = Security.getProperty("auth.login.defaultCallbackHandler");
        if (cls == null || cls.isBlank()) {
            return null;
        }
        try {
            return (CallbackHandler) Class.forName(cls.strip(), true, Thread.currentThread().getContextClassLoader())
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw (LoginException) new LoginException("cannot create auth.login.defaultCallbackHandler " + cls).initCause(e);
        }
    }

    // Provider is a Properties (Serializable); a configured provider holds a token: not serializable.
    private Object writeReplace() throws java.io.ObjectStreamException {
        throw new java.io.NotSerializableException("P11jProvider");
    }
}
