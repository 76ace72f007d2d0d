// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.config.ProviderConfig;
import io.p11j.provider.token.TokenContext;
import io.p11j.provider.token.TokenOpenException;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.uri.ModuleAllowList;
import io.p11j.uri.ModuleNotAllowedException;
import io.p11j.uri.ModuleResolver;
import io.p11j.uri.PinSourceException;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.PinSupplier;
import io.p11j.wrapper.Pkcs11Errors;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.Token;
import io.p11j.wrapper.UserType;

import java.io.IOException;
import java.nio.file.Path;
import java.security.UnrecoverableKeyException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Opening and logging in to the tokens a KeyStore names by URI (at {@code load}, or in a URI alias).
 *
 * <p>A token opened here is opened once per process and kept open, as if a provider had been
 * configured for it: the keys a KeyStore hands out hold their token, and loading a KeyStore again
 * (or another KeyStore on the same token) then costs no new module initialization, session pool or
 * login. PKCS#11 login state is per process anyway.
 *
 * <p><b>Wrong PINs.</b> A rejected PIN is an {@code IOException} whose cause is an
 * {@code UnrecoverableKeyException} (whose cause is the {@code CKR_PIN_INCORRECT}); it is never
 * retried. A token this process is already logged in to is not asked again: SoftHSM2 (like most
 * tokens) answers {@code C_Login} with {@code CKR_USER_ALREADY_LOGGED_IN} without checking the PIN,
 * so a PIN can only be checked on a token nobody in the process has logged in to.
 */
final class TokenAccess {

    private static final List<TokenContext> OPEN = new ArrayList<>(); // guarded by the class

    private TokenAccess() {
    }

    /**
     * The context of the one token {@code uri} selects, logged in if a PIN is known.
     *
     * @param uri          token (and module) attributes; object attributes are ignored
     * @param protection   the PIN passed to the KeyStore
     * @param uriPinFirst  whether a PIN in the URI wins over {@code protection} (URI aliases) or the other way round ({@code load})
     * @param allowList    the modules the URI may load; null for a URI the user gave {@code load} (any module)
     */
    static synchronized TokenContext open(Pkcs11Uri uri, Protection protection, boolean uriPinFirst, ModuleAllowList allowList)
            throws IOException {
        Path module = modulePath(uri, allowList);
        Pkcs11Uri tokenUri = uri.toBuilder().object(null).type(null).id(null).modulePath(module.toString()).moduleName(null).build();
        for (TokenContext c : OPEN) {
            if (EntryWriter.samePath(c.module().path(), module) && selects(c, tokenUri)) {
                ensureLogin(c, protection, uri, uriPinFirst);
                return c;
            }
        }
        PinSupplier pins = null;
        if (!(uriPinFirst && hasPin(uri))) {
            pins = protection.supplier("PIN for " + tokenUri.withoutQuery() + ": ");
        }
        TokenContext c;
        try {
            c = TokenContext.open(ProviderConfig.ofUri(tokenUri), pins, allowList);
        } catch (TokenOpenException e) {
            if (pins != null) {
                pins.close();
            }
            if (e.loginFailed()) {
                throw loginFailed(e.getMessage(), e);
            }
            throw new IOException(e.getMessage(), e);
        }
        OPEN.add(c);
        return c;
    }

    /** Whether {@code uri} (token, slot and module attributes) selects exactly {@code context}'s token. */
    static boolean selects(TokenContext context, Pkcs11Uri uri) throws IOException {
        try {
            List<Token> found = context.module().tokens(uri);
            return found.size() == 1 && found.get(0).equals(context.pool().token());
        } catch (Pkcs11Exception e) {
            throw new IOException("cannot list the tokens of " + context.module().path() + ": " + e.getMessage(), e);
        }
    }

    /** The module {@code uri} names, checked against {@code allowList} when there is one. */
    static Path modulePath(Pkcs11Uri uri, ModuleAllowList allowList) throws IOException {
        try {
            if (allowList != null) {
                return allowList.resolve(uri).orElseThrow(() -> new IOException("the URI names no module: " + uri.withoutQuery()));
            }
            ModuleResolver resolver = ModuleResolver.system();
            return resolver.resolve(uri).orElseThrow(() -> new IOException(uri.moduleName().isPresent()
                    ? "module-name '" + uri.moduleName().get() + "' matches no module in " + resolver.moduleDirectories()
                    : "the URI names no module (module-path or module-name): " + uri.withoutQuery()));
        } catch (ModuleNotAllowedException e) {
            throw new IOException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IOException("the URI's module is not usable: " + e.getMessage(), e);
        }
    }

    private static boolean hasPin(Pkcs11Uri uri) {
        return uri != null && (uri.pinSource().isPresent() || uri.hasPinValue());
    }

    /**
     * Logs {@code context} in if it is not yet: with {@code protection}'s PIN or the URI's, in the
     * order {@code uriPinFirst} says. The PIN is checked on a session of its own first, so that a
     * wrong one never becomes the pool's (the pool would refuse to send it again, and every
     * borrower would fail until a good one is given).
     */
    static void ensureLogin(TokenContext context, Protection protection, Pkcs11Uri uri, boolean uriPinFirst) throws IOException {
        if (context.isLoggedIn()) {
            return;
        }
        String prompt = "PIN for " + context.tokenUri() + ": ";
        PinSupplier supplier = uriPinFirst ? fromUri(uri) : protection.supplier(prompt);
        if (supplier == null) {
            supplier = uriPinFirst ? protection.supplier(prompt) : fromUri(uri);
        }
        if (supplier == null) {
            return; // no PIN anywhere: public objects only
        }
        char[] pin = null;
        try {
            pin = supplier.pin();
            if (pin == null) {
                throw new IOException("no PIN for " + context.tokenUri());
            }
            login(context, pin);
        } finally {
            supplier.close();
            if (pin != null) {
                Arrays.fill(pin, '\0');
            }
        }
    }

    private static void login(TokenContext context, char[] pin) throws IOException {
        try (Session probe = context.pool().token().openSession(false)) {
            probe.login(UserType.USER, pin);
            context.login(pin); // the token is logged in now: the pool's own C_Login is answered "already logged in"
        } catch (Pkcs11Errors.PinIncorrectException | Pkcs11Errors.PinLockedException e) {
            throw loginFailed("login to token '" + context.info().label() + "' failed: " + e.getMessage(), e);
        } catch (Pkcs11Exception e) {
            throw new IOException("login to token '" + context.info().label() + "' failed: " + e.getMessage(), e);
        }
    }

    private static PinSupplier fromUri(Pkcs11Uri uri) throws IOException {
        if (uri == null) {
            return null;
        }
        try {
            return PinSupplier.fromUri(uri).orElse(null);
        } catch (PinSourceException e) {
            throw new IOException("cannot read the PIN source of " + uri.withoutQuery() + ": " + e.getMessage(), e);
        }
    }

    /** The KeyStore contract for a wrong PIN: an IOException caused by an UnrecoverableKeyException. */
    static IOException loginFailed(String message, Exception cause) {
        UnrecoverableKeyException wrong = new UnrecoverableKeyException(message);
        wrong.initCause(cause);
        return new IOException(message, wrong);
    }
}
