// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import io.p11j.sys.InterceptingFunctions;
import io.p11j.sys.Pkcs11Constants;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A decorator (for {@code ModuleOptions.withDecorator}) that records every call a module handle
 * makes and what it returned, so that a test can show which {@code CK_RV}s a real fault produced.
 * Thread-safe. A recovery's re-initialization goes through the decorator too, so {@code C_Finalize}
 * and {@code C_Initialize} show here.
 */
public final class CallLog {

    /** One call and its {@code CK_RV}. */
    public record Call(Pkcs11Function function, long rv) {
        @Override
        public String toString() {
            return function + "=" + Pkcs11Constants.rvName(rv);
        }
    }

    private final List<Call> calls = new ArrayList<>();

    /** The decorator to pass to {@code ModuleOptions.withDecorator}. */
    public UnaryOperator<Pkcs11Functions> decorator() {
        return delegate -> new InterceptingFunctions(delegate) {
            @Override
            protected void beforeCall(Pkcs11Function function) {
            }

            @Override
            protected long afterCall(Pkcs11Function function, long rv) {
                synchronized (calls) {
                    calls.add(new Call(function, rv));
                }
                return rv;
            }
        };
    }

    /** A mark for {@link #since(int)}. */
    public int mark() {
        synchronized (calls) {
            return calls.size();
        }
    }

    /** The calls recorded since {@code mark}. */
    public List<Call> since(int mark) {
        synchronized (calls) {
            return List.copyOf(calls.subList(mark, calls.size()));
        }
    }

    /** The calls since {@code mark} that did not return {@code CKR_OK}. */
    public List<Call> failuresSince(int mark) {
        return since(mark).stream().filter(c -> c.rv() != Pkcs11Constants.CKR_OK).toList();
    }

    /** How many calls of {@code function} since {@code mark}. */
    public long count(int mark, Pkcs11Function function) {
        return since(mark).stream().filter(c -> c.function() == function).count();
    }
}
