// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import io.p11j.provider.P11jKeyGenParameterSpec;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.KeyPairHandles;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.PinSupplier;
import io.p11j.wrapper.Pkcs11Module;
import io.p11j.wrapper.PoolConfig;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.SessionPool;
import io.p11j.wrapper.Token;
import io.p11j.wrapper.UserType;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.p11j.sys.Pkcs11Constants.CKC_X_509;
import static io.p11j.sys.Pkcs11Constants.CKG_MGF1_SHA256;
import static io.p11j.sys.Pkcs11Constants.CKK_EC;
import static io.p11j.sys.Pkcs11Constants.CKK_RSA;
import static io.p11j.sys.Pkcs11Constants.CKM_ECDSA;
import static io.p11j.sys.Pkcs11Constants.CKM_ECDSA_SHA256;
import static io.p11j.sys.Pkcs11Constants.CKM_EC_KEY_PAIR_GEN;
import static io.p11j.sys.Pkcs11Constants.CKM_RSA_PKCS_KEY_PAIR_GEN;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA256;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA256_RSA_PKCS;
import static io.p11j.sys.Pkcs11Constants.CKM_SHA256_RSA_PKCS_PSS;
import static io.p11j.sys.Pkcs11Constants.CKO_CERTIFICATE;
import static io.p11j.sys.Pkcs11Constants.CKO_PRIVATE_KEY;
import static io.p11j.sys.Pkcs11Constants.CKO_PUBLIC_KEY;

/**
 * Signing on SoftHSM2 four ways, with the same token key pair in the same JVM: through the wrapper
 * from a {@link SessionPool} ({@code p11jPool*}: borrow, sign, give back, as a JCA provider built on
 * the wrapper would), through the wrapper on one logged-in {@link Session} ({@code p11jSession*}: the
 * wrapper's sign path alone), through the JDK's SunPKCS11 provider ({@code sunPkcs11*}), which is
 * the bar the p11j provider has to clear, and through that provider, P11J, by the JCA
 * ({@code p11jProvider*}: {@link P11jSigner}; left out by scripts/bench.sh while P11J does not offer
 * the algorithm). {@code src/jmh/c/sign_loop.c} is the same signing in C;
 * {@code scripts/bench.sh} runs it before and after this benchmark and prints the comparison, with
 * the allocation per signature ({@code -prof gc}, {@code gc.alloc.rate.norm}).
 *
 * <p>What one operation is, per path (a 1 KiB message, {@link #MESSAGE_LENGTH}):
 * <ul>
 *   <li><b>RSA-2048</b>, {@code CKM_SHA256_RSA_PKCS}: the token hashes and signs. p11j:
 *       {@code C_SignInit} + {@code C_Sign}. SunPKCS11 ({@code SHA256withRSA}, one {@code Signature}
 *       initialized once, then {@code update} + {@code sign} per operation): {@code C_SignInit},
 *       {@code C_SignUpdate}, {@code C_SignFinal}. C: {@code C_SignInit} + {@code C_Sign}.</li>
 *   <li><b>ECDSA P-256</b>: SoftHSM 2.6 has only raw {@code CKM_ECDSA} (no {@code CKM_ECDSA_SHA256};
 *       the setup prints what the token has), so the SHA-256 of the message is computed in Java and
 *       the token signs the 32-byte digest. p11j: {@link MessageDigest} SHA-256 (the JDK's, one
 *       instance reused), then {@code C_SignInit(CKM_ECDSA)} + {@code C_Sign}; the result is PKCS#11's
 *       raw {@code r || s} (a JCA provider still has to DER-encode it). SunPKCS11
 *       ({@code SHA256withECDSA}): the same software SHA-256, {@code C_SignInit} + {@code C_Sign}
 *       with {@code CKM_ECDSA}, and the DER encoding of the signature. C: {@code CKM_ECDSA} over a
 *       fixed 32-byte "digest" (C has no hash without a library; the token's work is the same).</li>
 *   <li><b>RSASSA-PSS</b> with the RSA-2048 key, SHA-256, MGF1-SHA-256, a 32-byte salt
 *       ({@link #PSS_SHA256}): p11j and C: {@code C_SignInit(CKM_SHA256_RSA_PKCS_PSS)} + {@code C_Sign}
 *       (the token hashes). SunPKCS11 and P11J: the JCA's {@code RSASSA-PSS} with those parameters,
 *       each provider choosing its mechanism (JDK 17's SunPKCS11 hashes in Java and signs with
 *       {@code CKM_RSA_PKCS_PSS}).</li>
 *   <li><b>P11J</b> ({@code p11jProvider*}): {@code SHA256withRSA}, {@code SHA256withECDSA},
 *       {@code RSASSA-PSS} from P11J, one {@code Signature} initialized once, {@code update} +
 *       {@code sign} per operation, exactly as the SunPKCS11 paths.</li>
 * </ul>
 * The mechanisms are constants ({@link Mechanism} is immutable), as a provider would keep them.
 *
 * <p>The setup (once per JVM, so once per fork) makes a fresh token through the test fixture
 * ({@link SoftHsmExtension#createToken}), generates each key pair on it as token objects
 * ({@code CKA_TOKEN}, with {@code CKA_LABEL} and {@code CKA_ID}), and stores a self-signed
 * certificate object with the same label and id beside each (made by {@link SelfSignedCertificate}
 * and signed by the token key), because SunPKCS11's {@code KeyStore} lists a private key only with
 * a certificate. SunPKCS11 is configured inline for that slot
 * ({@code Security.getProvider("SunPKCS11").configure("--name=...")}); it shares the module that
 * the fixture initialized (SunPKCS11 accepts {@code CKR_CRYPTOKI_ALREADY_INITIALIZED}) and finds
 * the keys by alias, which is the certificate's label. Every path signs once before it is timed,
 * and its signature is checked with the JDK's own verifier.
 *
 * <p>Needs {@code SOFTHSM2_CONF} pointing at a file in a private directory ({@link SoftHsm});
 * run it through {@code scripts/bench.sh}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SignBenchmark {

    static final String TOKEN_LABEL = "bench-sign";
    static final int MESSAGE_LENGTH = 1024;
    static final String RSA_LABEL = "bench-rsa2048";
    static final String EC_LABEL = "bench-ecp256";
    static final byte[] RSA_ID = {0x52, 0x53, 0x41, 0x01};
    static final byte[] EC_ID = {0x45, 0x43, 0x01};
    static final byte[] P256_OID = HexFormat.of().parseHex("06082a8648ce3d030107");

    static final Mechanism SHA256_RSA_PKCS = Mechanism.of(CKM_SHA256_RSA_PKCS);
    static final Mechanism ECDSA = Mechanism.of(CKM_ECDSA);
    /** RSASSA-PSS: SHA-256, MGF1 with SHA-256, a 32-byte salt; the token hashes. */
    static final Mechanism SHA256_RSA_PKCS_PSS = Mechanism.rsaPss(CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 32);
    /** The same parameters for the JCA's {@code RSASSA-PSS}. */
    static final PSSParameterSpec PSS_SHA256 = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32,
            PSSParameterSpec.TRAILER_FIELD_BC);

    // ---------------------------------------------------------------- the JVM's token

    /** The token, the wrapper's pool and session on it, and SunPKCS11 on it: one per JVM. */
    static final class Shared {
        final TestToken testToken;
        final Token token;
        final SessionPool pool;
        final Session session;
        final Provider sunPkcs11;
        private Provider p11j;

        /** P11J configured for the token by its URI (pin-source file), on first use. */
        synchronized Provider p11j() {
            if (p11j == null) {
                p11j = BenchProviders.p11j(testToken);
            }
            return p11j;
        }

        private Shared() throws Exception {
            testToken = SoftHsmExtension.createToken(TOKEN_LABEL);
            Pkcs11Module module = SoftHsm.get().module();
            token = module.slot(testToken.slotId()).token();
            pool = SessionPool.open(token, PoolConfig.defaults(), PinSupplier.of(testToken.userPinChars()));
            session = token.openSession(false);
            session.login(UserType.USER, testToken.userPinChars()); // already logged in (by the pool): success
            String config = "name=" + TOKEN_LABEL + "\nlibrary=" + SoftHsm.get().modulePath() + "\nslot=" + testToken.slotId() + "\n";
            Provider base = Security.getProvider("SunPKCS11");
            if (base == null) {
                throw new IllegalStateException("this JDK has no SunPKCS11 provider (module jdk.crypto.cryptoki)");
            }
            sunPkcs11 = base.configure("--" + config);
            boolean ecdsaSha256 = Arrays.stream(token.mechanismTypes()).anyMatch(m -> m == CKM_ECDSA_SHA256);
            System.out.println("SignBenchmark: token '" + TOKEN_LABEL + "' in slot " + testToken.slotId() + " of "
                    + SoftHsm.get().modulePath() + "; " + sunPkcs11.getName() + "; token has CKM_ECDSA_SHA256: "
                    + (ecdsaSha256 ? "yes" : "no (SunPKCS11 hashes SHA256withECDSA in software, as p11j does here)"));
        }
    }

    private static Shared shared;

    static synchronized Shared shared() throws Exception {
        if (shared == null) {
            shared = new Shared();
        }
        return shared;
    }

    /** A key pair on the token, and each path's handle on its private key. */
    abstract static class KeyState {
        SessionPool pool;
        Session session;
        ObjectRef ref;
        long handle;
        PublicKey publicKey;
        Signature sunSignature;
        PrivateKey sunKey;
        byte[] message;

        abstract String label();

        abstract byte[] id();

        abstract String jcaAlgorithm();

        /** Generates the key pair on {@code s}; returns its handles. */
        abstract KeyPairHandles generate(Session s) throws Pkcs11Exception;

        /** The public key, read from the token. */
        abstract PublicKey publicKey(Session s, long publicKeyHandle) throws Exception;

        /** The certificate's signature algorithm (DER) and its signature of {@code tbs} by the token key. */
        abstract byte[] certificateSignatureAlgorithm();

        abstract byte[] signTbs(Session s, long privateKey, byte[] tbs) throws Exception;

        void setUp() throws Exception {
            Shared sh = shared();
            pool = sh.pool;
            session = sh.session;
            message = new byte[MESSAGE_LENGTH];
            new Random(0x5147).nextBytes(message);

            // The key pair and its certificate, as token objects with one label and id.
            try (Session rw = sh.token.openSession(true)) {
                rw.login(UserType.USER, sh.testToken.userPinChars());
                KeyPairHandles kp = generate(rw);
                publicKey = publicKey(rw, kp.publicKey());
                byte[] cert = SelfSignedCertificate.create(label(), new BigInteger(1, id()), publicKey.getEncoded(),
                        certificateSignatureAlgorithm(), tbs -> signTbs(rw, kp.privateKey(), tbs));
                X509Certificate x509 = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(cert));
                x509.verify(publicKey); // the DER is right and the token's signature checks out
                rw.createObject(Template.builder().objectClass(CKO_CERTIFICATE)
                        .set(AttributeType.CERTIFICATE_TYPE, CKC_X_509).set(AttributeType.TOKEN, true)
                        .label(label()).id(id())
                        .set(AttributeType.SUBJECT, x509.getSubjectX500Principal().getEncoded())
                        .set(AttributeType.ISSUER, x509.getIssuerX500Principal().getEncoded())
                        .set(AttributeType.SERIAL_NUMBER, SelfSignedCertificate.integer(x509.getSerialNumber()))
                        .set(AttributeType.VALUE, cert).build());
                handle = kp.privateKey();
            }
            ref = pool.execute(s -> pool.ref(s, handle));

            // SunPKCS11: the same private key, by alias (the certificate's label).
            KeyStore ks = KeyStore.getInstance("PKCS11", sh.sunPkcs11);
            ks.load(null, sh.testToken.userPinChars());
            PrivateKey key = (PrivateKey) ks.getKey(label(), null);
            if (key == null) {
                throw new IllegalStateException("SunPKCS11 lists no private key '" + label() + "'; aliases: "
                        + java.util.Collections.list(ks.aliases()));
            }
            sunSignature = Signature.getInstance(jcaAlgorithm(), sh.sunPkcs11);
            sunSignature.initSign(key);
            sunKey = key;
        }

        /** Checks a signature of {@link #message} by one of the paths with the JDK's verifier. */
        void check(String path, String algorithm, byte[] signature) throws Exception {
            check(path, algorithm, null, publicKey, signature);
        }

        /** Checks a signature of {@link #message} with the JDK's verifier, {@code params} and {@code key}. */
        void check(String path, String algorithm, AlgorithmParameterSpec params, PublicKey key, byte[] signature)
                throws Exception {
            Signature v = Signature.getInstance(algorithm);
            if (params != null) {
                v.setParameter(params);
            }
            v.initVerify(key);
            v.update(message);
            if (!v.verify(signature)) {
                throw new IllegalStateException(path + ": the " + algorithm + " signature does not verify");
            }
        }
    }

    /** The RSA-2048 key pair ({@code CKM_RSA_PKCS_KEY_PAIR_GEN}, e = 65537). */
    @State(Scope.Benchmark)
    public static class Rsa extends KeyState {
        /** SunPKCS11 {@code RSASSA-PSS} with {@link #PSS_SHA256}, initialized with the same key. */
        Signature sunPss;

        @Override String label() { return RSA_LABEL; }
        @Override byte[] id() { return RSA_ID.clone(); }
        @Override String jcaAlgorithm() { return "SHA256withRSA"; }

        @Override
        KeyPairHandles generate(Session s) throws Pkcs11Exception {
            Template pub = Template.builder().objectClass(CKO_PUBLIC_KEY).keyType(CKK_RSA).label(RSA_LABEL).id(RSA_ID)
                    .set(AttributeType.TOKEN, true).set(AttributeType.VERIFY, true)
                    .set(AttributeType.MODULUS_BITS, 2048L).set(AttributeType.PUBLIC_EXPONENT, BigInteger.valueOf(65537))
                    .build();
            Template priv = Template.builder().objectClass(CKO_PRIVATE_KEY).keyType(CKK_RSA).label(RSA_LABEL).id(RSA_ID)
                    .set(AttributeType.TOKEN, true).set(AttributeType.PRIVATE, true).set(AttributeType.SIGN, true)
                    .set(AttributeType.SENSITIVE, true).set(AttributeType.EXTRACTABLE, false).build();
            return s.generateKeyPair(Mechanism.of(CKM_RSA_PKCS_KEY_PAIR_GEN), pub, priv);
        }

        @Override
        PublicKey publicKey(Session s, long publicKeyHandle) throws Exception {
            AttributeValues v = s.getAttributes(publicKeyHandle, AttributeType.MODULUS, AttributeType.PUBLIC_EXPONENT);
            return KeyFactory.getInstance("RSA").generatePublic(
                    new RSAPublicKeySpec(v.require(AttributeType.MODULUS), v.require(AttributeType.PUBLIC_EXPONENT)));
        }

        @Override byte[] certificateSignatureAlgorithm() { return SelfSignedCertificate.SHA256_WITH_RSA; }

        @Override
        byte[] signTbs(Session s, long privateKey, byte[] tbs) throws Pkcs11Exception {
            return s.sign(SHA256_RSA_PKCS, privateKey, tbs);
        }

        @Setup(Level.Trial)
        public void setUpTrial() throws Exception {
            setUp();
            check("p11jPoolRsa2048", "SHA256withRSA", pool.execute(s -> s.sign(SHA256_RSA_PKCS, ref.handle(s), message)));
            check("p11jSessionRsa2048", "SHA256withRSA", session.sign(SHA256_RSA_PKCS, handle, message));
            sunSignature.update(message);
            check("sunPkcs11Rsa2048", "SHA256withRSA", sunSignature.sign());

            sunPss = Signature.getInstance("RSASSA-PSS", shared().sunPkcs11);
            sunPss.setParameter(PSS_SHA256);
            sunPss.initSign(sunKey);
            check("p11jPoolPss", "RSASSA-PSS", PSS_SHA256, publicKey,
                    pool.execute(s -> s.sign(SHA256_RSA_PKCS_PSS, ref.handle(s), message)));
            check("p11jSessionPss", "RSASSA-PSS", PSS_SHA256, publicKey, session.sign(SHA256_RSA_PKCS_PSS, handle, message));
            sunPss.update(message);
            check("sunPkcs11Pss", "RSASSA-PSS", PSS_SHA256, publicKey, sunPss.sign());
        }
    }

    /** The ECDSA P-256 key pair ({@code CKM_EC_KEY_PAIR_GEN}). */
    @State(Scope.Benchmark)
    public static class Ec extends KeyState {
        MessageDigest sha256;

        @Override String label() { return EC_LABEL; }
        @Override byte[] id() { return EC_ID.clone(); }
        @Override String jcaAlgorithm() { return "SHA256withECDSA"; }

        @Override
        KeyPairHandles generate(Session s) throws Pkcs11Exception {
            Template pub = Template.builder().objectClass(CKO_PUBLIC_KEY).keyType(CKK_EC).label(EC_LABEL).id(EC_ID)
                    .set(AttributeType.TOKEN, true).set(AttributeType.VERIFY, true)
                    .set(AttributeType.EC_PARAMS, P256_OID).build();
            Template priv = Template.builder().objectClass(CKO_PRIVATE_KEY).keyType(CKK_EC).label(EC_LABEL).id(EC_ID)
                    .set(AttributeType.TOKEN, true).set(AttributeType.PRIVATE, true).set(AttributeType.SIGN, true)
                    .set(AttributeType.SENSITIVE, true).set(AttributeType.EXTRACTABLE, false).build();
            return s.generateKeyPair(Mechanism.of(CKM_EC_KEY_PAIR_GEN), pub, priv);
        }

        @Override
        PublicKey publicKey(Session s, long publicKeyHandle) throws Exception {
            byte[] point = s.getAttributes(publicKeyHandle, AttributeType.EC_POINT).require(AttributeType.EC_POINT);
            if (point.length == 67 && point[0] == 0x04 && point[1] == 65) {
                point = Arrays.copyOfRange(point, 2, point.length); // DER OCTET STRING around 04 || X || Y
            }
            if (point.length != 65 || point[0] != 0x04) {
                throw new IllegalStateException("unexpected CKA_EC_POINT of " + point.length + " bytes");
            }
            return KeyFactory.getInstance("EC").generatePublic(
                    new X509EncodedKeySpec(SelfSignedCertificate.p256PublicKeyInfo(point)));
        }

        @Override byte[] certificateSignatureAlgorithm() { return SelfSignedCertificate.ECDSA_WITH_SHA256; }

        @Override
        byte[] signTbs(Session s, long privateKey, byte[] tbs) throws Exception {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(tbs);
            return SelfSignedCertificate.ecdsaDer(s.sign(ECDSA, privateKey, digest));
        }

        @Setup(Level.Trial)
        public void setUpTrial() throws Exception {
            setUp();
            sha256 = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha256.digest(message);
            check("p11jPoolEcP256", "SHA256withECDSAinP1363Format", pool.execute(s -> s.sign(ECDSA, ref.handle(s), digest)));
            check("p11jSessionEcP256", "SHA256withECDSAinP1363Format", session.sign(ECDSA, handle, sha256.digest(message)));
            sunSignature.update(message);
            check("sunPkcs11EcP256", "SHA256withECDSA", sunSignature.sign());
        }
    }

    // ---------------------------------------------------------------- RSA-2048, CKM_SHA256_RSA_PKCS, 1 KiB

    /** Borrow a pooled session, {@code C_SignInit} + {@code C_Sign}, give it back. */
    @Benchmark
    public byte[] p11jPoolRsa2048(Rsa k) throws Pkcs11Exception {
        return k.pool.execute(s -> s.sign(SHA256_RSA_PKCS, k.ref.handle(s), k.message));
    }

    /** {@code C_SignInit} + {@code C_Sign} on one logged-in session. */
    @Benchmark
    public byte[] p11jSessionRsa2048(Rsa k) throws Pkcs11Exception {
        return k.session.sign(SHA256_RSA_PKCS, k.handle, k.message);
    }

    /** SunPKCS11 {@code SHA256withRSA}: {@code update} + {@code sign} on an initialized {@code Signature}. */
    @Benchmark
    public byte[] sunPkcs11Rsa2048(Rsa k) throws Exception {
        k.sunSignature.update(k.message);
        return k.sunSignature.sign();
    }

    // ---------------------------------------------------------------- ECDSA P-256: SHA-256 in Java, CKM_ECDSA, 1 KiB

    /** SHA-256 in Java, then borrow a pooled session, {@code C_SignInit(CKM_ECDSA)} + {@code C_Sign}, give it back. */
    @Benchmark
    public byte[] p11jPoolEcP256(Ec k) throws Pkcs11Exception {
        byte[] digest = k.sha256.digest(k.message);
        return k.pool.execute(s -> s.sign(ECDSA, k.ref.handle(s), digest));
    }

    /** SHA-256 in Java, then {@code C_SignInit(CKM_ECDSA)} + {@code C_Sign} on one logged-in session. */
    @Benchmark
    public byte[] p11jSessionEcP256(Ec k) throws Pkcs11Exception {
        return k.session.sign(ECDSA, k.handle, k.sha256.digest(k.message));
    }

    /** SunPKCS11 {@code SHA256withECDSA}: {@code update} + {@code sign} on an initialized {@code Signature}. */
    @Benchmark
    public byte[] sunPkcs11EcP256(Ec k) throws Exception {
        k.sunSignature.update(k.message);
        return k.sunSignature.sign();
    }

    // ---------------------------------------------------------------- RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32), RSA-2048, 1 KiB

    /** Borrow a pooled session, {@code C_SignInit(CKM_SHA256_RSA_PKCS_PSS)} + {@code C_Sign}, give it back. */
    @Benchmark
    public byte[] p11jPoolPss(Rsa k) throws Pkcs11Exception {
        return k.pool.execute(s -> s.sign(SHA256_RSA_PKCS_PSS, k.ref.handle(s), k.message));
    }

    /** {@code C_SignInit(CKM_SHA256_RSA_PKCS_PSS)} + {@code C_Sign} on one logged-in session. */
    @Benchmark
    public byte[] p11jSessionPss(Rsa k) throws Pkcs11Exception {
        return k.session.sign(SHA256_RSA_PKCS_PSS, k.handle, k.message);
    }

    /** SunPKCS11 {@code RSASSA-PSS} ({@link #PSS_SHA256}): {@code update} + {@code sign}. */
    @Benchmark
    public byte[] sunPkcs11Pss(Rsa k) throws Exception {
        k.sunPss.update(k.message);
        return k.sunPss.sign();
    }

    // ---------------------------------------------------------------- the P11J provider, through the JCA

    /**
     * P11J's {@code Signature} for one algorithm, initialized once, as {@code sunPkcs11*} is: the
     * provider is configured for the token by its URI ({@code pin-source} file). The key is the same
     * token key the other paths use, from P11J's {@code PKCS11-URI} KeyStore by its label; while P11J
     * has no KeyStore, a key pair P11J's {@code KeyPairGenerator} makes as token objects
     * ({@code <label>-p11j}). Until P11J offers the algorithm the setup stops with a
     * {@code P11J-UNAVAILABLE} message (scripts/bench.sh does not run these then).
     */
    abstract static class P11jSigner {
        Signature signature;
        PublicKey publicKey;

        void setUp(KeyState k, String algorithm, AlgorithmParameterSpec params, AlgorithmParameterSpec keyGen)
                throws Exception {
            Provider p11j = shared().p11j();
            signature = BenchProviders.requireP11j("Signature " + algorithm, () -> Signature.getInstance(algorithm, p11j));
            PrivateKey key = keyStoreKey(p11j, k.label());
            publicKey = k.publicKey;
            String source = "from P11J's PKCS11-URI KeyStore";
            if (key == null) {
                KeyPairGenerator kpg = KeyPairGenerator.getInstance(keyGen instanceof RSAKeyGenParameterSpec ? "RSA" : "EC", p11j);
                kpg.initialize(P11jKeyGenParameterSpec.builder(keyGen).label(k.label() + "-p11j").tokenObject(true).build());
                KeyPair kp = kpg.generateKeyPair();
                key = kp.getPrivate();
                publicKey = kp.getPublic();
                source = "generated by P11J as token objects (P11J has no PKCS11-URI KeyStore yet)";
            }
            if (params != null) {
                signature.setParameter(params);
            }
            signature.initSign(key);
            signature.update(k.message);
            k.check("p11jProvider " + algorithm, algorithm, params, publicKey, signature.sign());
            System.out.println("SignBenchmark: P11J " + algorithm + " (" + signature.getProvider().getName() + "), key " + source);
        }

        /** The private key labelled {@code label} through P11J's KeyStore, or null while P11J has none. */
        private static PrivateKey keyStoreKey(Provider p11j, String label) throws Exception {
            KeyStore ks;
            try {
                ks = BenchProviders.requireP11j("KeyStore PKCS11-URI", () -> KeyStore.getInstance("PKCS11-URI", p11j));
            } catch (BenchProviders.P11jUnavailableException e) {
                return null;
            }
            ks.load(null, KeyStoreLoadBenchmark.P11J_LOAD);
            String alias = BenchProviders.keyAlias(ks, label);
            PrivateKey key = (PrivateKey) ks.getKey(alias, null);
            if (key == null) {
                throw new IllegalStateException("P11J's KeyStore gives no key for " + alias + "; aliases: "
                        + Collections.list(ks.aliases()));
            }
            return key;
        }

        byte[] sign(byte[] message) throws GeneralSecurityException {
            signature.update(message);
            return signature.sign();
        }
    }

    /** P11J {@code SHA256withRSA}. */
    @State(Scope.Benchmark)
    public static class P11jRsa extends P11jSigner {
        @Setup(Level.Trial)
        public void setUpTrial(Rsa k) throws Exception {
            setUp(k, "SHA256withRSA", null, new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4));
        }
    }

    /** P11J {@code SHA256withECDSA}. */
    @State(Scope.Benchmark)
    public static class P11jEc extends P11jSigner {
        @Setup(Level.Trial)
        public void setUpTrial(Ec k) throws Exception {
            setUp(k, "SHA256withECDSA", null, new ECGenParameterSpec("secp256r1"));
        }
    }

    /** P11J {@code RSASSA-PSS} with {@link #PSS_SHA256}. */
    @State(Scope.Benchmark)
    public static class P11jPss extends P11jSigner {
        @Setup(Level.Trial)
        public void setUpTrial(Rsa k) throws Exception {
            setUp(k, "RSASSA-PSS", PSS_SHA256, new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4));
        }
    }

    /** P11J {@code SHA256withRSA}: {@code update} + {@code sign} on an initialized {@code Signature}. */
    @Benchmark
    public byte[] p11jProviderRsa2048(Rsa k, P11jRsa p) throws GeneralSecurityException {
        return p.sign(k.message);
    }

    /** P11J {@code SHA256withECDSA}: {@code update} + {@code sign} on an initialized {@code Signature}. */
    @Benchmark
    public byte[] p11jProviderEcP256(Ec k, P11jEc p) throws GeneralSecurityException {
        return p.sign(k.message);
    }

    /** P11J {@code RSASSA-PSS}: {@code update} + {@code sign} on an initialized {@code Signature}. */
    @Benchmark
    public byte[] p11jProviderPss(Rsa k, P11jPss p) throws GeneralSecurityException {
        return p.sign(k.message);
    }
}
