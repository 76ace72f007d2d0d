// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.ModuleLoadException;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.HexFormat;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * What the wrapper integration tests share: a wrapper handle on the JVM's SoftHSM2 (sharing the
 * initialization the fixture {@link SoftHsm} holds open for the JVM's life), the fixture's token seen
 * through the wrapper, key generation through the wrapper, and the encodings the JDK needs to check
 * the token's results independently.
 */
final class WrapperFixture {

    /** DER OID of prime256v1 / secp256r1. */
    static final byte[] P256_OID = HexFormat.of().parseHex("06082a8648ce3d030107");
    /** DER OID 1.3.101.112 (id-Ed25519). */
    static final byte[] ED25519_OID = HexFormat.of().parseHex("06032b6570");
    /** DER PrintableString "edwards25519", the curve-name form PKCS#11 3.0 also allows. */
    static final byte[] ED25519_NAME = HexFormat.of().parseHex("130c656477617264733235353139");
    /** The SubjectPublicKeyInfo of an Ed25519 key without its 32 key bytes (RFC 8410). */
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private WrapperFixture() {
    }

    /** A new wrapper handle on the JVM's SoftHSM2, which {@link SoftHsm} has already opened and initialized. */
    static Pkcs11Module openModule() throws ModuleLoadException, Pkcs11Exception {
        return Pkcs11Module.open(SoftHsm.get().modulePath());
    }

    /** The fixture's token's slot, found by label (a re-initialized module may have renumbered the slots). */
    static long slotId(Pkcs11Module module, TestToken t) throws Pkcs11Exception {
        return SoftHsmExtension.slotOf(module.functions(), t.label());
    }

    /** The fixture's token, through the wrapper. */
    static Token token(Pkcs11Module module, TestToken t) throws Pkcs11Exception {
        return module.slot(slotId(module, t)).token();
    }

    /** A read-write session logged in as the user. */
    static Session userSession(Pkcs11Module module, TestToken t) throws Pkcs11Exception {
        Session s = token(module, t).openSession(true);
        try {
            s.login(UserType.USER, t.userPinChars());
        } catch (Pkcs11Exception | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ keys on the token

    static Template.Builder rsaPublicTemplate(String label, int bits) {
        return Template.builder().objectClass(CKO_PUBLIC_KEY).keyType(CKK_RSA).label(label)
                .set(AttributeType.TOKEN, false).set(AttributeType.VERIFY, true)
                .set(AttributeType.MODULUS_BITS, (long) bits).set(AttributeType.PUBLIC_EXPONENT, BigInteger.valueOf(65537));
    }

    static Template.Builder rsaPrivateTemplate(String label) {
        return Template.builder().objectClass(CKO_PRIVATE_KEY).keyType(CKK_RSA).label(label)
                .set(AttributeType.TOKEN, false).set(AttributeType.PRIVATE, true).set(AttributeType.SIGN, true)
                .set(AttributeType.SENSITIVE, true).set(AttributeType.EXTRACTABLE, false);
    }

    static KeyPairHandles rsaPair(Session s, String label, int bits) throws Pkcs11Exception {
        return s.generateKeyPair(Mechanism.of(CKM_RSA_PKCS_KEY_PAIR_GEN), rsaPublicTemplate(label, bits).build(),
                rsaPrivateTemplate(label).build());
    }

    static KeyPairHandles ecPair(Session s, String label, boolean derive) throws Pkcs11Exception {
        Template pub = Template.builder().objectClass(CKO_PUBLIC_KEY).keyType(CKK_EC).label(label)
                .set(AttributeType.TOKEN, false).set(AttributeType.VERIFY, true)
                .set(AttributeType.EC_PARAMS, P256_OID).build();
        Template priv = Template.builder().objectClass(CKO_PRIVATE_KEY).keyType(CKK_EC).label(label)
                .set(AttributeType.TOKEN, false).set(AttributeType.PRIVATE, true).set(AttributeType.SIGN, true)
                .set(AttributeType.DERIVE, derive).set(AttributeType.SENSITIVE, true).build();
        return s.generateKeyPair(Mechanism.of(CKM_EC_KEY_PAIR_GEN), pub, priv);
    }

    /** A session AES key with a known value, usable for everything the tests do with AES. */
    static Template.Builder aesKeyTemplate(byte[] value) {
        return Template.builder().objectClass(CKO_SECRET_KEY).keyType(CKK_AES)
                .set(AttributeType.TOKEN, false).set(AttributeType.VALUE, value)
                .set(AttributeType.ENCRYPT, true).set(AttributeType.DECRYPT, true)
                .set(AttributeType.SENSITIVE, false).set(AttributeType.EXTRACTABLE, true);
    }

    static long aesKey(Session s, byte[] value) throws Pkcs11Exception {
        return s.createObject(aesKeyTemplate(value).build());
    }

    // ------------------------------------------------------------------ the JDK's view of token keys

    static RSAPublicKey rsaPublicKey(Session s, long publicKey) throws Exception {
        var v = s.getAttributes(publicKey, AttributeType.MODULUS, AttributeType.PUBLIC_EXPONENT);
        return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(
                new RSAPublicKeySpec(v.require(AttributeType.MODULUS), v.require(AttributeType.PUBLIC_EXPONENT)));
    }

    static ECParameterSpec p256() throws Exception {
        AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
        p.init(new ECGenParameterSpec("secp256r1"));
        return p.getParameterSpec(ECParameterSpec.class);
    }

    /**
     * The point in a {@code CKA_EC_POINT}: a DER OCTET STRING around the X9.62 encoding (what the
     * spec prescribes), or the bare encoding (what some tokens give).
     */
    static byte[] unwrapOctetString(byte[] ecPoint, int expectedRawLength) {
        if (ecPoint.length == expectedRawLength) {
            return ecPoint;
        }
        if (ecPoint[0] != 0x04) {
            throw new IllegalArgumentException("not an OCTET STRING: " + HexFormat.of().formatHex(ecPoint));
        }
        int len;
        int offset;
        if ((ecPoint[1] & 0x80) == 0) {
            len = ecPoint[1];
            offset = 2;
        } else {
            int n = ecPoint[1] & 0x7f;
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (ecPoint[2 + i] & 0xff);
            }
            offset = 2 + n;
        }
        if (offset + len != ecPoint.length || len != expectedRawLength) {
            throw new IllegalArgumentException("bad OCTET STRING: " + HexFormat.of().formatHex(ecPoint));
        }
        return Arrays.copyOfRange(ecPoint, offset, ecPoint.length);
    }

    /** 04 || X || Y of a P-256 public key on the token. */
    static byte[] p256Point(Session s, long publicKey) throws Pkcs11Exception {
        return unwrapOctetString(s.getAttribute(publicKey, AttributeType.EC_POINT).orElseThrow(), 65);
    }

    static ECPublicKey p256PublicKey(byte[] uncompressedPoint) throws Exception {
        if (uncompressedPoint.length != 65 || uncompressedPoint[0] != 0x04) {
            throw new IllegalArgumentException("not an uncompressed P-256 point");
        }
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(uncompressedPoint, 1, 33));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(uncompressedPoint, 33, 65));
        return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), p256()));
    }

    /** 04 || X || Y of a JDK P-256 public key. */
    static byte[] uncompressed(ECPublicKey key) {
        byte[] out = new byte[65];
        out[0] = 0x04;
        byte[] x = fixed(key.getW().getAffineX(), 32);
        byte[] y = fixed(key.getW().getAffineY(), 32);
        System.arraycopy(x, 0, out, 1, 32);
        System.arraycopy(y, 0, out, 33, 32);
        return out;
    }

    static byte[] fixed(BigInteger v, int length) {
        byte[] b = v.toByteArray();
        if (b.length == length) {
            return b;
        }
        byte[] out = new byte[length];
        if (b.length > length) { // a leading sign byte
            System.arraycopy(b, b.length - length, out, 0, length);
        } else {
            System.arraycopy(b, 0, out, length - b.length, b.length);
        }
        return out;
    }

    static PublicKey ed25519PublicKey(byte[] raw32) throws Exception {
        byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
        System.arraycopy(raw32, 0, spki, ED25519_SPKI_PREFIX.length, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    }

    /** A PKCS#11 ECDSA signature (r || s, each half the length) as the DER SEQUENCE the JDK verifies. */
    static byte[] ecdsaDer(byte[] rs) {
        int half = rs.length / 2;
        byte[] r = new BigInteger(1, Arrays.copyOfRange(rs, 0, half)).toByteArray();
        byte[] s = new BigInteger(1, Arrays.copyOfRange(rs, half, rs.length)).toByteArray();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(0x02);
        body.write(r.length);
        body.writeBytes(r);
        body.write(0x02);
        body.write(s.length);
        body.writeBytes(s);
        byte[] b = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        out.write(b.length); // < 128 for P-256
        out.writeBytes(b);
        return out.toByteArray();
    }
}
