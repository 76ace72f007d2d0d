// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import io.p11j.testing.SoftHsm;
import io.p11j.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@link Pkcs11Library#load(Path)} on real files of every kind that is not a PKCS#11 module, each
 * answered by its own {@link ModuleLoadException} subtype with the path in the message; and on a
 * real module (SoftHSM2, a 2.40 module).
 */
class ModuleLoadingIT {

    /** Debian package that provides gcc. */
    private static final String GCC_PACKAGE = "gcc";

    @TempDir
    Path dir;

    @Test
    void missingFileIsModuleNotFound() {
        Path missing = dir.resolve("no-such-module.so");
        ModuleNotFoundException e = loadFails(missing, ModuleNotFoundException.class);
        assertThat(e.getMessage()).contains(missing.toString()).contains("no such file");
        assertThat(e.path()).isEqualTo(missing);
    }

    @Test
    void missingRelativePathIsReportedAbsolute() {
        Path relative = Path.of("no-such-dir-p11j", "libmissing.so");
        ModuleNotFoundException e = loadFails(relative, ModuleNotFoundException.class);
        Path absolute = relative.toAbsolutePath().normalize();
        assertThat(e.path()).isEqualTo(absolute).isAbsolute();
        assertThat(e.getMessage()).startsWith(absolute + ": ");
    }

    @Test
    void directoryIsModuleNotFound() {
        ModuleNotFoundException e = loadFails(dir, ModuleNotFoundException.class);
        assertThat(e.getMessage()).contains(dir.toString()).contains("not a readable file");
    }

    @Test
    void textFileIsNotAPkcs11Module() throws IOException {
        Path text = dir.resolve("module.so");
        Files.writeString(text, "This is a text file, not a shared library.\n".repeat(20), StandardCharsets.UTF_8);
        NotAPkcs11ModuleException e = loadFails(text, NotAPkcs11ModuleException.class);
        assertThat(e.getMessage()).contains(text.toString()).contains("not a shared library");
        assertThat(e.getCause()).as("the loader's own error is kept").isInstanceOf(UnsatisfiedLinkError.class);
    }

    @Test
    void tinyFileIsNotAPkcs11Module() throws IOException {
        Path tiny = dir.resolve("tiny.so");
        Files.write(tiny, new byte[] {'h', 'i', '\n'});
        NotAPkcs11ModuleException e = loadFails(tiny, NotAPkcs11ModuleException.class);
        assertThat(e.getMessage()).contains(tiny.toString()).contains("not a shared library");
    }

    @Test
    void sharedLibraryWithoutEntryPointIsNotAPkcs11Module() throws IOException {
        Path lib = compile("plain", "int p11j_not_pkcs11(void) { return 42; }\n");
        NotAPkcs11ModuleException e = loadFails(lib, NotAPkcs11ModuleException.class);
        assertThat(e.getMessage()).contains(lib.toString()).contains("C_GetFunctionList")
                .contains("not a PKCS#11 module");
    }

    @Test
    void failingGetFunctionListIsNotAPkcs11Module() throws IOException {
        // CKR_GENERAL_ERROR and no list.
        Path lib = compile("failing", "unsigned long C_GetFunctionList(void **pp) { *pp = 0; return 5UL; }\n");
        NotAPkcs11ModuleException e = loadFails(lib, NotAPkcs11ModuleException.class);
        assertThat(e.getMessage()).contains(lib.toString()).contains("C_GetFunctionList failed: CKR_GENERAL_ERROR");
    }

    @Test
    void libraryWithMissingDependencyIsAPlainModuleLoadException() throws IOException {
        Path dep = compile("p11jdep", "int p11j_dep(void) { return 1; }\n");
        Path lib = compile("needsdep", "int p11j_dep(void);\nint p11j_uses_dep(void) { return p11j_dep(); }\n",
                "-L" + dir, "-lp11jdep");
        Files.delete(dep);
        ModuleLoadException e = loadFails(lib, ModuleLoadException.class);
        assertThat(e).isExactlyInstanceOf(ModuleLoadException.class);
        assertThat(e.getMessage()).contains(lib.toString()).contains("cannot be loaded").contains("libp11jdep.so");
    }

    @Test
    void thirtyTwoBitLibraryIsWrongArchitecture() throws IOException {
        Path lib = dir.resolve("lib32.so");
        Path gcc = Tools.require("gcc", GCC_PACKAGE);
        Path source = writeSource("lib32", "int p11j_32(void) { return 32; }\n");
        // A real 32-bit library where the compiler can make one (-nostdlib needs no 32-bit libc);
        // else a crafted ELF header, which is all the loader's check reads first.
        boolean built = Tools.run(dir, gcc.toString(), "-m32", "-shared", "-fPIC", "-o", lib.toString(),
                source.toString()).ok()
                || Tools.run(dir, gcc.toString(), "-m32", "-shared", "-fPIC", "-nostdlib", "-o", lib.toString(),
                source.toString()).ok();
        if (!built) {
            Files.write(lib, elfHeader(false, 3));
        }
        WrongArchitectureException e = loadFails(lib, WrongArchitectureException.class);
        assertThat(e.found()).contains("32-bit").contains("i386");
        assertThat(e.expected()).contains("64-bit");
        assertThat(e.getMessage()).contains(lib.toString()).contains("built for ELF 32-bit i386");
    }

    @Test
    void craftedForeignElfHeadersAreWrongArchitecture() throws IOException {
        Path i386 = dir.resolve("i386.so");
        Files.write(i386, elfHeader(false, 3));
        WrongArchitectureException e32 = loadFails(i386, WrongArchitectureException.class);
        assertThat(e32.found()).isEqualTo("ELF 32-bit i386");
        assertThat(e32.getMessage()).contains(i386.toString());

        // A 64-bit library of another machine: AArch64, or x86-64 when this JVM runs on AArch64.
        boolean onAarch64 = System.getProperty("os.arch").equals("aarch64");
        Path foreign = dir.resolve("foreign64.so");
        Files.write(foreign, elfHeader(true, onAarch64 ? 62 : 183));
        WrongArchitectureException e64 = loadFails(foreign, WrongArchitectureException.class);
        assertThat(e64.found()).isEqualTo(onAarch64 ? "ELF 64-bit x86-64" : "ELF 64-bit AArch64");
        assertThat(e64.getMessage()).contains(foreign.toString()).contains(e64.found());
    }

    @Test
    void softHsmLoadsWithThe240FunctionList() throws Exception {
        Pkcs11Library lib = Pkcs11Library.load(SoftHsm.findModule());
        assertThat(lib.functionListVersion()).containsExactly(2, 40);
        assertThat(lib.interfaces()).as("a 2.40 module exports no C_GetInterfaceList").isEmpty();
        assertThat(lib.functions().isSupported(Pkcs11Function.C_Initialize)).isTrue();
        assertThat(lib.functions().isSupported(Pkcs11Function.C_LoginUser)).isFalse();
        assertThat(lib.toString()).contains(lib.path().toString()).contains("2.40");
    }

    @Test
    void relativePathGivesAnAbsolutePath() throws Exception {
        Path module = SoftHsm.findModule().toAbsolutePath().normalize();
        Path relative = Path.of("").toAbsolutePath().relativize(module);
        assertThat(relative.isAbsolute()).isFalse();
        Pkcs11Library lib = Pkcs11Library.load(relative);
        assertThat(lib.path()).isAbsolute().isEqualTo(module);
        assertThat(lib.functionListVersion()).containsExactly(2, 40);
    }

    // ---- helpers ----

    private static <T extends ModuleLoadException> T loadFails(Path path, Class<T> type) {
        T e = catchThrowableOfType(type, () -> Pkcs11Library.load(path));
        assertThat(e).as("loading %s throws %s", path, type.getSimpleName()).isNotNull();
        assertThat(e.path()).isAbsolute();
        assertThat(e.getMessage()).startsWith(e.path() + ": ");
        return e;
    }

    private Path writeSource(String name, String code) throws IOException {
        Path source = dir.resolve(name + ".c");
        Files.writeString(source, code, StandardCharsets.UTF_8);
        return source;
    }

    /** {@code lib<name>.so}, built from {@code code} with {@code gcc -shared -fPIC}. */
    private Path compile(String name, String code, String... linkArgs) throws IOException {
        Path gcc = Tools.require("gcc", GCC_PACKAGE);
        Path source = writeSource(name, code);
        Path lib = dir.resolve("lib" + name + ".so");
        List<String> cmd = new java.util.ArrayList<>(List.of(gcc.toString(), "-shared", "-fPIC", "-o", lib.toString(),
                source.toString()));
        cmd.addAll(List.of(linkArgs));
        Tools.run(dir, cmd).orThrow();
        assertThat(lib).isRegularFile();
        return lib;
    }

    /**
     * A bare little-endian ELF header of a shared object ({@code ET_DYN}): 64 bytes for ELF64, 52
     * for ELF32, with {@code e_machine} = {@code machine} (3 i386, 62 x86-64, 183 AArch64).
     */
    static byte[] elfHeader(boolean is64, int machine) {
        int size = is64 ? 64 : 52;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (is64 ? 2 : 1), 1, 1, 0});
        b.put(new byte[8]);              // EI_ABIVERSION and padding
        b.putShort((short) 3);           // e_type: ET_DYN
        b.putShort((short) machine);     // e_machine
        b.putInt(1);                     // e_version: EV_CURRENT
        if (is64) {
            b.putLong(0).putLong(0).putLong(0); // e_entry, e_phoff, e_shoff
        } else {
            b.putInt(0).putInt(0).putInt(0);
        }
        b.putInt(0);                     // e_flags
        b.putShort((short) size);        // e_ehsize
        b.putShort((short) (is64 ? 56 : 32)); // e_phentsize
        b.putShort((short) 0);           // e_phnum
        b.putShort((short) (is64 ? 64 : 40)); // e_shentsize
        b.putShort((short) 0);           // e_shnum
        b.putShort((short) 0);           // e_shstrndx
        if (b.position() != size) {
            throw new AssertionError("ELF header is " + b.position() + " bytes, not " + size);
        }
        return b.array();
    }
}
