// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import io.p11j.testing.SoftHsm;
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
import org.openjdk.jmh.infra.Blackhole;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * EC P-256 key pair generation on SoftHSM2 through a JCA {@code KeyPairGenerator("EC")}: SunPKCS11's
 * ({@code impl=sun}) and P11J's ({@code impl=p11j}), each initialized once with
 * {@code ECGenParameterSpec("secp256r1")}. One operation is {@code generateKeyPair()} and the public
 * key's encoding ({@code getPublic().getEncoded()}): what an application generating a key does next
 * (a CSR, a certificate), and what makes the two comparable — SunPKCS11 reads the public point
 * lazily, P11J when it generates.
 *
 * <p>Both make session objects ({@code CKA_TOKEN} false), destroyed once their Java key is garbage:
 * SunPKCS11 drains its reference queue when it makes the next key, P11J destroys them on a
 * {@code Cleaner} thread. The token must not fill over a run, so each iteration ends with a
 * {@code System.gc()} ({@link #collect}) that hands the iteration's keys to those mechanisms.
 *
 * <p>{@code src/jmh/c/keygen_loop.c} is the same in C: {@code C_GenerateKeyPair} with P11J's
 * templates + one read of {@code CKA_EC_POINT}, the keys destroyed outside the timing, and the whole
 * lifecycle with {@code C_DestroyObject} timed too. When {@link CallCounts} is active the setup counts
 * the token calls of one operation through a second provider over the counting module, untimed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KeyGenBenchmark {

    static final String TOKEN_LABEL = "bench-kg";

    @Param({"sun", "p11j"})
    String impl;

    private KeyPairGenerator kpg;
    /** Kept for the JVM's life: a P11J provider collected as garbage closes its sessions (with a warning). */
    private static Provider countingProvider;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        String which = BenchProviders.impl(impl);
        TestToken token = SoftHsmExtension.createToken(TOKEN_LABEL);
        Provider provider = provider(which, token, SoftHsm.get().modulePath());
        kpg = generator(which, provider);

        // The path works before it is timed: a P-256 key pair whose private key signs for its public key.
        KeyPair kp = kpg.generateKeyPair();
        ECPublicKey pub = (ECPublicKey) kp.getPublic();
        if (pub.getParams().getCurve().getField().getFieldSize() != 256) {
            throw new IllegalStateException(which + ": not a P-256 key: " + pub.getParams());
        }
        byte[] message = "p11j".getBytes(StandardCharsets.US_ASCII);
        byte[] signature = null;
        try {
            Signature signer = Signature.getInstance("SHA256withECDSA", provider); // the key's own provider
            signer.initSign(kp.getPrivate());
            signer.update(message);
            signature = signer.sign();
        } catch (NoSuchAlgorithmException e) {
            System.out.println("KeyGenBenchmark: " + provider.getName() + " has no SHA256withECDSA yet: the key is not checked");
        }
        if (signature != null) {
            Signature v = Signature.getInstance("SHA256withECDSA");
            v.initVerify(pub);
            v.update(message);
            if (!v.verify(signature)) {
                throw new IllegalStateException(which + ": the generated private key does not sign for its public key");
            }
        }
        System.out.println("KeyGenBenchmark: " + which + " (" + provider.getName() + "), " + pub.getEncoded().length
                + "-byte public key" + (signature != null ? ", signature checked" : ""));

        Optional<Path> counting = CallCounts.module();
        if (counting.isPresent()) {
            countingProvider = provider(which, token, counting.get());
            KeyPairGenerator counted = generator(which, countingProvider);
            counted.generateKeyPair(); // the first key may initialize what later ones reuse
            KeyPair[] keep = new KeyPair[1];
            CallCounts.count(counting.get(), "KeyGen(" + which + ")", () -> {
                keep[0] = counted.generateKeyPair();
                keep[0].getPublic().getEncoded();
            });
        }
    }

    /** SunPKCS11 logged in with the user PIN, or P11J logged in by its URI's {@code pin-source}. */
    private static Provider provider(String impl, TestToken token, Path module) throws Exception {
        if (impl.equals("p11j")) {
            return BenchProviders.p11j(token, module);
        }
        Provider sun = BenchProviders.sunPkcs11(TOKEN_LABEL, module, token.slotId());
        BenchProviders.login(sun, token.userPinChars());
        return sun;
    }

    private static KeyPairGenerator generator(String impl, Provider provider) throws Exception {
        KeyPairGenerator g = impl.equals("sun") ? KeyPairGenerator.getInstance("EC", provider)
                : BenchProviders.requireP11j("KeyPairGenerator EC", () -> KeyPairGenerator.getInstance("EC", provider));
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g;
    }

    /** {@code generateKeyPair()} and the public key's X.509 encoding. */
    @Benchmark
    public byte[] generateEcP256(Blackhole bh) {
        KeyPair kp = kpg.generateKeyPair();
        bh.consume(kp.getPrivate());
        return kp.getPublic().getEncoded();
    }

    /** Hands the iteration's keys to the collectors that destroy their session objects. */
    @TearDown(Level.Iteration)
    public void collect() {
        System.gc();
    }
}
