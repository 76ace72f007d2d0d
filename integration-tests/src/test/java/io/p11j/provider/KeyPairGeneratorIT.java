// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider;

import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.Pkcs11Module;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** KeyPairGenerator on SoftHSM2: keys born on the token, sensitive, paired by CKA_ID, session objects by default. */
@ExtendWith(SoftHsmExtension.class)
class KeyPairGeneratorIT {

    @TempDir
    static Path dir;
    static Provider provider;

    @BeforeAll
    static void configure(TestToken token) {
        provider = ProviderFixture.provider(token, dir);
    }

    @Test
    void ecKeysAreBornOnTheTokenSensitiveAndShareAnId(TestToken token) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", provider);
        kpg.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPair kp = kpg.generateKeyPair();

        assertThat(kp.getPrivate()).isInstanceOf(ECKey.class).isInstanceOf(P11jKey.class)
                .isNotInstanceOf(java.security.interfaces.ECPrivateKey.class);
        assertThat(kp.getPrivate().getEncoded()).isNull();
        ECPublicKey pub = (ECPublicKey) kp.getPublic();
        assertThat(pub.getParams().getOrder()).isEqualTo(((ECKey) kp.getPrivate()).getParams().getOrder());
        assertThat(pub.getParams().getCurve().getField().getFieldSize()).isEqualTo(384);
        // The public key is an ordinary X.509 key: the JDK reads it back to an equal key.
        var decoded = java.security.KeyFactory.getInstance("EC").generatePublic(
                new java.security.spec.X509EncodedKeySpec(pub.getEncoded()));
        assertThat(((ECPublicKey) decoded).getW()).isEqualTo(pub.getW());

        P11jKey priv = (P11jKey) kp.getPrivate();
        assertThat(priv.isTokenObject()).isFalse();
        assertThat(priv.isSensitive()).isTrue();
        assertThat(priv.isExtractable()).isFalse();
        assertThat(priv.id()).hasSize(20).isEqualTo(((P11jKey) kp.getPublic()).id());
        assertThat(priv.uri().toString()).startsWith("pkcs11:token=" + token.label()).contains("type=private");

        try (Pkcs11Module m = Pkcs11Module.open(io.p11j.testing.SoftHsm.get().modulePath());
             Session s = m.tokens(Pkcs11Uri.create("pkcs11:token=" + token.label())).get(0).openSession(false)) {
            s.login(io.p11j.wrapper.UserType.USER, token.userPinChars());
            List<Long> found = s.findAll(Template.builder().objectClass(CKO_PRIVATE_KEY).id(priv.id()).build());
            assertThat(found).hasSize(1); // session objects are visible to every session of the process
            AttributeValues v = s.getAttributes(found.get(0), AttributeType.LOCAL, AttributeType.SENSITIVE,
                    AttributeType.EXTRACTABLE, AttributeType.TOKEN, AttributeType.NEVER_EXTRACTABLE);
            assertThat(v.require(AttributeType.LOCAL)).isTrue();
            assertThat(v.require(AttributeType.SENSITIVE)).isTrue();
            assertThat(v.require(AttributeType.EXTRACTABLE)).isFalse();
            assertThat(v.require(AttributeType.NEVER_EXTRACTABLE)).isTrue();
            assertThat(v.require(AttributeType.TOKEN)).isFalse();
        }
    }

    @Test
    void rsaWithAChosenExponentAndTokenObjectsOnRequest() throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("RSA", provider);
        kpg.initialize(P11jKeyGenParameterSpec.builder(new RSAKeyGenParameterSpec(2048, BigInteger.valueOf(65537 + 2)))
                .label("rsa token key").tokenObject(true).build());
        KeyPair kp = kpg.generateKeyPair();
        RSAPublicKey pub = (RSAPublicKey) kp.getPublic();
        assertThat(pub.getPublicExponent()).isEqualTo(BigInteger.valueOf(65539));
        assertThat(pub.getModulus().bitLength()).isEqualTo(2048);
        assertThat(((RSAKey) kp.getPrivate()).getModulus()).isEqualTo(pub.getModulus());
        P11jKey priv = (P11jKey) kp.getPrivate();
        assertThat(priv.isTokenObject()).isTrue();
        assertThat(priv.label()).isEqualTo("rsa token key");
        assertThat(priv.uri().object()).contains("rsa token key");
    }

    @Test
    void ed25519WhereTheTokenHasIt() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519", provider).generateKeyPair();
        assertThat(kp.getPublic().getAlgorithm()).isEqualTo("EdDSA");
        var decoded = java.security.KeyFactory.getInstance("Ed25519").generatePublic(
                new java.security.spec.X509EncodedKeySpec(kp.getPublic().getEncoded()));
        assertThat(((java.security.interfaces.EdECPublicKey) decoded).getPoint().getY())
                .isEqualTo(((java.security.interfaces.EdECPublicKey) kp.getPublic()).getPoint().getY());
    }

    @Test
    void ecByParameterSpecWithAChosenIdAndExtractable() throws Exception {
        KeyPairGenerator sun = KeyPairGenerator.getInstance("EC", "SunEC");
        sun.initialize(new ECGenParameterSpec("secp521r1"));
        // The curve as an ECParameterSpec, as code that copies another key's parameters passes it.
        java.security.spec.ECParameterSpec p521 = ((ECPublicKey) sun.generateKeyPair().getPublic()).getParams();
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", provider);
        byte[] id = {0x0a, 0x0b, 0x0c};
        kpg.initialize(P11jKeyGenParameterSpec.builder(p521).id(id).extractable(true).build());
        KeyPair kp = kpg.generateKeyPair();
        assertThat(((ECPublicKey) kp.getPublic()).getParams().getCurve().getField().getFieldSize()).isEqualTo(521);
        P11jKey priv = (P11jKey) kp.getPrivate();
        assertThat(priv.id()).isEqualTo(id);
        assertThat(priv.isExtractable()).isTrue();
        assertThat(priv.isSensitive()).as("extractable for wrapping, never readable").isTrue();
        assertThat(priv.getEncoded()).isNull();
    }

    @Test
    void ed448AsTheTokensRangeAllows() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed448", provider).generateKeyPair();
        assertThat(((java.security.interfaces.EdECKey) kp.getPrivate()).getParams().getName()).isEqualTo("Ed448");
        assertThat(kp.getPublic().getEncoded()).hasSize(12 + 57); // SubjectPublicKeyInfo around the 57-byte point
    }

    @Test
    void throwAwaySessionKeysAreDestroyedWhenUnreachable(TestToken token) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", provider);
        for (int i = 0; i < 50; i++) {
            kpg.generateKeyPair(); // dropped at once, as JSSE drops its ephemeral keys
        }
        try (Pkcs11Module m = Pkcs11Module.open(io.p11j.testing.SoftHsm.get().modulePath());
             Session s = m.tokens(Pkcs11Uri.create("pkcs11:token=" + token.label())).get(0).openSession(false)) {
            s.login(io.p11j.wrapper.UserType.USER, token.userPinChars());
            Template sessionKeys = Template.builder().flag(AttributeType.TOKEN, false).objectClass(CKO_PRIVATE_KEY).build();
            long deadline = System.nanoTime() + 10_000_000_000L;
            int left;
            do {
                System.gc();
                Thread.sleep(50);
                left = s.findAll(sessionKeys).size();
            } while (left > 10 && System.nanoTime() < deadline);
            assertThat(left).as("session private keys left after GC").isLessThanOrEqualTo(10);
        }
    }

    @Test
    void badParametersAreRefusedByName() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC", provider);
        assertThatThrownBy(() -> ec.initialize(new ECGenParameterSpec("brainpoolP999r1")))
                .isInstanceOf(InvalidAlgorithmParameterException.class).hasMessageContaining("brainpoolP999r1");
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", provider);
        assertThatThrownBy(() -> rsa.initialize(100_000))
                .isInstanceOf(java.security.InvalidParameterException.class).hasMessageContaining("100000");
    }
}
