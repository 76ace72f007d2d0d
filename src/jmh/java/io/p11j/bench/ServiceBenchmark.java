// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.Token;
import io.p11j.wrapper.UserType;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.nio.file.Path;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import static io.p11j.sys.Pkcs11Constants.CKK_AES;
import static io.p11j.sys.Pkcs11Constants.CKK_GENERIC_SECRET;
import static io.p11j.sys.Pkcs11Constants.CKO_SECRET_KEY;

/**
 * The JCE services of issue #5 on SoftHSM2, SunPKCS11 ({@code sun*}) next to P11J ({@code p11j*}) on
 * one token in one JVM, each by the JCA as an application calls it; {@code src/jmh/c/service_loop.c}
 * is the same token work in C, which {@code scripts/bench.sh} runs before and after this benchmark.
 * One operation ({@link Op}):
 * <ul>
 *   <li>{@code AesGcm1KiB}, {@code AesGcm1MiB}: {@code Cipher "AES/GCM/NoPadding"}, {@code init(ENCRYPT_MODE,
 *       key, GCMParameterSpec(128, iv))} + {@code doFinal(in, 0, n, out, 0)}; a fresh 12-byte IV per
 *       message (a counter in the last 8 bytes: GCM refuses a repeated IV, and both providers pay the
 *       same for it), no AAD, into a buffer allocated once. C: {@code C_EncryptInit(CKM_AES_GCM)} +
 *       {@code C_Encrypt}.</li>
 *   <li>{@code AesCbc1KiB}: {@code "AES/CBC/PKCS5Padding"}, the same with an {@code IvParameterSpec}
 *       of a 16-byte counter IV (1040 bytes out). C: {@code C_EncryptInit(CKM_AES_CBC_PAD)} +
 *       {@code C_Encrypt}.</li>
 *   <li>{@code HmacSha256}: {@code Mac "HmacSHA256"} initialized once, {@code doFinal(64 bytes)}
 *       (the Mac resets itself). C: {@code C_SignInit(CKM_SHA256_HMAC)} + {@code C_Sign}.</li>
 *   <li>{@code Sha256_64B}, {@code Sha256_1MiB}: {@code MessageDigest "SHA-256"}, {@code digest(msg)}
 *       (P11J with {@code message-digests = on}; off by default). C: {@code C_DigestInit(CKM_SHA256)}
 *       + {@code C_Digest}.</li>
 *   <li>{@code Random32B}: {@code SecureRandom.nextBytes} of 32 bytes — SunPKCS11's {@code "PKCS11"},
 *       P11J's {@code "PKCS11"} or else its one {@code SecureRandom} ({@link #p11jRandomAlgorithm}).
 *       C: {@code C_GenerateRandom(32)}.</li>
 *   <li>{@code EcdhP256}: {@code KeyAgreement "ECDH"} initialized once with a P-256 private key that
 *       the provider's own {@code KeyPairGenerator "EC"} made on the token (a session object), then
 *       {@code doPhase(peer, true)} + {@code generateSecret()} per operation: the 32-byte secret as
 *       bytes, the one call for which both providers do the same token work, as C does:
 *       {@code C_DeriveKey(CKM_ECDH1_DERIVE)} to a session secret, {@code C_GetAttributeValue(CKA_VALUE)},
 *       {@code C_DestroyObject}. (JDK 17's SunPKCS11 derives to a key it keeps on the token only for
 *       {@code generateSecret("TlsPremasterSecret")}, a session object destroyed when the key is garbage;
 *       it refuses every other algorithm.)</li>
 * </ul>
 *
 * <p>The AES-256 key and the 32-byte HMAC key are token objects that the setup creates once per JVM
 * through the wrapper ({@code C_CreateObject}, sensitive, not extractable, with a label and known
 * values); each provider finds them by that label through its own KeyStore ({@code "PKCS11"},
 * {@code "PKCS11-URI"}), as an application would. Being token objects, they cost SoftHSM2's file store
 * a check of the key's file at every {@code C_*Init}: about 13 us of CPU, mostly system time, where the
 * whole of a 1 KiB GCM message with a session key is 8 us (service_loop.c measured both ways here). The
 * C loop's keys are token objects too, so that every path pays it. Each path computes once before it is timed, and its
 * result is checked against SunJCE / SUN / SunEC with the same key values; a wrong result stops the run.
 *
 * <p>P11J services still missing stop the {@code p11j*} benchmarks in their setup with a
 * {@code P11J-UNAVAILABLE} message ({@link BenchProviders#requireP11j}); scripts/bench.sh asks
 * {@link P11jAvailability} first and leaves them out with a printed line. When {@link CallCounts} is
 * active the setup also counts the token calls of one operation through a second provider over the
 * counting module (after one uncounted operation), untimed, and prints them as a {@code COUNT} line.
 *
 * <p>Needs {@code SOFTHSM2_CONF} pointing at a file in a private directory ({@link SoftHsm}); run it
 * through {@code scripts/bench.sh}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ServiceBenchmark {

    static final String TOKEN_LABEL = "bench-svc";
    static final String AES_LABEL = "bench-aes256";
    static final String HMAC_LABEL = "bench-hmac256";
    static final int KIB = 1024;
    static final int MIB = 1024 * 1024;

    /** What one benchmark does; its name is the method's after the {@code sun}/{@code p11j} prefix. */
    enum Op {
        AesGcm1KiB("Cipher", "AES/GCM/NoPadding", KIB),
        AesGcm1MiB("Cipher", "AES/GCM/NoPadding", MIB),
        AesCbc1KiB("Cipher", "AES/CBC/PKCS5Padding", KIB),
        HmacSha256("Mac", "HmacSHA256", 64),
        Sha256_64B("MessageDigest", "SHA-256", 64),
        Sha256_1MiB("MessageDigest", "SHA-256", MIB),
        Random32B("SecureRandom", "*", 32),
        EcdhP256("KeyAgreement", "ECDH", 32);

        final String type;
        final String algorithm;
        final int length;

        Op(String type, String algorithm, int length) {
            this.type = type;
            this.algorithm = algorithm;
            this.length = length;
        }

        /** {@code Type.Algorithm}, as {@link P11jAvailability} takes it. */
        String service() {
            return type + "." + algorithm;
        }

        static Op ofMethod(String benchmark) {
            String m = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            for (String prefix : new String[] {"sun", "p11j"}) {
                if (m.startsWith(prefix)) {
                    return valueOf(m.substring(prefix.length()));
                }
            }
            throw new IllegalArgumentException("not a ServiceBenchmark method: " + benchmark);
        }
    }

    // ---------------------------------------------------------------- the JVM's token and keys

    /** The fixture token with the two secret keys on it: one per JVM. */
    static final class Shared {
        final TestToken testToken;
        final byte[] aesKey = new byte[32];
        final byte[] hmacKey = new byte[32];

        private Shared() throws Exception {
            testToken = SoftHsmExtension.createToken(TOKEN_LABEL);
            Random r = new Random(0x5eC7);
            r.nextBytes(aesKey);
            r.nextBytes(hmacKey);
            Token token = SoftHsm.get().module().slot(testToken.slotId()).token();
            try (Session s = token.openSession(true)) {
                s.login(UserType.USER, testToken.userPinChars());
                s.createObject(secretKey(CKK_AES, AES_LABEL, new byte[] {0x41, 0x45, 0x53}, aesKey)
                        .flag(AttributeType.ENCRYPT, true).flag(AttributeType.DECRYPT, true).build());
                s.createObject(secretKey(CKK_GENERIC_SECRET, HMAC_LABEL, new byte[] {0x48, 0x4d}, hmacKey)
                        .flag(AttributeType.SIGN, true).flag(AttributeType.VERIFY, true).build());
            }
        }

        /** A sensitive, non-extractable, private token secret key of known value, as a user would import one. */
        private static Template.Builder secretKey(long keyType, String label, byte[] id, byte[] value) {
            return Template.builder().objectClass(CKO_SECRET_KEY).keyType(keyType).label(label).id(id)
                    .flag(AttributeType.TOKEN, true).flag(AttributeType.PRIVATE, true)
                    .flag(AttributeType.SENSITIVE, true).flag(AttributeType.EXTRACTABLE, false)
                    .set(AttributeType.VALUE, value);
        }
    }

    private static Shared shared;

    static synchronized Shared shared() throws Exception {
        if (shared == null) {
            shared = new Shared();
        }
        return shared;
    }

    // ---------------------------------------------------------------- one path: a provider's service, ready

    /** One timed operation, its result returned for the Blackhole. */
    interface Work {
        Object run() throws Exception;
    }

    /** The provider ({@code sun} or {@code p11j}) for the shared token over {@code module}, logged in. */
    static Provider provider(String impl, Path module) throws Exception {
        TestToken t = shared().testToken;
        if (impl.equals("p11j")) {
            return BenchProviders.p11jWithDigests(t, module);
        }
        // What a user of SunPKCS11's ECDH on SoftHSM2 writes in its configuration: SunPKCS11 generates EC private
        // keys without CKA_DERIVE (P11J's have it), and derives the secret it then reads into an object that
        // SoftHSM2 makes sensitive unless the template says otherwise (P11J's template says so).
        Provider sun = BenchProviders.sunPkcs11(TOKEN_LABEL, module, t.slotId(),
                "attributes(generate, CKO_PRIVATE_KEY, CKK_EC) = {\n  CKA_DERIVE = true\n}\n"
                + "attributes(generate, CKO_SECRET_KEY, CKK_GENERIC_SECRET) = {\n  CKA_SENSITIVE = false\n"
                + "  CKA_EXTRACTABLE = true\n}\n");
        BenchProviders.login(sun, t.userPinChars());
        return sun;
    }

    /** {@code label}'s secret key from {@code p}'s KeyStore: SunPKCS11's "PKCS11" or P11J's "PKCS11-URI". */
    static SecretKey secretKey(String impl, Provider p, String label) throws Exception {
        KeyStore ks;
        if (impl.equals("sun")) {
            ks = KeyStore.getInstance("PKCS11", p);
            ks.load(null, shared().testToken.userPinChars());
        } else {
            ks = BenchProviders.requireP11j("KeyStore PKCS11-URI", () -> KeyStore.getInstance("PKCS11-URI", p));
            ks.load(null, null); // logged in by the URI's pin-source
        }
        String alias = BenchProviders.keyAlias(ks, label);
        Key k = ks.getKey(alias, null);
        if (!(k instanceof SecretKey s)) {
            throw new IllegalStateException(p.getName() + "'s " + ks.getType() + " KeyStore gives no secret key for '" + label
                    + "' (alias " + alias + "): " + (k == null ? "null" : k.getClass().getName()) + "; aliases: "
                    + java.util.Collections.list(ks.aliases()));
        }
        return s;
    }

    /** P11J's SecureRandom algorithm: "PKCS11" as SunPKCS11's, or else the one it offers; null: none. */
    static String p11jRandomAlgorithm(Provider p) {
        if (p.getService("SecureRandom", "PKCS11") != null) {
            return "PKCS11";
        }
        return p.getServices().stream().filter(s -> s.getType().equals("SecureRandom")).map(Provider.Service::getAlgorithm)
                .sorted().findFirst().orElse(null);
    }

    /** {@code lookup} from SunPKCS11, or from P11J with a clear failure when P11J lacks the service. */
    static <T> T service(String impl, Op op, BenchProviders.Lookup<T> lookup) throws Exception {
        return impl.equals("p11j") ? BenchProviders.requireP11j(op.type + " " + op.algorithm, lookup) : lookup.get();
    }

    /** {@code op} through {@code impl} on the shared token over {@code module}, checked once before it is returned. */
    static Work work(String impl, Op op, Path module) throws Exception {
        Provider p = provider(impl, module);
        Shared sh = shared();
        byte[] in = new byte[op.length];
        new Random(op.ordinal()).nextBytes(in);
        String what = op + " " + impl + " (" + p.getName() + ")";
        switch (op) {
            case AesGcm1KiB, AesGcm1MiB, AesCbc1KiB -> {
                boolean gcm = op != Op.AesCbc1KiB;
                Cipher c = service(impl, op, () -> Cipher.getInstance(op.algorithm, p));
                SecretKey key = secretKey(impl, p, AES_LABEL);
                byte[] iv = new byte[gcm ? 12 : 16];
                byte[] out = new byte[gcm ? op.length + 16 : op.length + 16 - op.length % 16];
                Work w = () -> {
                    counter(iv);
                    AlgorithmParameterSpec spec = gcm ? new GCMParameterSpec(128, iv) : new IvParameterSpec(iv);
                    c.init(Cipher.ENCRYPT_MODE, key, spec);
                    if (c.doFinal(in, 0, in.length, out, 0) != out.length) {
                        throw new IllegalStateException(op + ": not " + out.length + " bytes out");
                    }
                    return out;
                };
                w.run();
                Cipher ref = Cipher.getInstance(op.algorithm, "SunJCE");
                ref.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(sh.aesKey, "AES"),
                        gcm ? new GCMParameterSpec(128, iv) : new IvParameterSpec(iv));
                expect(what, ref.doFinal(in), out);
                return w;
            }
            case HmacSha256 -> {
                Mac m = service(impl, op, () -> Mac.getInstance(op.algorithm, p));
                m.init(secretKey(impl, p, HMAC_LABEL));
                Mac ref = Mac.getInstance(op.algorithm, "SunJCE");
                ref.init(new SecretKeySpec(sh.hmacKey, op.algorithm));
                expect(what, ref.doFinal(in), m.doFinal(in));
                return () -> m.doFinal(in);
            }
            case Sha256_64B, Sha256_1MiB -> {
                MessageDigest d = service(impl, op, () -> MessageDigest.getInstance(op.algorithm, p));
                expect(what, MessageDigest.getInstance(op.algorithm, "SUN").digest(in), d.digest(in));
                return () -> d.digest(in);
            }
            case Random32B -> {
                String alg = impl.equals("sun") ? "PKCS11" : p11jRandomAlgorithm(p);
                SecureRandom r = service(impl, op, () -> SecureRandom.getInstance(alg == null ? "PKCS11" : alg, p));
                byte[] a = new byte[op.length];
                byte[] b = new byte[op.length];
                r.nextBytes(a);
                r.nextBytes(b);
                if (Arrays.equals(a, b) || Arrays.equals(a, new byte[op.length])) {
                    throw new IllegalStateException(what + ": SecureRandom " + alg + " repeats itself or gives zeros");
                }
                System.out.println("ServiceBenchmark: " + what + ": SecureRandom " + alg);
                return () -> {
                    r.nextBytes(a);
                    return a;
                };
            }
            case EcdhP256 -> {
                KeyAgreement ka = service(impl, op, () -> KeyAgreement.getInstance(op.algorithm, p));
                KeyPairGenerator g = impl.equals("sun") ? KeyPairGenerator.getInstance("EC", p)
                        : BenchProviders.requireP11j("KeyPairGenerator EC", () -> KeyPairGenerator.getInstance("EC", p));
                g.initialize(new ECGenParameterSpec("secp256r1"));
                KeyPair mine = g.generateKeyPair();
                KeyPairGenerator soft = KeyPairGenerator.getInstance("EC", "SunEC");
                soft.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom(new byte[] {7}));
                KeyPair peer = soft.generateKeyPair();
                PublicKey peerPublic = peer.getPublic();
                ka.init(mine.getPrivate());
                Work w = () -> {
                    ka.doPhase(peerPublic, true);
                    return ka.generateSecret();
                };
                KeyAgreement ref = KeyAgreement.getInstance("ECDH", "SunEC");
                ref.init(peer.getPrivate());
                ref.doPhase(mine.getPublic(), true);
                expect(what, ref.generateSecret(), (byte[]) w.run());
                return w;
            }
            default -> throw new AssertionError(op);
        }
    }

    /** The next counter IV: the last 8 bytes, big-endian, plus one. */
    static void counter(byte[] iv) {
        for (int i = iv.length - 1; i >= iv.length - 8; i--) {
            if (++iv[i] != 0) {
                return;
            }
        }
    }

    private static void expect(String what, byte[] expected, byte[] actual) {
        if (!Arrays.equals(expected, actual)) {
            throw new IllegalStateException(what + ": the result differs from the JDK's software provider's with the same key");
        }
    }

    // ---------------------------------------------------------------- the states and the benchmarks

    /** One path, made for the benchmark method that uses it (its name says the operation). */
    abstract static class Arm {
        Work work;

        abstract String impl();

        @Setup(Level.Trial)
        public void setUp(BenchmarkParams params) throws Exception {
            Op op = Op.ofMethod(params.getBenchmark());
            work = work(impl(), op, SoftHsm.get().modulePath());
            System.out.println("ServiceBenchmark: " + op + " " + impl() + " on token '" + TOKEN_LABEL + "' in slot "
                    + shared().testToken.slotId() + ": checked against the JDK's software provider");
            Optional<Path> counting = CallCounts.module();
            if (counting.isPresent()) {
                Work counted = work(impl(), op, counting.get()); // computes once: sessions, caches, lazy inits
                counted.run();
                CallCounts.count(counting.get(), "Service(" + op + "," + impl() + ")", counted::run);
            }
        }
    }

    /** SunPKCS11. */
    @State(Scope.Benchmark)
    public static class Sun extends Arm {
        @Override String impl() { return "sun"; }
    }

    /** P11J. */
    @State(Scope.Benchmark)
    public static class P11j extends Arm {
        @Override String impl() { return "p11j"; }
    }

    @Benchmark public Object sunAesGcm1KiB(Sun s) throws Exception { return s.work.run(); }
    @Benchmark public Object p11jAesGcm1KiB(P11j s) throws Exception { return s.work.run(); }
    @Benchmark public Object sunAesGcm1MiB(Sun s) throws Exception { return s.work.run(); }
    @Benchmark public Object p11jAesGcm1MiB(P11j s) throws Exception { return s.work.run(); }
    @Benchmark public Object sunAesCbc1KiB(Sun s) throws Exception { return s.work.run(); }
    @Benchmark public Object p11jAesCbc1KiB(P11j s) throws Exception { return s.work.run(); }
    @Benchmark public Object sunHmacSha256(Sun s) throws Exception { return s.work.run(); }
    @Benchmark public Object p11jHmacSha256(P11j s) throws Exception { return s.work.run(); }
    @Benchmark public Object sunSha256_64B(Sun s) throws Exception { return s.work.run(); }
    @Benchmark public Object p11jSha256_64B(P11j s) throws Exception { return s.work.run(); }
    @Benchmark public Object sunSha256_1MiB(Sun s) throws Exception { return s.work.run(); }
    @Benchmark public Object p11jSha256_1MiB(P11j s) throws Exception { return s.work.run(); }
    @Benchmark public Object sunRandom32B(Sun s) throws Exception { return s.work.run(); }
    @Benchmark public Object p11jRandom32B(P11j s) throws Exception { return s.work.run(); }
    @Benchmark public Object sunEcdhP256(Sun s) throws Exception { return s.work.run(); }
    @Benchmark public Object p11jEcdhP256(P11j s) throws Exception { return s.work.run(); }
}
