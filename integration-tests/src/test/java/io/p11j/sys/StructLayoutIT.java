// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Proves every structure layout of the sys layer against the C compiler.
 *
 * <p>From {@link Structs#all()} this test generates a C program that prints {@code sizeof},
 * {@code _Alignof} and, for every member, {@code offsetof} and {@code sizeof} — so every declared
 * structure and member is covered without a hand-kept list. The program is compiled with
 * {@code gcc} against two independent headers and run; its output is compared with
 * {@link StructDef#layout(Abi)}:
 *
 * <ul>
 *   <li>p11-kit's {@code pkcs11.h} (Debian {@code libp11-kit-dev}; PKCS#11 2.40, standard names by
 *       its default {@code CRYPTOKI_COMPAT}) for the structures with {@code since() == "2.40"} that it
 *       declares (it lacks {@link #NOT_IN_P11_KIT});</li>
 *   <li>NSS's {@code pkcs11.h} (Debian {@code libnss3-dev}; PKCS#11 3.0) for every structure except
 *       {@code CK_C_INITIALIZE_ARGS}, whose NSS version has a seventh member and renames the sixth.</li>
 * </ul>
 *
 * <p>Each header is compiled for several ABIs, all with the same generated program:
 * the native one ({@link Abi#NATIVE}); 64-bit Windows (4-byte {@code CK_ULONG}, 8-byte pointers,
 * packed to one byte), simulated on x86-64 Linux by {@code #define long} (empty) between the system
 * includes and the PKCS#11 header, so that {@code unsigned long} becomes {@code unsigned}, plus the
 * Windows packing ({@code CRYPTOKI_FORCE_WIN32} for p11-kit, {@code #pragma pack(push, 1)} around
 * NSS's header); the same 4-byte {@code CK_ULONG} with natural alignment; and, where
 * {@code gcc -m32} can compile, 32-bit Linux and 32-bit Windows packing.
 *
 * <p>A structure or member name that a header does not declare makes gcc fail; the test then names
 * the structure and quotes gcc, so the Java declaration is the thing to check.
 */
class StructLayoutIT {

    /**
     * 2.40 structures that p11-kit 0.24's header does not declare; checked against NSS only. p11-kit's
     * {@code pkcs11.h} is not the OASIS header but p11-kit's own subset of PKCS#11 2.40: it declares
     * about twenty structures (those of the functions and a few mechanism parameters), so most 2.40
     * mechanism parameter structures are missing from it (scripts/generate-structs.py keeps the same
     * list, P11KIT_LACKS_2_40).
     */
    static final Set<String> NOT_IN_P11_KIT = Set.of(
            "CK_CCM_PARAMS", "CK_RSA_AES_KEY_WRAP_PARAMS", "CK_ECDH_AES_KEY_WRAP_PARAMS", "CK_PKCS5_PBKD2_PARAMS",
            "CK_ECDH2_DERIVE_PARAMS", "CK_ECMQV_DERIVE_PARAMS", "CK_X9_42_DH1_DERIVE_PARAMS",
            "CK_X9_42_DH2_DERIVE_PARAMS", "CK_X9_42_MQV_DERIVE_PARAMS", "CK_KEA_DERIVE_PARAMS",
            "CK_RC2_CBC_PARAMS", "CK_RC2_MAC_GENERAL_PARAMS", "CK_RC5_PARAMS", "CK_RC5_CBC_PARAMS",
            "CK_RC5_MAC_GENERAL_PARAMS", "CK_SKIPJACK_PRIVATE_WRAP_PARAMS", "CK_SKIPJACK_RELAYX_PARAMS",
            "CK_PBE_PARAMS", "CK_KEY_WRAP_SET_OAEP_PARAMS",
            "CK_CAMELLIA_CTR_PARAMS", "CK_CAMELLIA_CBC_ENCRYPT_DATA_PARAMS", "CK_ARIA_CBC_ENCRYPT_DATA_PARAMS",
            "CK_SEED_CBC_ENCRYPT_DATA_PARAMS",
            "CK_SSL3_RANDOM_DATA", "CK_SSL3_MASTER_KEY_DERIVE_PARAMS", "CK_SSL3_KEY_MAT_OUT",
            "CK_SSL3_KEY_MAT_PARAMS", "CK_TLS_PRF_PARAMS", "CK_TLS12_MASTER_KEY_DERIVE_PARAMS",
            "CK_TLS12_KEY_MAT_PARAMS", "CK_TLS_KDF_PARAMS", "CK_TLS_MAC_PARAMS",
            "CK_WTLS_RANDOM_DATA", "CK_WTLS_MASTER_KEY_DERIVE_PARAMS", "CK_WTLS_PRF_PARAMS",
            "CK_WTLS_KEY_MAT_OUT", "CK_WTLS_KEY_MAT_PARAMS",
            "CK_CMS_SIG_PARAMS", "CK_KIP_PARAMS", "CK_DSA_PARAMETER_GEN_PARAM",
            "CK_GOSTR3410_DERIVE_PARAMS", "CK_GOSTR3410_KEY_WRAP_PARAMS");

    /** Structures NSS declares differently from the standard. */
    static final Set<String> NOT_COMPARED_WITH_NSS = Set.of(
            // NSS: CreateMutex … flags, LibraryParameters, pReserved (a 7th member).
            "CK_C_INITIALIZE_ARGS");

    static final String P11_KIT_HEADER = "/usr/include/p11-kit-1/p11-kit/pkcs11.h";
    static final String NSS_HEADER = "/usr/include/nss/pkcs11.h";
    static final String NSPR_HEADER = "/usr/include/nspr/prtypes.h";
    static final String PACKAGES = "the Debian packages gcc, libp11-kit-dev and libnss3-dev";

    /** The header a program is compiled against. */
    enum Header {
        P11_KIT("p11-kit") {
            @Override
            boolean declares(StructDef def) {
                return def.since().equals("2.40") && !NOT_IN_P11_KIT.contains(def.name());
            }

            @Override
            String include(Variant v) {
                // With CRYPTOKI_FORCE_WIN32 the header packs itself: #pragma pack(push, cryptoki, 1).
                return "#include <p11-kit/pkcs11.h>\n";
            }

            @Override
            List<String> flags(Variant v) {
                List<String> f = new ArrayList<>(List.of("-I/usr/include/p11-kit-1"));
                if (v.packed) {
                    f.add("-DCRYPTOKI_FORCE_WIN32");
                    f.add("-D__declspec(x)="); // CK_SPEC is __declspec(dllimport) under Win32
                }
                return f;
            }
        },
        NSS("NSS") {
            @Override
            boolean declares(StructDef def) {
                return !NOT_COMPARED_WITH_NSS.contains(def.name());
            }

            @Override
            String beforeLongMacro() {
                // NSPR's types use 'long' (PRInt64): include them before 'long' is redefined.
                return "#include <prtypes.h>\n";
            }

            @Override
            String include(Variant v) {
                // NSS packs only under _WIN32 (pkcs11p.h / pkcs11u.h); do what that does.
                return v.packed ? "#pragma pack(push, 1)\n#include <pkcs11.h>\n#pragma pack(pop)\n" : "#include <pkcs11.h>\n";
            }

            @Override
            List<String> flags(Variant v) {
                // NO_NSPR_10_SUPPORT: skip obsolete/protypes.h, which needs <sys/types.h> (absent for -m32).
                return List.of("-I/usr/include/nss", "-I/usr/include/nspr", "-DNO_NSPR_10_SUPPORT");
            }
        };

        final String label;

        Header(String label) {
            this.label = label;
        }

        abstract boolean declares(StructDef def);

        /** Includes that must come before {@code #define long}. */
        String beforeLongMacro() {
            return "";
        }

        /** The PKCS#11 header's include, with any packing around it. */
        abstract String include(Variant v);

        abstract List<String> flags(Variant v);
    }

    /** An ABI and how to make gcc on x86-64 Linux produce it. */
    enum Variant {
        NATIVE("native", Abi.NATIVE, false, Abi.NATIVE.packed(), false),
        WIN64_PACKED("4-byte CK_ULONG, 8-byte pointers, packed (Windows x64)", Abi.of(4, 8, true), true, true, false),
        ULONG4_NATURAL("4-byte CK_ULONG, 8-byte pointers, natural alignment", Abi.of(4, 8, false), true, false, false),
        LINUX32("gcc -m32 (32-bit Linux)", Abi.of(4, 4, false), false, false, true),
        WIN32_PACKED("gcc -m32, packed (Windows x86)", Abi.of(4, 4, true), false, true, true);

        final String label;
        final Abi abi;
        /** {@code #define long} (empty) so that {@code unsigned long} is 4 bytes on x86-64. */
        final boolean ulong4;
        final boolean packed;
        final boolean m32;

        Variant(String label, Abi abi, boolean ulong4, boolean packed, boolean m32) {
            this.label = label;
            this.abi = abi;
            this.ulong4 = ulong4;
            this.packed = packed;
            this.m32 = m32;
        }
    }

    /** How the values come out of gcc: by running the program, or from its assembly (cannot link). */
    enum Mode { RUN, ASSEMBLY }

    /** One value the C program reports: its key ({@code CK_MECHANISM.pParameter offsetof}) and C expression. */
    record Probe(String key, String expression) {
    }

    /**
     * What gcc says: the values by key, and the compile errors of structures it rejected (the
     * program is then compiled again without them, so one bad declaration hides no other).
     */
    record Measured(String what, Map<String, Long> values, Map<String, List<String>> compileErrors) {
    }

    private static Mode m32Mode; // null: -m32 unavailable

    @BeforeAll
    static void toolchain(@TempDir Path dir) throws Exception {
        List<String> missing = new ArrayList<>();
        for (String h : List.of(P11_KIT_HEADER, NSS_HEADER, NSPR_HEADER)) {
            if (!Files.isRegularFile(Path.of(h))) {
                missing.add(h);
            }
        }
        try {
            Result r = exec(dir, 60, "gcc", "--version");
            if (r.exit != 0) {
                missing.add("a working gcc (gcc --version: " + r.output.strip() + ")");
            }
        } catch (IOException e) {
            missing.add("gcc (" + e.getMessage() + ")");
        }
        if (!missing.isEmpty()) {
            fail("StructLayoutIT compiles C against the PKCS#11 headers and needs " + PACKAGES
                    + " (apt-get install gcc libp11-kit-dev libnss3-dev). Missing: " + missing);
        }
        Files.writeString(dir.resolve("m32.c"), "#include <stddef.h>\nint main(void) { return (int) sizeof(size_t) - 4; }\n");
        if (exec(dir, 60, "gcc", "-m32", "-o", "m32", "m32.c").exit == 0 && exec(dir, 60, dir.resolve("m32").toAbsolutePath().toString()).exit == 0) {
            m32Mode = Mode.RUN;
        } else if (exec(dir, 60, "gcc", "-m32", "-S", "-o", "m32.s", "m32.c").exit == 0) {
            m32Mode = Mode.ASSEMBLY; // no 32-bit libc to link (gcc-multilib), but the compiler itself can do -m32
        }
    }

    // ---- the layouts, per ABI variant ----

    @TestFactory
    List<DynamicNode> nativeAbi(@TempDir Path dir) throws Exception {
        return variant(Variant.NATIVE, Mode.RUN, dir);
    }

    @TestFactory
    List<DynamicNode> windowsX64Packing(@TempDir Path dir) throws Exception {
        return variant(Variant.WIN64_PACKED, Mode.RUN, dir);
    }

    @TestFactory
    List<DynamicNode> fourByteUlongNaturalAlignment(@TempDir Path dir) throws Exception {
        return variant(Variant.ULONG4_NATURAL, Mode.RUN, dir);
    }

    @TestFactory
    List<DynamicNode> linux32(@TempDir Path dir) throws Exception {
        assumeTrue(m32Mode != null, "gcc -m32 cannot compile here (install gcc-multilib); 32-bit Linux not checked");
        return variant(Variant.LINUX32, m32Mode, dir);
    }

    @TestFactory
    List<DynamicNode> windowsX86Packing(@TempDir Path dir) throws Exception {
        assumeTrue(m32Mode != null, "gcc -m32 cannot compile here (install gcc-multilib); Windows x86 not checked");
        return variant(Variant.WIN32_PACKED, m32Mode, dir);
    }

    private List<DynamicNode> variant(Variant v, Mode mode, Path dir) throws Exception {
        List<DynamicNode> nodes = new ArrayList<>();
        for (Header h : Header.values()) {
            List<StructDef> defs = Structs.all().stream().filter(h::declares).toList();
            Measured m = measure(h, v, mode, defs, dir.resolve(h.name()));
            List<DynamicNode> tests = new ArrayList<>();
            tests.add(DynamicTest.dynamicTest("CK_ULONG and pointer widths", () -> {
                assertThat(m.values().get("CK_ULONG sizeof")).as("sizeof(CK_ULONG) in %s", m.what())
                        .isEqualTo(v.abi.ulongSize());
                assertThat(m.values().get("CK_VOID_PTR sizeof")).as("sizeof(CK_VOID_PTR) in %s", m.what())
                        .isEqualTo(v.abi.pointerSize());
            }));
            int members = 0;
            for (StructDef def : defs) {
                members += def.members().size();
                tests.add(DynamicTest.dynamicTest(def.name(), () -> {
                    List<String> wrong = mismatches(def, v.abi, m);
                    assertThat(wrong).as("%s in Java (Structs.%s, %s) vs gcc (%s)", def.name(), def.name(), v.abi, m.what())
                            .isEmpty();
                }));
            }
            System.out.printf("StructLayoutIT %s: %d structures, %d members, %d values from gcc (%s)%n",
                    m.what(), defs.size(), members, m.values().size() - 2, mode);
            nodes.add(DynamicContainer.dynamicContainer(h.label + ", " + v.label, tests));
        }
        return nodes;
    }

    // ---- coverage and honesty of the comparison ----

    @Test
    void everyStructureIsComparedWithAtLeastOneHeader() {
        for (StructDef def : Structs.all()) {
            assertThat(Header.P11_KIT.declares(def) || Header.NSS.declares(def))
                    .as("%s is compared with no header", def.name()).isTrue();
        }
        assertThat(Structs.all().stream().map(StructDef::name))
                .as("the exception lists name declared structures").containsAll(NOT_IN_P11_KIT).containsAll(NOT_COMPARED_WITH_NSS);
    }

    /** The structures left to NSS alone are really missing from p11-kit (and only they are). */
    @Test
    void p11KitLacksExactlyTheListedStructures(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("h.c"), "#include <p11-kit/pkcs11.h>\n");
        Result r = exec(dir, 120, "gcc", "-E", "-P", "-I/usr/include/p11-kit-1", "h.c");
        assertThat(r.exit).as(r.output).isZero();
        Set<String> tokens = new TreeSet<>(List.of(r.output.split("[^A-Za-z0-9_]+")));
        Set<String> lacking = Structs.all().stream()
                .filter(d -> d.since().equals("2.40")).map(StructDef::name)
                .filter(n -> !tokens.contains(n)).collect(Collectors.toCollection(TreeSet::new));
        assertThat(lacking).as("2.40 structures p11-kit's header does not declare").isEqualTo(new TreeSet<>(NOT_IN_P11_KIT));
    }

    /** The layout test fails if a field is moved: CK_MECHANISM with its last two members swapped. */
    @Test
    void aMovedFieldIsReported(@TempDir Path dir) throws Exception {
        StructDef swapped = StructDef.struct("CK_MECHANISM")
                .ulong("mechanism").ulong("ulParameterLen").pointer("pParameter").build();
        for (Header h : Header.values()) {
            Measured m = measure(h, Variant.NATIVE, Mode.RUN, List.of(Structs.CK_MECHANISM), dir.resolve(h.name()));
            assertThat(mismatches(Structs.CK_MECHANISM, Abi.NATIVE, m)).as("the real declaration").isEmpty();
            assertThat(mismatches(swapped, Abi.NATIVE, m))
                    .anySatisfy(s -> assertThat(s).startsWith("CK_MECHANISM.pParameter offsetof: "))
                    .anySatisfy(s -> assertThat(s).startsWith("CK_MECHANISM.ulParameterLen offsetof: "));
        }
    }

    /** A member of the wrong width, invisible on LP64 where pointer and CK_ULONG are both 8 bytes, shows under LLP64. */
    @Test
    void aMemberOfTheWrongWidthIsReported(@TempDir Path dir) throws Exception {
        StructDef wrongKind = StructDef.struct("CK_MECHANISM")
                .ulong("mechanism").ulong("pParameter").ulong("ulParameterLen").build();
        Measured m = measure(Header.P11_KIT, Variant.WIN64_PACKED, Mode.RUN, List.of(wrongKind), dir);
        assertThat(mismatches(wrongKind, Variant.WIN64_PACKED.abi, m))
                .contains("CK_MECHANISM sizeof: 16 in C, 12 in Java",
                        "CK_MECHANISM.pParameter sizeof: 8 in C, 4 in Java",
                        "CK_MECHANISM.ulParameterLen offsetof: 12 in C, 8 in Java");
    }

    /** A member name the header does not declare is a failure that names the structure and the member. */
    @Test
    void anUnknownMemberIsReported(@TempDir Path dir) throws Exception {
        StructDef misnamed = StructDef.struct("CK_MECHANISM")
                .ulong("mechanism").pointer("pParam").ulong("ulParameterLen").build();
        Measured m = measure(Header.NSS, Variant.NATIVE, Mode.RUN, List.of(misnamed, Structs.CK_VERSION), dir);
        assertThat(mismatches(misnamed, Abi.NATIVE, m))
                .anySatisfy(s -> assertThat(s).contains("CK_MECHANISM: gcc rejects").contains("pParam"));
        assertThat(mismatches(Structs.CK_VERSION, Abi.NATIVE, m)).as("other structures still compared").isEmpty();
    }

    // ---- comparison ----

    /**
     * Every difference between the Java layout of {@code def} under {@code abi} and what gcc measured:
     * the structure's size and alignment, and every member's offset and size. Empty when they agree.
     */
    static List<String> mismatches(StructDef def, Abi abi, Measured measured) {
        List<String> out = new ArrayList<>();
        List<String> errors = measured.compileErrors().get(def.name());
        if (errors != null) {
            out.add(def.name() + ": gcc rejects the declaration (a structure or member the header does not have?): "
                    + String.join(" | ", errors));
            return out;
        }
        StructLayout layout = def.layout(abi);
        compare(out, measured, def.name() + " sizeof", layout.size());
        compare(out, measured, def.name() + " alignof", layout.alignment());
        for (StructLayout.Field f : layout.fields().values()) {
            compare(out, measured, def.name() + "." + f.name() + " offsetof", f.offset());
            compare(out, measured, def.name() + "." + f.name() + " sizeof", f.size());
        }
        return out;
    }

    private static void compare(List<String> out, Measured measured, String key, long java) {
        Long c = measured.values().get(key);
        if (c == null) {
            out.add(key + ": not measured by gcc");
        } else if (c != java) {
            out.add(key + ": " + c + " in C, " + java + " in Java"); // "CK_MECHANISM.pParameter offsetof: 8 in C, 16 in Java"
        }
    }

    // ---- the C program ----

    static List<Probe> probes(StructDef def) {
        String s = def.name();
        List<Probe> p = new ArrayList<>();
        p.add(new Probe(s + " sizeof", "sizeof(" + s + ")"));
        p.add(new Probe(s + " alignof", "_Alignof(" + s + ")"));
        for (StructDef.Member m : def.members()) {
            p.add(new Probe(s + "." + m.name() + " offsetof", "offsetof(" + s + ", " + m.name() + ")"));
            p.add(new Probe(s + "." + m.name() + " sizeof", "sizeof(((" + s + " *) 0)->" + m.name() + ")"));
        }
        return p;
    }

    /** The generated source and, per structure, the lines its probes occupy. */
    record Program(String source, Map<String, int[]> lines, List<Probe> probes) {
    }

    static Program program(Header h, Variant v, Mode mode, List<StructDef> defs) {
        StringBuilder c = new StringBuilder();
        c.append("/* Generated by io.p11j.sys.StructLayoutIT from Structs.all(): ")
                .append(h.label).append(", ").append(v.label).append(". */\n");
        if (mode == Mode.RUN) {
            c.append("#include <stdio.h>\n");
        }
        c.append("#include <stddef.h>\n");
        c.append(h.beforeLongMacro());
        if (v.ulong4) {
            // After the system includes, before the PKCS#11 header: 'unsigned long int' -> 'unsigned int'.
            c.append("#define long\n");
        }
        c.append(h.include(v));
        if (v.ulong4) {
            c.append("#undef long\n");
        }
        List<Probe> all = new ArrayList<>();
        all.add(new Probe("CK_ULONG sizeof", "sizeof(CK_ULONG)"));
        all.add(new Probe("CK_VOID_PTR sizeof", "sizeof(CK_VOID_PTR)"));
        c.append(mode == Mode.RUN ? "int main(void) {\n" : "const unsigned int p11j_values[] = {\n");
        int line = (int) c.chars().filter(ch -> ch == '\n').count() + 1;
        for (Probe p : all) {
            c.append(statement(mode, p));
            line++;
        }
        Map<String, int[]> lines = new LinkedHashMap<>();
        for (StructDef def : defs) {
            List<Probe> ps = probes(def);
            lines.put(def.name(), new int[] {line, line + ps.size() - 1});
            for (Probe p : ps) {
                c.append(statement(mode, p));
                line++;
            }
            all.addAll(ps);
        }
        c.append(mode == Mode.RUN ? "    return 0;\n}\n" : "};\n");
        return new Program(c.toString(), lines, all);
    }

    private static String statement(Mode mode, Probe p) {
        return mode == Mode.RUN
                ? "    printf(\"" + p.key() + " %zu\\n\", (size_t) " + p.expression() + ");\n"
                : "    " + p.expression() + ",\n";
    }

    private static final Pattern GCC_ERROR = Pattern.compile("^layout\\.c:(\\d+):\\d+: error: (.*)$", Pattern.MULTILINE);
    private static final Pattern OUTPUT_LINE = Pattern.compile("^(\\S+ (?:sizeof|alignof|offsetof)) (\\d+)$");

    /** Compiles and runs (or assembles) the program for {@code defs} and collects its values. */
    static Measured measure(Header h, Variant v, Mode mode, List<StructDef> defs, Path dir) throws Exception {
        Files.createDirectories(dir);
        String what = h.label + ", " + v.label;
        Map<String, List<String>> rejected = new LinkedHashMap<>();
        List<StructDef> remaining = new ArrayList<>(defs);
        while (true) {
            Program p = program(h, v, mode, remaining);
            Files.writeString(dir.resolve("layout.c"), p.source());
            List<String> cmd = new ArrayList<>(List.of("gcc", "-std=gnu11", "-Wall"));
            if (v.m32) {
                cmd.add("-m32");
            }
            cmd.addAll(h.flags(v));
            cmd.addAll(mode == Mode.RUN ? List.of("-o", "layout", "layout.c") : List.of("-S", "-o", "layout.s", "layout.c"));
            Result cc = exec(dir, 120, cmd.toArray(String[]::new));
            if (cc.exit != 0) {
                // Attribute each error to the structure whose probe lines it is on; retry without those.
                Map<String, List<String>> now = new LinkedHashMap<>();
                Matcher e = GCC_ERROR.matcher(cc.output);
                while (e.find()) {
                    int at = Integer.parseInt(e.group(1));
                    p.lines().forEach((name, range) -> {
                        if (at >= range[0] && at <= range[1]) {
                            now.computeIfAbsent(name, k -> new ArrayList<>()).add(e.group(2));
                        }
                    });
                }
                if (now.isEmpty()) {
                    fail("gcc cannot compile the layout program (" + what + "): " + String.join(" ", cmd)
                            + "\n" + cc.output + "\n--- layout.c ---\n" + p.source());
                }
                rejected.putAll(now);
                remaining.removeIf(d -> now.containsKey(d.name()));
                continue;
            }
            List<Long> values = mode == Mode.RUN ? runOutput(dir, p, what) : assemblyValues(dir.resolve("layout.s"), what);
            assertThat(values).as("values from gcc (%s)", what).hasSameSizeAs(p.probes());
            Map<String, Long> byKey = new LinkedHashMap<>();
            for (int i = 0; i < values.size(); i++) {
                byKey.put(p.probes().get(i).key(), values.get(i));
            }
            return new Measured(what, byKey, rejected);
        }
    }

    private static List<Long> runOutput(Path dir, Program p, String what) throws Exception {
        Result run = exec(dir, 60, dir.resolve("layout").toAbsolutePath().toString());
        assertThat(run.exit).as("exit status of the layout program (%s): %s", what, run.output).isZero();
        List<Long> values = new ArrayList<>();
        List<String> lines = run.output.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = OUTPUT_LINE.matcher(lines.get(i));
            assertThat(m.matches()).as("line %d of the program's output: %s", i + 1, lines.get(i)).isTrue();
            assertThat(m.group(1)).isEqualTo(p.probes().get(i).key());
            values.add(Long.parseLong(m.group(2)));
        }
        return values;
    }

    /** The initialiser of {@code p11j_values} in gcc's assembly: {@code .long N} and {@code .zero N} (N/4 zeros). */
    private static List<Long> assemblyValues(Path asm, String what) throws IOException {
        List<Long> values = new ArrayList<>();
        boolean in = false;
        for (String line : Files.readAllLines(asm)) {
            String t = line.strip();
            if (!in) {
                in = t.equals("p11j_values:");
                continue;
            }
            String[] w = t.split("\\s+");
            if (w[0].equals(".long")) {
                values.add(Long.decode(w[1]));
            } else if (w[0].equals(".zero")) {
                for (int i = 0; i < Integer.parseInt(w[1]) / 4; i++) {
                    values.add(0L);
                }
            } else {
                break;
            }
        }
        assertThat(in).as("p11j_values in the assembly (%s)", what).isTrue();
        return values;
    }

    // ---- processes ----

    record Result(int exit, String output) {
    }

    static Result exec(Path dir, int timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
