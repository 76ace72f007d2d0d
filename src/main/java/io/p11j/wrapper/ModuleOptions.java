// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.Pkcs11Library;

import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * How to open a module: the {@code pReserved} initialization string (NSS softokn's configuration),
 * which function list to use, and an optional decorator of the function table (tracing, fault
 * injection) for this handle's calls. Immutable.
 */
public final class ModuleOptions {

    private static final ModuleOptions DEFAULTS =
            new ModuleOptions(null, Pkcs11Library.InterfaceChoice.PREFER_3_0, UnaryOperator.identity());

    private final String reserved;
    private final Pkcs11Library.InterfaceChoice interfaceChoice;
    private final UnaryOperator<Pkcs11Functions> decorator;

    private ModuleOptions(String reserved, Pkcs11Library.InterfaceChoice interfaceChoice,
                          UnaryOperator<Pkcs11Functions> decorator) {
        this.reserved = reserved;
        this.interfaceChoice = interfaceChoice;
        this.decorator = decorator;
    }

    public static ModuleOptions defaults() {
        return DEFAULTS;
    }

    /** With {@code reserved} passed as {@code CK_C_INITIALIZE_ARGS.pReserved}. */
    public ModuleOptions withReserved(String reserved) {
        return new ModuleOptions(reserved, interfaceChoice, decorator);
    }

    public ModuleOptions withInterfaceChoice(Pkcs11Library.InterfaceChoice choice) {
        return new ModuleOptions(reserved, Objects.requireNonNull(choice), decorator);
    }

    /** With {@code decorator} wrapped around the function table for this handle's calls. */
    public ModuleOptions withDecorator(UnaryOperator<Pkcs11Functions> decorator) {
        return new ModuleOptions(reserved, interfaceChoice, Objects.requireNonNull(decorator));
    }

    public String reserved() {
        return reserved;
    }

    public Pkcs11Library.InterfaceChoice interfaceChoice() {
        return interfaceChoice;
    }

    UnaryOperator<Pkcs11Functions> decorator() {
        return decorator;
    }

    @Override
    public String toString() {
        // pReserved may carry paths and settings, never a PIN by itself; still keep it out of logs.
        return "ModuleOptions[" + interfaceChoice + (reserved == null ? "" : ", pReserved set") + "]";
    }
}
