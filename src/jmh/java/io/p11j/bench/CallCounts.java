// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Token calls counted by the counting module ({@code src/jmh/c/counting_module.c}), a PKCS#11 module
 * that forwards to SoftHSM2 and counts {@code C_GetAttributeValue} and other session, object and crypto functions. It
 * counts what a provider asks of the token whichever provider it is — SunPKCS11's calls cannot be
 * intercepted from Java — so the benchmarks configure a second SunPKCS11 or P11J over it, do one
 * operation untimed, and print the difference as a {@code COUNT} line that {@code scripts/bench.sh}
 * collects:
 *
 * <pre>COUNT &lt;what&gt; C_GetAttributeValue=&lt;calls&gt; attributes=&lt;n&gt; C_FindObjects=&lt;calls&gt; ...</pre>
 *
 * <p>Active only when {@code P11J_BENCH_COUNTING_MODULE} names the module file and
 * {@code P11J_COUNTING_TARGET} the real module it forwards to (bench.sh sets both).
 */
final class CallCounts {

    static final String MODULE_ENV = "P11J_BENCH_COUNTING_MODULE";
    static final String TARGET_ENV = "P11J_COUNTING_TARGET";

    /** The counters reported, in this order. */
    static final List<String> COUNTERS = List.of("C_GetAttributeValue", "attributes", "C_FindObjectsInit", "C_FindObjects",
            "handles", "C_OpenSession", "C_CloseSession", "C_GetSessionInfo", "C_Login", "C_CreateObject",
            "C_DestroyObject", "C_GenerateKeyPair", "C_EncryptInit", "C_Encrypt", "C_EncryptUpdate", "C_EncryptFinal",
            "C_SignInit", "C_Sign", "C_SignUpdate", "C_SignFinal", "C_DigestInit", "C_Digest", "C_DigestUpdate",
            "C_DigestFinal", "C_GenerateRandom", "C_SeedRandom", "C_DeriveKey");

    private CallCounts() {
    }

    /** The counting module, when the environment names one (and the module it forwards to). */
    static Optional<Path> module() {
        String m = System.getenv(MODULE_ENV);
        String t = System.getenv(TARGET_ENV);
        if (m == null || m.isBlank() || t == null || t.isBlank()) {
            return Optional.empty();
        }
        Path p = Path.of(m);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException(MODULE_ENV + "=" + m + " is not a file");
        }
        return Optional.of(p);
    }

    /** The counters now. */
    static Map<String, Long> snapshot(Path module) {
        Function count = NativeLibrary.getInstance(module.toString()).getFunction("p11j_count");
        Map<String, Long> out = new LinkedHashMap<>();
        for (String c : COUNTERS) {
            out.put(c, count.invokeLong(new Object[] {c}));
        }
        return out;
    }

    /** Counts what {@code work} asks of the token through {@code module} and prints the COUNT line. */
    static Map<String, Long> count(Path module, String what, Work work) throws Exception {
        Map<String, Long> before = snapshot(module);
        work.run();
        Map<String, Long> after = snapshot(module);
        Map<String, Long> diff = new LinkedHashMap<>();
        StringBuilder line = new StringBuilder("COUNT ").append(what);
        for (String c : COUNTERS) {
            long d = after.get(c) - before.get(c);
            diff.put(c, d);
            line.append(' ').append(c).append('=').append(d);
        }
        System.out.println(line);
        return diff;
    }

    /** What is counted. */
    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }
}
