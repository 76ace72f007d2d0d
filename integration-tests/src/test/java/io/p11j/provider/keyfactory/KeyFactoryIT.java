// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keyfactory;

import io.p11j.provider.P11jKey;
import io.p11j.provider.P11jProvider;
import io.p11j.provider.key.P11PrivateKey;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.KeyAgreement;
import javax.crypto.spec.SecretKeySpec;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.KeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPrivateKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code KeyFactory} RSA, EC, EdDSA: public keys are the JDK's own keys from every public
 * specification (and back), private key specifications and software private keys are imported onto the
 * token as sensitive, non-extractable keys that sign (and, for EC, agree) there, and token private keys
 * give no specification.
 */
@ExtendWith(SoftHsmExtension.class)
class KeyFactoryIT {

    @TempDir
    static Path dir;
    static Provider provider;
    static Provider tokenKeys;
    static KeyPair rsa;
    static KeyPair ec;
    static KeyPair ed25519;
    static KeyPair ed448;

    @BeforeAll
    static void configure(TestToken token) throws Exception {
        provider = ProviderFixture.provider(token, dir);
        Path conf = dir.resolve("token-keys.conf");
        Files.writeString(conf, "name = tokenkeys\ntoken = " + ProviderFixture.uri(token, dir) + "\ngenerated-keys = token\n");
        tokenKeys = new P11jProvider().configure(conf.toString());
        KeyPairGenerator r = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
        r.initialize(2048);
        rsa = r.generateKeyPair();
        KeyPairGenerator e = KeyPairGenerator.getInstance("EC", "SunEC");
        e.initialize(new ECGenParameterSpec("secp256r1"));
        ec = e.generateKeyPair();
        ed25519 = KeyPairGenerator.getInstance("Ed25519", "SunEC").generateKeyPair();
        ed448 = KeyPairGenerator.getInstance("Ed448", "SunEC").generateKeyPair();
    }

    @Test
    void registeredForTheTokensKeyTypes() {
        for (String a : new String[] {"RSA", "EC", "EdDSA", "Ed25519", "Ed448"}) {
            assertThat(provider.getService("KeyFactory", a)).as(a).isNotNull();
        }
        assertThat(new P11jProvider().getService("KeyFactory", "RSA")).as("unconfigured: no token to import to").isNull();
    }

    // ================================================================ public keys

    @Test
    void publicKeysFromEverySpecAreTheJdksKeys() throws Exception {
        KeyFactory f = KeyFactory.getInstance("RSA", provider);
        RSAPublicKey r = (RSAPublicKey) rsa.getPublic();
        assertThat(f.generatePublic(new X509EncodedKeySpec(r.getEncoded()))).isEqualTo(r);
        PublicKey fromSpec = f.generatePublic(new RSAPublicKeySpec(r.getModulus(), r.getPublicExponent()));
        assertThat(fromSpec).isEqualTo(r);
        assertThat(fromSpec.getClass().getName()).startsWith("sun.security.");

        KeyFactory e = KeyFactory.getInstance("EC", provider);
        ECPublicKey w = (ECPublicKey) ec.getPublic();
        assertThat(e.generatePublic(new X509EncodedKeySpec(w.getEncoded()))).isEqualTo(w);
        assertThat(e.generatePublic(new ECPublicKeySpec(w.getW(), w.getParams()))).isEqualTo(w);

        KeyFactory d = KeyFactory.getInstance("Ed25519", provider);
        EdECPublicKeySpec edSpec = KeyFactory.getInstance("Ed25519", "SunEC").getKeySpec(ed25519.getPublic(), EdECPublicKeySpec.class);
        assertThat(d.generatePublic(edSpec)).isEqualTo(ed25519.getPublic());
        assertThat(d.generatePublic(new X509EncodedKeySpec(ed25519.getPublic().getEncoded()))).isEqualTo(ed25519.getPublic());
        assertThat(KeyFactory.getInstance("EdDSA", provider).generatePublic(new X509EncodedKeySpec(ed448.getPublic().getEncoded())))
                .isEqualTo(ed448.getPublic());
        assertThatThrownBy(() -> d.generatePublic(new X509EncodedKeySpec(ed448.getPublic().getEncoded())))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("Ed25519");
    }

    @Test
    void ecPointsAreChecked() throws Exception {
        KeyFactory e = KeyFactory.getInstance("EC", provider);
        ECPublicKey w = (ECPublicKey) ec.getPublic();
        ECPoint off = new ECPoint(w.getW().getAffineX(), w.getW().getAffineY().add(BigInteger.ONE));
        assertThatThrownBy(() -> e.generatePublic(new ECPublicKeySpec(off, w.getParams())))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("not on the curve");
        // A compressed point (the JDK reads uncompressed ones only) is decompressed to the same key.
        byte[] der = w.getEncoded();
        byte[] x = Arrays.copyOfRange(der, der.length - 64, der.length - 32);
        byte[] compressed = new byte[der.length - 32];
        System.arraycopy(der, 0, compressed, 0, der.length - 65);
        compressed[1] = (byte) (compressed[1] - 32); // SEQUENCE length
        compressed[der.length - 65 - 2] = (byte) (compressed[der.length - 65 - 2] - 32); // BIT STRING length
        compressed[der.length - 65] = (byte) (w.getW().getAffineY().testBit(0) ? 3 : 2);
        System.arraycopy(x, 0, compressed, der.length - 64, 32);
        assertThat(e.generatePublic(new X509EncodedKeySpec(compressed))).isEqualTo(w);
        compressed[compressed.length - 1] ^= 1; // most x have no point: about half of the neighbours fail
        boolean refusedOne = false;
        for (int i = 0; i < 8 && !refusedOne; i++) {
            compressed[compressed.length - 1] ^= (byte) (1 << i);
            try {
                PublicKey k = e.generatePublic(new X509EncodedKeySpec(compressed));
                assertThat(k).isInstanceOf(ECPublicKey.class); // a point that exists is on the curve
            } catch (InvalidKeySpecException expected) {
                refusedOne = true;
            }
        }
        assertThat(refusedOne).as("an x of no point is refused").isTrue();
    }

    @Test
    void publicKeySpecsOfSoftwareAndTokenKeys() throws Exception {
        KeyPair tokenEc = KeyPairGenerator.getInstance("EC", provider).generateKeyPair();
        assertThat(tokenEc.getPublic()).isInstanceOf(P11jKey.class);
        KeyFactory e = KeyFactory.getInstance("EC", provider);
        for (PublicKey k : new PublicKey[] {ec.getPublic(), tokenEc.getPublic()}) {
            ECPublicKeySpec s = e.getKeySpec(k, ECPublicKeySpec.class);
            assertThat(s.getW()).isEqualTo(((ECPublicKey) k).getW());
            assertThat(e.getKeySpec(k, X509EncodedKeySpec.class).getEncoded()).isEqualTo(k.getEncoded());
            assertThat(e.translateKey(k)).isEqualTo(k);
        }
        assertThat(e.translateKey(tokenEc.getPublic())).isSameAs(tokenEc.getPublic());
        KeyFactory r = KeyFactory.getInstance("RSA", provider);
        RSAPublicKeySpec rs = r.getKeySpec(rsa.getPublic(), RSAPublicKeySpec.class);
        assertThat(rs.getModulus()).isEqualTo(((RSAPublicKey) rsa.getPublic()).getModulus());
        EdECPublicKeySpec es = KeyFactory.getInstance("Ed25519", provider).getKeySpec(ed25519.getPublic(), EdECPublicKeySpec.class);
        assertThat(es.getParams().getName()).isEqualTo("Ed25519");
        assertThatThrownBy(() -> r.getKeySpec(ec.getPublic(), X509EncodedKeySpec.class)).isInstanceOf(InvalidKeySpecException.class);
    }

    @Test
    void tokenPrivateKeysGiveNoSpec() throws Exception {
        KeyPair tokenEc = KeyPairGenerator.getInstance("EC", provider).generateKeyPair();
        KeyFactory e = KeyFactory.getInstance("EC", provider);
        for (Class<? extends KeySpec> spec : java.util.List.of(ECPrivateKeySpec.class, PKCS8EncodedKeySpec.class)) {
            assertThatThrownBy(() -> e.getKeySpec(tokenEc.getPrivate(), spec)).isInstanceOf(InvalidKeySpecException.class)
                    .hasMessageContaining("never leaves the token");
        }
        assertThat(e.translateKey(tokenEc.getPrivate())).isSameAs(tokenEc.getPrivate());
        assertThatThrownBy(() -> e.translateKey(new SecretKeySpec(new byte[16], "AES"))).isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> e.translateKey(rsa.getPrivate())).isInstanceOf(InvalidKeyException.class);
    }

    // ================================================================ private keys: imported onto the token

    @ParameterizedTest
    @ValueSource(strings = {"PKCS8", "SPEC", "TRANSLATE"})
    void privateKeysAreImportedSensitiveAndSign(String how) throws Exception {
        RSAPrivateCrtKey r = (RSAPrivateCrtKey) rsa.getPrivate();
        ECPrivateKey e = (ECPrivateKey) ec.getPrivate();
        EdECPrivateKey d = (EdECPrivateKey) ed25519.getPrivate();
        check("RSA", rsa, "SHA256withRSA", switch (how) {
            case "PKCS8" -> KeyFactory.getInstance("RSA", provider).generatePrivate(new PKCS8EncodedKeySpec(r.getEncoded()));
            case "SPEC" -> KeyFactory.getInstance("RSA", provider).generatePrivate(new RSAPrivateCrtKeySpec(r.getModulus(),
                    r.getPublicExponent(), r.getPrivateExponent(), r.getPrimeP(), r.getPrimeQ(), r.getPrimeExponentP(),
                    r.getPrimeExponentQ(), r.getCrtCoefficient()));
            default -> KeyFactory.getInstance("RSA", provider).translateKey(r);
        });
        check("EC", ec, "SHA256withECDSA", switch (how) {
            case "PKCS8" -> KeyFactory.getInstance("EC", provider).generatePrivate(new PKCS8EncodedKeySpec(e.getEncoded()));
            case "SPEC" -> KeyFactory.getInstance("EC", provider).generatePrivate(new ECPrivateKeySpec(e.getS(), e.getParams()));
            default -> KeyFactory.getInstance("EC", provider).translateKey(e);
        });
        check("Ed25519", ed25519, "Ed25519", switch (how) {
            case "PKCS8" -> KeyFactory.getInstance("Ed25519", provider).generatePrivate(new PKCS8EncodedKeySpec(d.getEncoded()));
            case "SPEC" -> KeyFactory.getInstance("EdDSA", provider).generatePrivate(new EdECPrivateKeySpec(d.getParams(),
                    d.getBytes().orElseThrow()));
            default -> KeyFactory.getInstance("Ed25519", provider).translateKey(d);
        });
    }

    private static void check(String what, KeyPair software, String algorithm, Key imported) throws Exception {
        assertThat(imported).as(what).isInstanceOf(P11PrivateKey.class);
        P11jKey k = (P11jKey) imported;
        assertThat(k.isSensitive()).as(what + " sensitive").isTrue();
        assertThat(k.isExtractable()).as(what + " not extractable").isFalse();
        assertThat(k.isTokenObject()).as(what + " a session object (generated-keys = session)").isFalse();
        assertThat(imported.getEncoded()).isNull();
        Signature s = Signature.getInstance(algorithm, provider);
        s.initSign((PrivateKey) imported);
        byte[] m = "imported through the KeyFactory".getBytes();
        s.update(m);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance(algorithm, algorithm.contains("RSA") ? "SunRsaSign" : "SunEC");
        v.initVerify(software.getPublic());
        v.update(m);
        assertThat(v.verify(sig)).as(what + ": the token signs with the imported key").isTrue();
    }

    @Test
    void importedEcKeyAgrees() throws Exception {
        PrivateKey imported = KeyFactory.getInstance("EC", provider).generatePrivate(
                new PKCS8EncodedKeySpec(ec.getPrivate().getEncoded()));
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair peer = g.generateKeyPair();
        KeyAgreement a = KeyAgreement.getInstance("ECDH", provider);
        a.init(imported);
        a.doPhase(peer.getPublic(), true);
        KeyAgreement b = KeyAgreement.getInstance("ECDH", "SunEC");
        b.init(ec.getPrivate());
        b.doPhase(peer.getPublic(), true);
        assertThat(a.generateSecret()).isEqualTo(b.generateSecret());
    }

    @Test
    void generatedKeysTokenMakesTokenObjects() throws Exception {
        PrivateKey imported = KeyFactory.getInstance("EC", tokenKeys).generatePrivate(
                new PKCS8EncodedKeySpec(ec.getPrivate().getEncoded()));
        assertThat(((P11jKey) imported).isTokenObject()).isTrue();
        assertThat(((P11jKey) imported).uri().toString()).startsWith("pkcs11:");
    }

    @Test
    void privateSpecsItCannotImport() throws Exception {
        RSAPrivateCrtKey r = (RSAPrivateCrtKey) rsa.getPrivate();
        assertThatThrownBy(() -> KeyFactory.getInstance("RSA", provider).generatePrivate(
                new RSAPrivateKeySpec(r.getModulus(), r.getPrivateExponent())))
                .isInstanceOf(InvalidKeySpecException.class).hasMessageContaining("CRT");
        assertThatThrownBy(() -> KeyFactory.getInstance("Ed25519", provider).generatePrivate(
                new PKCS8EncodedKeySpec(ed448.getPrivate().getEncoded()))).isInstanceOf(InvalidKeySpecException.class);
        assertThatThrownBy(() -> KeyFactory.getInstance("EC", provider).generatePrivate(
                new PKCS8EncodedKeySpec(rsa.getPrivate().getEncoded()))).isInstanceOf(InvalidKeySpecException.class);
        assertThatThrownBy(() -> KeyFactory.getInstance("EC", provider).generatePrivate(
                new X509EncodedKeySpec(ec.getPublic().getEncoded()))).isInstanceOf(InvalidKeySpecException.class);
    }
}
