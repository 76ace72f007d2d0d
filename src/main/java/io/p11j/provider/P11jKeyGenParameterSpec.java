// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import java.security.spec.AlgorithmParameterSpec;
import java.util.Optional;

/**
 * How the P11J {@code KeyPairGenerator} (and later the {@code KeyGenerator}) creates a key on the
 * token, beyond the algorithm's own parameters: its label, id, whether it is a token object or a
 * session object, and whether it may be wrapped.
 *
 * <pre>{@code
 * kpg.initialize(P11jKeyGenParameterSpec.builder(new ECGenParameterSpec("secp256r1"))
 *         .label("signing key").tokenObject(true).build());
 * }</pre>
 *
 * Immutable.
 */
public final class P11jKeyGenParameterSpec implements AlgorithmParameterSpec {

    private final AlgorithmParameterSpec keySpec;
    private final int keySize;
    private final String label;
    private final byte[] id;
    private final Boolean tokenObject;
    private final boolean extractable;

    private P11jKeyGenParameterSpec(Builder b) {
        this.keySpec = b.keySpec;
        this.keySize = b.keySize;
        this.label = b.label;
        this.id = b.id == null ? null : b.id.clone();
        this.tokenObject = b.tokenObject;
        this.extractable = b.extractable;
    }

    /** A builder around the algorithm's own parameters ({@code RSAKeyGenParameterSpec}, {@code ECGenParameterSpec}, …). */
    public static Builder builder(AlgorithmParameterSpec keySpec) {
        return new Builder(keySpec, -1);
    }

    /** A builder with a key size only (RSA modulus bits, EC field bits). */
    public static Builder builder(int keySize) {
        return new Builder(null, keySize);
    }

    /** The algorithm's parameters, if given. */
    public Optional<AlgorithmParameterSpec> keySpec() {
        return Optional.ofNullable(keySpec);
    }

    /** The key size, or -1 when given by {@link #keySpec()} or left to the default. */
    public int keySize() {
        return keySize;
    }

    /** The label ({@code CKA_LABEL}) for both keys of the pair, or null. */
    public String label() {
        return label;
    }

    /** The id ({@code CKA_ID}) for both keys of the pair, or null for a random one. */
    public byte[] id() {
        return id == null ? null : id.clone();
    }

    /** Token object (true), session object (false), or the provider's configured default (empty). */
    public Optional<Boolean> tokenObject() {
        return Optional.ofNullable(tokenObject);
    }

    /** Whether the private (or secret) key may be wrapped off the token; false by default. It stays sensitive. */
    public boolean extractable() {
        return extractable;
    }

    /** Builds a {@link P11jKeyGenParameterSpec}. */
    public static final class Builder {
        private final AlgorithmParameterSpec keySpec;
        private final int keySize;
        private String label;
        private byte[] id;
        private Boolean tokenObject;
        private boolean extractable;

        private Builder(AlgorithmParameterSpec keySpec, int keySize) {
            if (keySpec instanceof P11jKeyGenParameterSpec) {
                throw new IllegalArgumentException("a P11jKeyGenParameterSpec cannot wrap another");
            }
            this.keySpec = keySpec;
            this.keySize = keySize;
        }

        public Builder label(String label) {
            this.label = label;
            return this;
        }

        public Builder id(byte[] id) {
            this.id = id == null ? null : id.clone();
            return this;
        }

        public Builder tokenObject(boolean tokenObject) {
            this.tokenObject = tokenObject;
            return this;
        }

        public Builder extractable(boolean extractable) {
            this.extractable = extractable;
            return this;
        }

        public P11jKeyGenParameterSpec build() {
            return new P11jKeyGenParameterSpec(this);
        }
    }
}
