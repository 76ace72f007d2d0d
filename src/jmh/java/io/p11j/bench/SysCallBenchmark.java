// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.p11j.sys.Abi;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.Structs;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.Sys;
import io.p11j.testing.TestToken;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * Per-call cost of the sys layer on SoftHSM2: {@code C_GenerateRandom} of 32 bytes and
 * {@code C_GetSessionInfo}, through {@link Pkcs11Functions} exactly as a caller uses it, with every
 * buffer allocated once in the setup. {@link #rawJnaFunctionInvoke()} makes the same
 * {@code C_GenerateRandom} call through a bare {@link Function#invokeLong(Object[])}, to show what
 * the sys layer adds over JNA itself. {@code src/jmh/c/syscall_loop.c} is the same loop in C;
 * {@code scripts/bench.sh} runs both side by side and prints the comparison.
 *
 * <p>Needs {@code SOFTHSM2_CONF} pointing at a file in a private directory ({@link SoftHsm});
 * run it through {@code scripts/bench.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SysCallBenchmark {

    static final int RANDOM_LENGTH = 32;
    static final String TOKEN_LABEL = "bench";

    /** One token per JVM: with {@code -f 0} every benchmark's setup runs in the same JVM and module. */
    private static TestToken token;

    private Pkcs11Functions f;
    private long session;
    private Memory random;
    private Memory sessionInfo;
    private Function rawGenerateRandom;

    private static synchronized TestToken token() throws Pkcs11Exception {
        if (token == null) {
            token = SoftHsmExtension.createToken(TOKEN_LABEL);
        }
        return token;
    }

    @Setup(Level.Trial)
    public void setUp() throws Pkcs11Exception {
        TestToken t = token();
        f = t.functions();
        session = Sys.openSession(f, t.slotId(), false);
        random = new Memory(RANDOM_LENGTH);
        sessionInfo = Structs.CK_SESSION_INFO.layout().allocate();
        rawGenerateRandom = Function.getFunction(generateRandomPointer(SoftHsm.get().modulePath().toString()),
                Function.C_CONVENTION);

        // Each path must work before it is timed: a benchmark of an error return measures nothing.
        Sys.check(Pkcs11Function.C_GenerateRandom, generateRandom32());
        Sys.check(Pkcs11Function.C_GetSessionInfo, getSessionInfo());
        Sys.check(Pkcs11Function.C_GenerateRandom, rawJnaFunctionInvoke());
    }

    /**
     * The module's own {@code C_GenerateRandom} pointer, read from the {@code CK_FUNCTION_LIST} that
     * its exported {@code C_GetFunctionList} hands out: the function the sys layer calls too.
     */
    private static Pointer generateRandomPointer(String modulePath) throws Pkcs11Exception {
        Abi abi = Abi.NATIVE;
        if (abi.ulongSize() != 8) {
            throw new IllegalStateException("rawJnaFunctionInvoke assumes an 8-byte CK_ULONG (LP64); this is " + abi);
        }
        Function getFunctionList = NativeLibrary.getInstance(modulePath).getFunction("C_GetFunctionList");
        Memory pp = new Memory(abi.pointerSize());
        pp.setPointer(0, null);
        Sys.check(Pkcs11Function.C_GetFunctionList, getFunctionList.invokeLong(new Object[] {pp}));
        return Structs.CK_FUNCTION_LIST.layout(abi).field("C_GenerateRandom").getPointer(pp.getPointer(0));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (f != null && session != 0) {
            f.C_CloseSession(session);
            session = 0;
        }
    }

    /** {@code C_GenerateRandom(session, buf, 32)} through the sys layer. */
    @Benchmark
    public long generateRandom32() {
        return f.C_GenerateRandom(session, random, RANDOM_LENGTH);
    }

    /** {@code C_GetSessionInfo(session, &info)} through the sys layer. */
    @Benchmark
    public long getSessionInfo() {
        return f.C_GetSessionInfo(session, sessionInfo);
    }

    /**
     * The same {@code C_GenerateRandom} through bare JNA: {@link Function#invokeLong(Object[])} on
     * the function pointer, boxed arguments in a fresh array, as any JNA caller writes it.
     */
    @Benchmark
    public long rawJnaFunctionInvoke() {
        return rawGenerateRandom.invokeLong(new Object[] {session, random, (long) RANDOM_LENGTH});
    }
}
