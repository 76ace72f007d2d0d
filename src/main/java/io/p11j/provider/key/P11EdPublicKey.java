// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.key;

import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.ObjectRef;

import java.math.BigInteger;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.EdECPoint;
import java.security.spec.NamedParameterSpec;

/** An Ed25519 or Ed448 public key of the token, usable by any provider. */
public final class P11EdPublicKey extends P11PublicKey implements EdECPublicKey {

    private static final long serialVersionUID = 1L;

    private final transient NamedParameterSpec params;
    private final transient EdECPoint point;
    private final transient byte[] raw;

    P11EdPublicKey(TokenContext context, ObjectRef ref, KeyAttributes attributes, NamedParameterSpec params, byte[] raw) {
        super(context, ref, attributes);
        this.params = params;
        this.raw = raw.clone();
        this.point = decode(raw);
    }

    /** RFC 8032: little-endian y, the top bit of the last byte is the parity of x. */
    private static EdECPoint decode(byte[] raw) {
        byte[] le = raw.clone();
        boolean xOdd = (le[le.length - 1] & 0x80) != 0;
        le[le.length - 1] &= 0x7f;
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        return new EdECPoint(xOdd, new BigInteger(1, be));
    }

    @Override
    public String getAlgorithm() {
        return "EdDSA";
    }

    @Override
    public NamedParameterSpec getParams() {
        return params;
    }

    @Override
    public EdECPoint getPoint() {
        return point;
    }

    @Override
    byte[] encode() {
        return KeyEncodings.edwards(params.getName(), raw);
    }
}
