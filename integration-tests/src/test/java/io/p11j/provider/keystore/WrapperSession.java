// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.codec.EcCurves;
import io.p11j.provider.codec.EcPoints;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.TestToken;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.KeyPairHandles;
import io.p11j.wrapper.Pkcs11Module;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.UserType;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * The test's own hands on a token, through the wrapper and not the KeyStore: makes objects the way
 * other tools would (ids and labels as the test chooses, mismatching on purpose), and checks what
 * the KeyStore wrote. Logged in as the user.
 */
final class WrapperSession implements AutoCloseable {

    private final Pkcs11Module module;
    private final Session session;

    private WrapperSession(Pkcs11Module module, Session session) {
        this.module = module;
        this.session = session;
    }

    static WrapperSession open(TestToken token) throws Exception {
        Pkcs11Module m = Pkcs11Module.open(SoftHsm.get().modulePath());
        Session s = m.tokens(Pkcs11Uri.builder().token(token.label()).build()).get(0).openSession(true);
        s.login(UserType.USER, token.userPinChars());
        return new WrapperSession(m, s);
    }

    Session session() {
        return session;
    }

    /** A P-256 key pair as token objects; {@code label}/{@code id} null for none. Returns {public, private}. */
    long[] ecPair(String label, byte[] id) throws Exception {
        return pair(Mechanism.of(CKM_EC_KEY_PAIR_GEN), base(CKO_PUBLIC_KEY, label, id).keyType(CKK_EC)
                .set(EC_PARAMS, EcCurves.encodeParams(EcCurves.byName("secp256r1"))).flag(VERIFY, true),
                base(CKO_PRIVATE_KEY, label, id).keyType(CKK_EC).flag(SIGN, true), null);
    }

    /** An RSA key pair as token objects. */
    long[] rsaPair(String label, byte[] id, int bits) throws Exception {
        return pair(Mechanism.of(CKM_RSA_PKCS_KEY_PAIR_GEN), base(CKO_PUBLIC_KEY, label, id).keyType(CKK_RSA)
                .set(MODULUS_BITS, (long) bits).bigInteger(PUBLIC_EXPONENT, BigInteger.valueOf(65537)).flag(VERIFY, true),
                base(CKO_PRIVATE_KEY, label, id).keyType(CKK_RSA).flag(SIGN, true), null);
    }

    /** As {@link #ecPair}, with extra attributes on the private key (e.g. CKA_ALWAYS_AUTHENTICATE). */
    long[] ecPair(String label, byte[] id, Template privateExtra) throws Exception {
        return pair(Mechanism.of(CKM_EC_KEY_PAIR_GEN), base(CKO_PUBLIC_KEY, label, id).keyType(CKK_EC)
                .set(EC_PARAMS, EcCurves.encodeParams(EcCurves.byName("secp256r1"))).flag(VERIFY, true),
                base(CKO_PRIVATE_KEY, label, id).keyType(CKK_EC).flag(SIGN, true), privateExtra);
    }

    private long[] pair(Mechanism m, Template.Builder pub, Template.Builder priv, Template privateExtra) throws Exception {
        Template p = priv.flag(PRIVATE, true).flag(SENSITIVE, true).flag(EXTRACTABLE, false).build();
        if (privateExtra != null) {
            p = p.with(privateExtra);
        }
        KeyPairHandles h = session.generateKeyPair(m, pub.flag(PRIVATE, false).build(), p);
        return new long[] {h.publicKey(), h.privateKey()};
    }

    private static Template.Builder base(long cls, String label, byte[] id) {
        Template.Builder b = Template.builder().objectClass(cls).flag(TOKEN, true);
        if (label != null) {
            b.label(label);
        }
        if (id != null) {
            b.id(id);
        }
        return b;
    }

    /** An AES key as a token object. */
    long aes(String label) throws Exception {
        return session.generateKey(Mechanism.of(CKM_AES_KEY_GEN), Template.builder().objectClass(CKO_SECRET_KEY)
                .flag(TOKEN, true).flag(SENSITIVE, true).set(VALUE_LEN, 32L).flag(ENCRYPT, true).label(label).build());
    }

    /** A certificate object as tools write it; {@code label}/{@code id} null for none. */
    long cert(X509Certificate cert, String label, byte[] id) throws Exception {
        Template.Builder b = base(CKO_CERTIFICATE, label, id).set(CERTIFICATE_TYPE, CKC_X_509).set(VALUE, cert.getEncoded())
                .set(SUBJECT, cert.getSubjectX500Principal().getEncoded()).set(ISSUER, cert.getIssuerX500Principal().getEncoded())
                .set(SERIAL_NUMBER, new ASN1Integer(cert.getSerialNumber()).getEncoded(ASN1Encoding.DER));
        return session.createObject(b.build());
    }

    /** The Java public key of a public key object. */
    PublicKey publicKey(long handle) throws Exception {
        AttributeValues v = session.getAttributes(handle, KEY_TYPE, MODULUS, PUBLIC_EXPONENT, EC_PARAMS, EC_POINT);
        if (v.require(KEY_TYPE) == CKK_RSA) {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(v.require(MODULUS), v.require(PUBLIC_EXPONENT)));
        }
        ECParameterSpec params = EcCurves.decodeParams(v.require(EC_PARAMS));
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
                EcPoints.decodeCkaEcPoint(v.require(EC_POINT), params), params));
    }

    List<Long> find(Template t) throws Exception {
        return session.findAll(t);
    }

    /** Token objects with {@code label}. */
    List<Long> labelled(String label) throws Exception {
        return session.findAll(Template.builder().label(label).flag(TOKEN, true).build());
    }

    /** Token objects of {@code cls} with {@code id}. */
    List<Long> withId(long cls, byte[] id) throws Exception {
        return session.findAll(Template.builder().objectClass(cls).id(id).flag(TOKEN, true).build());
    }

    /** Every token object. */
    List<Long> all() throws Exception {
        return session.findAll(Template.builder().flag(TOKEN, true).build());
    }

    AttributeValues attributes(long handle, AttributeType<?>... types) throws Exception {
        return session.getAttributes(handle, types);
    }

    void destroy(long handle) throws Exception {
        session.destroyObject(handle);
    }

    @Override
    public void close() throws io.p11j.sys.Pkcs11Exception {
        try {
            session.close();
        } finally {
            module.close();
        }
    }
}
