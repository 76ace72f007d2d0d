// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import java.security.spec.AlgorithmParameterSpec;
import java.util.Optional;

/**
 * The attributes of a key that a P11J {@code Cipher} in {@code UNWRAP_MODE} creates on the token
 * ({@code C_UnwrapKey}), around the cipher's own parameters (an {@code IvParameterSpec},
 * {@code GCMParameterSpec}, {@code OAEPParameterSpec}, or none):
 *
 * <pre>{@code
 * cipher.init(Cipher.UNWRAP_MODE, kek, P11jKeyUnwrapSpec.builder(null)
 *         .label("payments key").tokenObject(true).build());
 * SecretKey k = (SecretKey) cipher.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
 * }</pre>
 *
 * An unwrapped key is always sensitive; it is extractable (may be wrapped again) only when asked.
 * Immutable.
 */
public final class P11jKeyUnwrapSpec implements AlgorithmParameterSpec {

    private final AlgorithmParameterSpec cipherParameters;
    private final String label;
    private final byte[] id;
    private final Boolean tokenObject;
    private final boolean extractable;

    private P11jKeyUnwrapSpec(Builder b) {
        this.cipherParameters = b.cipherParameters;
        this.label = b.label;
        this.id = b.id == null ? null : b.id.clone();
        this.tokenObject = b.tokenObject;
        this.extractable = b.extractable;
    }

    /** A builder around the cipher's own parameters (null when the cipher takes none). */
    public static Builder builder(AlgorithmParameterSpec cipherParameters) {
        return new Builder(cipherParameters);
    }

    /** The cipher's own parameters, if any. */
    public Optional<AlgorithmParameterSpec> cipherParameters() {
        return Optional.ofNullable(cipherParameters);
    }

    /** The label ({@code CKA_LABEL}) of the unwrapped key, or null. */
    public String label() {
        return label;
    }

    /** The id ({@code CKA_ID}) of the unwrapped key, or null for a random one. */
    public byte[] id() {
        return id == null ? null : id.clone();
    }

    /** Token object (true), session object (false), or the provider's configured default (empty). */
    public Optional<Boolean> tokenObject() {
        return Optional.ofNullable(tokenObject);
    }

    /** Whether the unwrapped key may itself be wrapped; false by default. It stays sensitive either way. */
    public boolean extractable() {
        return extractable;
    }

    /** Builds a {@link P11jKeyUnwrapSpec}. */
    public static final class Builder {
        private final AlgorithmParameterSpec cipherParameters;
        private String label;
        private byte[] id;
        private Boolean tokenObject;
        private boolean extractable;

        private Builder(AlgorithmParameterSpec cipherParameters) {
            if (cipherParameters instanceof P11jKeyUnwrapSpec) {
                throw new IllegalArgumentException("a P11jKeyUnwrapSpec cannot wrap another");
            }
            this.cipherParameters = cipherParameters;
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

        public P11jKeyUnwrapSpec build() {
            return new P11jKeyUnwrapSpec(this);
        }
    }
}
