// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import com.sun.jna.Function;
import com.sun.jna.Pointer;

/**
 * The function pointers of one function list and the single place that calls them. Kept apart
 * from the generated {@link JnaFunctionList} so that the calling convention is hand-written code.
 */
abstract class FunctionPointers {

    protected final Abi abi;
    private final int[] version;
    private final Function[] functions;

    FunctionPointers(Abi abi, int[] version, Pointer[] pointers) {
        this.abi = abi;
        this.version = version.clone();
        this.functions = new Function[Pkcs11Function.COUNT_V3_0];
        for (int i = 0; i < pointers.length && i < functions.length; i++) {
            functions[i] = pointers[i] == null ? null : Function.getFunction(pointers[i], Function.C_CONVENTION);
        }
    }

    public final Abi abi() {
        return abi;
    }

    public final int[] functionListVersion() {
        return version.clone();
    }

    public final boolean isSupported(Pkcs11Function function) {
        return functions[function.ordinal()] != null;
    }

    /** Calls {@code function} with arguments already in native form; returns its {@code CK_RV}. */
    protected final long call(Pkcs11Function function, Object... args) {
        Function f = functions[function.ordinal()];
        if (f == null) {
            return Pkcs11Constants.CKR_FUNCTION_NOT_SUPPORTED;
        }
        return abi.callRv(f, args);
    }
}
