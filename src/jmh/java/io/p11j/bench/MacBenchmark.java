// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.SecretKeySpec;
import java.security.Provider;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * HMAC-SHA256 on SoftHSM2 through a JCA {@code Mac}: SunPKCS11's ({@code impl=sun}) and P11J's
 * ({@code impl=p11j}), with the same 32-byte key on the same token — SunPKCS11 given the value as a
 * {@code SecretKeySpec} (which it turns into a session object once, at the first init), P11J given it
 * through its {@code SecretKeyFactory} (a sensitive session object). One operation is
 * {@code doFinal(message)} on a Mac initialized once, over {@code size} bytes: per MAC SunPKCS11 makes
 * {@code C_SignInit}, {@code C_SignUpdate} and {@code C_SignFinal}, P11J buffers the message and
 * makes {@code C_SignInit} and {@code C_Sign} in one pooled call. Both are checked against SunJCE
 * before anything is timed.
 *
 * <p>Not (yet) run by {@code scripts/bench.sh}; run it with
 * {@code java -cp <test class path> org.openjdk.jmh.Main 'io\.p11j\.bench\.MacBenchmark\.'}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MacBenchmark {

    static final String TOKEN_LABEL = "bench-mac";

    @Param({"sun", "p11j"})
    String impl;

    @Param({"64", "1024"})
    int size;

    private Mac mac;
    private byte[] message;

    @Setup
    public void setUp() throws Exception {
        String which = BenchProviders.impl(impl);
        TestToken token = SoftHsmExtension.createToken(TOKEN_LABEL);
        Random random = new Random(42);
        byte[] value = new byte[32];
        random.nextBytes(value);
        message = new byte[size];
        random.nextBytes(message);
        Provider provider;
        if (which.equals("sun")) {
            provider = BenchProviders.sunPkcs11(TOKEN_LABEL, token);
            BenchProviders.login(provider, token.userPinChars());
            mac = Mac.getInstance("HmacSHA256", provider);
            mac.init(new SecretKeySpec(value, "HmacSHA256"));
        } else {
            Provider p11j = BenchProviders.p11j(token);
            provider = p11j;
            SecretKey key = BenchProviders.requireP11j("SecretKeyFactory HmacSHA256",
                    () -> SecretKeyFactory.getInstance("HmacSHA256", p11j)).generateSecret(new SecretKeySpec(value, "HmacSHA256"));
            mac = BenchProviders.requireP11j("Mac HmacSHA256", () -> Mac.getInstance("HmacSHA256", p11j));
            mac.init(key);
        }
        Mac sunJce = Mac.getInstance("HmacSHA256", "SunJCE");
        sunJce.init(new SecretKeySpec(value, "HmacSHA256"));
        byte[] expected = sunJce.doFinal(message);
        if (!Arrays.equals(mac.doFinal(message), expected) || !Arrays.equals(mac.doFinal(message), expected)) {
            throw new IllegalStateException(which + " (" + provider.getName() + ") computes another HMAC-SHA256 than SunJCE");
        }
        System.out.println("MacBenchmark: " + which + " (" + provider.getName() + "), " + size + "-byte messages, checked");
    }

    /** One HMAC-SHA256 over the message. */
    @Benchmark
    public byte[] hmacSha256() {
        return mac.doFinal(message);
    }
}
