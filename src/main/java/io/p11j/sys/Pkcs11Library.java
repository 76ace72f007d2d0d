// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.p11j.sys.Pkcs11Constants.CKF_OS_LOCKING_OK;
import static io.p11j.sys.Pkcs11Constants.CKR_CRYPTOKI_ALREADY_INITIALIZED;
import static io.p11j.sys.Pkcs11Constants.CKR_OK;

/**
 * A loaded PKCS#11 module and its function list.
 *
 * <p>{@link #load(Path)} opens the shared library and asks it for its functions: through
 * {@code C_GetInterface("PKCS 11", 3.0)} where the module exports it (the 3.0 function list, 92
 * functions), else through {@code C_GetFunctionList} (the 2.x list, 68 functions). From then on
 * every call goes through the function pointers the module handed out ({@link #functions()}) or, for
 * the hot functions, through the exported symbols proven to be those same functions (see
 * {@link JnaFunctionList#usesDirectCalls()}).
 *
 * <p>The library is opened {@code RTLD_LOCAL} (as SunPKCS11 does), not JNA's default
 * {@code RTLD_GLOBAL}: a module whose function list refers to its own exported {@code C_*} functions
 * (SoftHSM2, OpenSC) would otherwise, when loaded after another such module, have that list bound to
 * the first module's functions by the dynamic linker.
 *
 * <p>{@link #initialize(String)} calls {@code C_Initialize} with {@code CKF_OS_LOCKING_OK} and an
 * optional {@code pReserved} string (NSS's softokn reads its configuration there). A module that
 * another part of the process already initialized answers {@code CKR_CRYPTOKI_ALREADY_INITIALIZED};
 * that is reported as {@link Initialization#ALREADY_INITIALIZED}, not thrown, and such a module
 * is not finalized by {@link #finalizeModule()}: it is not ours to finalize.
 *
 * <p>Thread-safe. A module is process-global state: sharing one initialized module between
 * several users of a JVM is the wrapper layer's job.
 */
public final class Pkcs11Library {

    /** Which function list to ask the module for. */
    public enum InterfaceChoice {
        /** {@code C_GetInterface("PKCS 11", 3.0)} when exported, else {@code C_GetFunctionList}. */
        PREFER_3_0,
        /** {@code C_GetFunctionList} only: the 2.x function list even from a 3.0 module. */
        ONLY_2_X
    }

    /** What {@link #initialize(String)} found. */
    public enum Initialization {
        /** This call initialized the module; {@link #finalizeModule()} will finalize it. */
        INITIALIZED,
        /** The module was already initialized in this process by someone else; it is used as it is. */
        ALREADY_INITIALIZED
    }

    /** One entry of {@code C_GetInterfaceList}. */
    public record InterfaceInfo(String name, int major, int minor, long flags) {
    }

    private static final byte[] PKCS11_INTERFACE_NAME = "PKCS 11\0".getBytes(StandardCharsets.US_ASCII);

    private final Path path;
    private final NativeLibrary library;
    private final Pkcs11Functions functions;
    private final Object initLock = new Object();
    private boolean initializedHere;

    private Pkcs11Library(Path path, NativeLibrary library, Pkcs11Functions functions) {
        this.path = path;
        this.library = library;
        this.functions = functions;
    }

    /** Loads the module at {@code path}, preferring its PKCS#11 3.0 interface. */
    public static Pkcs11Library load(Path path) throws ModuleLoadException {
        return load(path, InterfaceChoice.PREFER_3_0);
    }

    /**
     * Loads the module at {@code path}.
     *
     * @throws ModuleNotFoundException no readable file there
     * @throws WrongArchitectureException the file is a library for another architecture
     * @throws NotAPkcs11ModuleException the file is not a shared library, or exports no PKCS#11 entry point
     * @throws ModuleLoadException the library could not be loaded for another reason (named in the message)
     */
    public static Pkcs11Library load(Path path, InterfaceChoice choice) throws ModuleLoadException {
        Path file = path.toAbsolutePath().normalize();
        if (!Files.exists(file)) {
            throw new ModuleNotFoundException(file, "no such file");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new ModuleNotFoundException(file, "not a readable file");
        }
        BinaryFormat.check(file);

        NativeLibrary lib;
        try {
            lib = NativeLibrary.getInstance(file.toString(), openOptions());
        } catch (UnsatisfiedLinkError e) {
            throw BinaryFormat.classifyLoadError(file, e);
        }
        Abi abi = Abi.NATIVE;
        Pkcs11Functions fl = null;
        if (choice == InterfaceChoice.PREFER_3_0) {
            fl = viaGetInterface(lib, abi);
        }
        if (fl == null) {
            fl = viaGetFunctionList(file, lib, abi);
        }
        return new Pkcs11Library(file, lib, fl);
    }

    /** dlopen flags {@code RTLD_LAZY | RTLD_LOCAL} (RTLD_LOCAL is 0 on Linux, 4 on macOS); none on Windows. */
    private static java.util.Map<String, Object> openOptions() {
        if (Platform.isWindows()) {
            return java.util.Map.of();
        }
        int rtldLazy = 1;
        int rtldLocal = Platform.isMac() ? 4 : 0;
        return java.util.Map.of(Library.OPTION_OPEN_FLAGS, rtldLazy | rtldLocal);
    }

    private static Function exported(NativeLibrary lib, String name) {
        try {
            return lib.getFunction(name);
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    /** The 3.0 function list, or null when the module has no {@code C_GetInterface} or refuses 3.0. */
    private static Pkcs11Functions viaGetInterface(NativeLibrary lib, Abi abi) {
        Function getInterface = exported(lib, "C_GetInterface");
        if (getInterface == null) {
            return null;
        }
        Memory name = new Memory(PKCS11_INTERFACE_NAME.length);
        name.write(0, PKCS11_INTERFACE_NAME, 0, PKCS11_INTERFACE_NAME.length);
        Memory version = Structs.CK_VERSION.layout().allocate();
        version.setByte(0, (byte) 3);
        version.setByte(1, (byte) 0);
        Memory ppInterface = new Memory(abi.pointerSize());
        ppInterface.setPointer(0, null);
        long rv = abi.callRv(getInterface, name, version, ppInterface, abi.ulongArg(0));
        Pointer iface = ppInterface.getPointer(0);
        if (rv != CKR_OK || iface == null) {
            return null;
        }
        Pointer list = Structs.CK_INTERFACE.layout().field("pFunctionList").getPointer(iface);
        if (list == null) {
            return null;
        }
        int major = Byte.toUnsignedInt(list.getByte(0));
        int minor = Byte.toUnsignedInt(list.getByte(1));
        int count = major >= 3 ? Pkcs11Function.COUNT_V3_0 : Pkcs11Function.COUNT_V2;
        Pointer[] pointers = readPointers(list, abi, count);
        return new JnaFunctionList(abi, new int[] {major, minor}, pointers, DirectCallBinder.bind(lib, abi, pointers));
    }

    private static Pkcs11Functions viaGetFunctionList(Path file, NativeLibrary lib, Abi abi) throws ModuleLoadException {
        Function getFunctionList = exported(lib, "C_GetFunctionList");
        if (getFunctionList == null) {
            throw new NotAPkcs11ModuleException(file, "a shared library, but it exports no C_GetFunctionList:"
                    + " not a PKCS#11 module", null);
        }
        Memory pp = new Memory(abi.pointerSize());
        pp.setPointer(0, null);
        long rv = abi.callRv(getFunctionList, pp);
        Pointer list = pp.getPointer(0);
        if (rv != CKR_OK || list == null) {
            throw new NotAPkcs11ModuleException(file, "C_GetFunctionList failed: "
                    + Pkcs11Constants.rvName(rv) + (list == null ? " (no function list)" : ""), null);
        }
        int major = Byte.toUnsignedInt(list.getByte(0));
        int minor = Byte.toUnsignedInt(list.getByte(1));
        // C_GetFunctionList hands out a CK_FUNCTION_LIST even from a 3.0 module: 68 pointers, no more.
        Pointer[] pointers = readPointers(list, abi, Pkcs11Function.COUNT_V2);
        return new JnaFunctionList(abi, new int[] {major, minor}, pointers, DirectCallBinder.bind(lib, abi, pointers));
    }

    private static Pointer[] readPointers(Pointer list, Abi abi, int count) {
        StructLayout layout = (count == Pkcs11Function.COUNT_V3_0 ? Structs.CK_FUNCTION_LIST_3_0 : Structs.CK_FUNCTION_LIST)
                .layout(abi);
        Pkcs11Function[] all = Pkcs11Function.values();
        Pointer[] out = new Pointer[count];
        for (int i = 0; i < count; i++) {
            out[i] = layout.field(all[i].name()).getPointer(list);
        }
        return out;
    }

    /** The JNA library the module was opened as (RTLD_LOCAL): for the sys layer's own tests. */
    NativeLibrary nativeLibrary() {
        return library;
    }

    /** The absolute path the module was loaded from. */
    public Path path() {
        return path;
    }

    /** The module's functions. */
    public Pkcs11Functions functions() {
        return functions;
    }

    /** The version of the function list in use, e.g. {@code [3, 0]} or {@code [2, 40]}. */
    public int[] functionListVersion() {
        return functions.functionListVersion();
    }

    /**
     * The interfaces the module offers ({@code C_GetInterfaceList}, PKCS#11 3.0), or an empty list
     * for a 2.x module.
     */
    public List<InterfaceInfo> interfaces() throws Pkcs11Exception {
        Function f = exported(library, "C_GetInterfaceList");
        if (f == null) {
            return List.of();
        }
        Abi abi = functions.abi();
        StructLayout layout = Structs.CK_INTERFACE.layout(abi);
        TwoCall.Result r = TwoCall.elements(Pkcs11Function.C_GetInterfaceList, abi, layout.size(),
                (buf, len) -> abi.callRv(f, buf, len));
        int n = (int) r.count();
        Memory array = r.buffer();
        List<InterfaceInfo> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Pointer entry = array.share(i * layout.size());
            Pointer name = layout.field("pInterfaceName").getPointer(entry);
            Pointer list = layout.field("pFunctionList").getPointer(entry);
            out.add(new InterfaceInfo(
                    name == null ? "" : name.getString(0, StandardCharsets.UTF_8.name()),
                    list == null ? 0 : Byte.toUnsignedInt(list.getByte(0)),
                    list == null ? 0 : Byte.toUnsignedInt(list.getByte(1)),
                    layout.field("flags").getULong(entry)));
        }
        return out;
    }

    /**
     * {@code C_Initialize} with {@code CKF_OS_LOCKING_OK}.
     *
     * @param reserved the string passed as {@code pReserved} (NSS softokn's configuration), or null
     * @return whether this call initialized the module or found it initialized already
     * @throws Pkcs11Exception any other {@code CK_RV}
     */
    public Initialization initialize(String reserved) throws Pkcs11Exception {
        return initialize(reserved, functions);
    }

    /**
     * {@link #initialize(String)} with the call made through {@code via}: a decorator of this
     * library's functions (a tracing or fault-injecting layer that must see re-initializations).
     */
    public Initialization initialize(String reserved, Pkcs11Functions via) throws Pkcs11Exception {
        StructLayout layout = Structs.CK_C_INITIALIZE_ARGS.layout(functions.abi());
        // One zeroed pointer beyond the standard structure: NSS's CK_C_INITIALIZE_ARGS has a
        // seventh member (its standard pReserved is named LibraryParameters) and reads it.
        Memory args = new Memory(layout.size() + functions.abi().pointerSize());
        args.clear();
        layout.field("flags").setULong(args, CKF_OS_LOCKING_OK);
        Memory reservedString = null;
        if (reserved != null) {
            byte[] bytes = reserved.getBytes(StandardCharsets.UTF_8);
            reservedString = new Memory(bytes.length + 1L);
            reservedString.write(0, bytes, 0, bytes.length);
            reservedString.setByte(bytes.length, (byte) 0);
            layout.field("pReserved").setPointer(args, reservedString);
        }
        synchronized (initLock) {
            long rv = via.C_Initialize(args);
            // Only the native pointer in args refers to the string: keep the Memory (and its native
            // block, which JNA frees when the Memory is collected) alive until the module has read it.
            java.lang.ref.Reference.reachabilityFence(reservedString);
            if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
                return Initialization.ALREADY_INITIALIZED;
            }
            Pkcs11Exception.check(Pkcs11Function.C_Initialize, rv);
            initializedHere = true;
            return Initialization.INITIALIZED;
        }
    }

    /**
     * {@code C_Finalize}, if {@link #initialize(String)} initialized the module; otherwise nothing.
     *
     * @return whether {@code C_Finalize} was called
     */
    public boolean finalizeModule() throws Pkcs11Exception {
        synchronized (initLock) {
            if (!initializedHere) {
                return false;
            }
            initializedHere = false;
            Pkcs11Exception.check(Pkcs11Function.C_Finalize, functions.C_Finalize(Pointer.NULL));
            return true;
        }
    }

    @Override
    public String toString() {
        int[] v = functions.functionListVersion();
        return "Pkcs11Library[" + path + ", function list " + v[0] + "." + v[1] + "]";
    }

    /** Recognises the executable format of a file before the dynamic loader sees it, to name problems clearly. */
    static final class BinaryFormat {

        private BinaryFormat() {
        }

        /** Throws if {@code file} is an ELF file for another machine or word size than this JVM. */
        static void check(Path file) throws ModuleLoadException {
            byte[] head = new byte[20];
            int n;
            try (InputStream in = Files.newInputStream(file)) {
                n = in.readNBytes(head, 0, head.length);
            } catch (IOException e) {
                throw new ModuleNotFoundException(file, "cannot be read: " + e.getMessage());
            }
            boolean elf = n >= 20 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
            if (!elf) {
                return; // Mach-O, PE, or not a library at all: the loader's error says which.
            }
            int elfClass = head[4];
            boolean littleEndian = head[5] == 1;
            int machine = littleEndian
                    ? (head[18] & 0xff) | (head[19] & 0xff) << 8
                    : (head[19] & 0xff) | (head[18] & 0xff) << 8;
            int wantClass = com.sun.jna.Native.POINTER_SIZE == 8 ? 2 : 1;
            int wantMachine = elfMachine(System.getProperty("os.arch", ""));
            if (elfClass != wantClass || (wantMachine >= 0 && machine != wantMachine)) {
                throw new WrongArchitectureException(file, describe(elfClass, machine),
                        describe(wantClass, wantMachine), null);
            }
        }

        /** Turns the loader's error into the right exception type. */
        static ModuleLoadException classifyLoadError(Path file, UnsatisfiedLinkError e) {
            String msg = String.valueOf(e.getMessage());
            String lower = msg.toLowerCase(Locale.ROOT);
            if (lower.contains("wrong elf class") || lower.contains("wrong architecture")
                    || lower.contains("elf file's phentsize") || lower.contains("not a valid win32 application")) {
                return new WrongArchitectureException(file, "another architecture", "this JVM's", e);
            }
            if (lower.contains("invalid elf header") || lower.contains("file too short")
                    || lower.contains("not a mach-o file") || lower.contains("slide")) {
                return new NotAPkcs11ModuleException(file, "not a shared library (" + loaderDetail(file, msg) + ")", e);
            }
            return new ModuleLoadException(file, "cannot be loaded: " + loaderDetail(file, msg), e);
        }

        /**
         * The dynamic loader's own words from JNA's error, once: JNA's message repeats them per attempt,
         * on several lines, and ends with a line listing the whole class path.
         */
        static String loaderDetail(Path file, String jnaMessage) {
            String prefix = file + ": ";
            for (String line : jnaMessage.split("\\R")) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("Unable to load library") || l.startsWith("Native library (")) {
                    continue;
                }
                return l.startsWith(prefix) ? l.substring(prefix.length()) : l;
            }
            return jnaMessage.strip();
        }

        private static int elfMachine(String osArch) {
            switch (osArch) {
                case "amd64": case "x86_64": return 62;
                case "x86": case "i386": case "i486": case "i586": case "i686": return 3;
                case "aarch64": case "arm64": return 183;
                case "arm": return 40;
                case "ppc64le": case "ppc64": return 21;
                case "s390x": return 22;
                case "riscv64": return 243;
                default: return -1;
            }
        }

        private static String describe(int elfClass, int machine) {
            String bits = elfClass == 1 ? "32-bit" : elfClass == 2 ? "64-bit" : "unknown-class";
            String arch;
            switch (machine) {
                case 62: arch = "x86-64"; break;
                case 3: arch = "i386"; break;
                case 183: arch = "AArch64"; break;
                case 40: arch = "ARM"; break;
                case 21: arch = "PowerPC64"; break;
                case 22: arch = "s390"; break;
                case 243: arch = "RISC-V"; break;
                case -1: arch = "this machine"; break;
                default: arch = "machine " + machine;
            }
            return "ELF " + bits + " " + arch;
        }
    }
}
