// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import javax.crypto.KeyAgreement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * #5's engines without keys of their own, and ECDH, on SoftHSM2: SunPKCS11 ({@code impl=sun}) against
 * P11J ({@code impl=p11j}, configured with {@code message-digests = on}) on the same token.
 *
 * <ul>
 *   <li>{@code sha256_64} and {@code sha256_1MiB}: {@code MessageDigest("SHA-256").digest(m)};</li>
 *   <li>{@code random32}: {@code SecureRandom("PKCS11").nextBytes(32 bytes)};</li>
 *   <li>{@code ecdhBytes}: init + doPhase + {@code generateSecret()} with a P-256 token key (each provider's
 *       own) and a fixed software peer key: the secret's bytes, read from a derived extractable key;</li>
 *   <li>{@code ecdhTokenKey}: the same, ending in a key derived on the token and left there: P11J's
 *       {@code generateSecret("AES")}; SunPKCS11's ECDH derives only {@code TlsPremasterSecret}, a sensitive
 *       generic secret it keeps on the token, so that is its counterpart.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MiscServicesBenchmark {

    @Param({"sun", "p11j"})
    String impl;

    private MessageDigest sha256;
    private SecureRandom random;
    private KeyAgreement ecdh;
    private KeyPair tokenPair;
    private KeyPair peer;
    private final byte[] m64 = new byte[64];
    private final byte[] m1MiB = new byte[1 << 20];
    private final byte[] r32 = new byte[32];
    private int n;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        String which = BenchProviders.impl(impl);
        TestToken token = SoftHsmExtension.createToken("bench-misc-" + which);
        Provider provider;
        if (which.equals("sun")) {
            // SunPKCS11 generates EC private keys without CKA_DERIVE unless told to, and on SoftHSM2 its ECDH gives
            // bytes only if the derived generic secret is made non-sensitive.
            provider = java.security.Security.getProvider("SunPKCS11").configure("--name=misc\nlibrary="
                    + io.p11j.testing.SoftHsm.get().modulePath() + "\nslot=" + token.slotId()
                    + "\nattributes(generate, CKO_PRIVATE_KEY, CKK_EC) = {\n  CKA_DERIVE = true\n}\n"
                    + "attributes(generate, CKO_SECRET_KEY, CKK_GENERIC_SECRET) = {\n  CKA_SENSITIVE = false\n  CKA_EXTRACTABLE = true\n}\n");
            BenchProviders.login(provider, token.userPinChars());
        } else {
            Path conf = BenchProviders.dir().resolve("misc.conf");
            Files.writeString(conf, "name = misc\ntoken = pkcs11:token=" + token.label() + "?module-path="
                    + io.p11j.testing.SoftHsm.get().modulePath() + "&pin-value=" + token.userPin() + "\nmessage-digests = on\n");
            provider = new io.p11j.provider.P11jProvider().configure(conf.toString());
        }
        sha256 = MessageDigest.getInstance("SHA-256", provider);
        random = SecureRandom.getInstance("PKCS11", provider);
        ecdh = KeyAgreement.getInstance("ECDH", provider);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(new ECGenParameterSpec("secp256r1"));
        tokenPair = g.generateKeyPair();
        KeyPairGenerator s = KeyPairGenerator.getInstance("EC", "SunEC");
        s.initialize(new ECGenParameterSpec("secp256r1"));
        peer = s.generateKeyPair();
        new Random(7).nextBytes(m64);
        new Random(8).nextBytes(m1MiB);

        // Each path works before it is timed.
        MessageDigest sun = MessageDigest.getInstance("SHA-256", "SUN");
        if (!Arrays.equals(sha256.digest(m64), sun.digest(m64)) || !Arrays.equals(sha256.digest(m1MiB), sun.digest(m1MiB))) {
            throw new IllegalStateException(which + ": SHA-256 differs from SUN's");
        }
        KeyAgreement soft = KeyAgreement.getInstance("ECDH", "SunEC");
        soft.init(peer.getPrivate());
        soft.doPhase(tokenPair.getPublic(), true);
        byte[] expected = soft.generateSecret();
        byte[] got = ecdhBytes();
        if (!Arrays.equals(got, expected)) {
            throw new IllegalStateException(which + ": ECDH differs from SunEC's: " + (got == null ? "null" : got.length + " bytes"));
        }
    }

    @Benchmark
    public byte[] sha256_64() {
        return sha256.digest(m64);
    }

    @Benchmark
    public byte[] sha256_1MiB() {
        return sha256.digest(m1MiB);
    }

    @Benchmark
    public byte[] random32() {
        random.nextBytes(r32);
        return r32;
    }

    @Benchmark
    public byte[] ecdhBytes() throws Exception {
        ecdh.init(tokenPair.getPrivate());
        ecdh.doPhase(peer.getPublic(), true);
        return ecdh.generateSecret();
    }

    @Benchmark
    public Object ecdhTokenKey() throws Exception {
        ecdh.init(tokenPair.getPrivate());
        ecdh.doPhase(peer.getPublic(), true);
        return ecdh.generateSecret(impl.equals("sun") ? "TlsPremasterSecret" : "AES");
    }

    /** Derived session keys are destroyed once garbage: collect now and then, so the token does not fill. */
    @TearDown(Level.Iteration)
    public void collect() {
        System.gc();
        n++;
    }
}
