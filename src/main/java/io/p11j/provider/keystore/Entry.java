// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * One KeyStore entry: a private key with the certificates paired with it, a secret key, or a
 * trusted certificate (a certificate no private key pairs with). Grouped by {@link Entries}; what is
 * expensive to know (which certificate is the leaf, the chain) is worked out on first use by
 * {@link ObjectIndex} and kept here until the index regroups.
 */
final class Entry {

    enum Kind { PRIVATE_KEY, SECRET_KEY, TRUSTED_CERTIFICATE }

    private final Kind kind;
    private final TokenObject primary;
    private final List<TokenObject> certificates;
    private String alias;

    // Worked out lazily by ObjectIndex; the entry is dropped whenever the index changes.
    TokenObject leaf;
    boolean leafKnown;
    X509Certificate[] chain;

    Entry(Kind kind, TokenObject primary, List<TokenObject> certificates) {
        this.kind = kind;
        this.primary = primary;
        this.certificates = List.copyOf(certificates);
    }

    Kind kind() {
        return kind;
    }

    /** The private key, the secret key or the trusted certificate. */
    TokenObject primary() {
        return primary;
    }

    /** A key entry's certificates (leaf and any CA certificates stored with the same id); a trusted entry's one. */
    List<TokenObject> certificates() {
        return certificates;
    }

    boolean isKey() {
        return kind != Kind.TRUSTED_CERTIFICATE;
    }

    String alias() {
        return alias;
    }

    void alias(String alias) {
        this.alias = alias;
    }

    /** Whether {@code o} is one of this entry's objects. */
    boolean contains(TokenObject o) {
        return primary.handle() == o.handle() || certificates.stream().anyMatch(c -> c.handle() == o.handle());
    }

    @Override
    public String toString() {
        return kind + "[" + alias + ": " + primary + ", " + certificates.size() + " certificate(s)]";
    }
}
