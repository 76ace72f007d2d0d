// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.InterceptingFunctions;
import io.p11j.sys.Pkcs11Constants;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * Logs every PKCS#11 call — function, {@code CK_RV} by name, duration — to the {@code System.Logger}
 * named {@code io.p11j.trace}: {@code TRACE} for successful calls, {@code DEBUG} for failed ones.
 * Arguments are never logged, so PINs and key material cannot appear in a trace.
 *
 * <pre>{@code
 * Pkcs11Module.open(path, ModuleOptions.defaults().withDecorator(TracingFunctions::new));
 * }</pre>
 */
public final class TracingFunctions extends InterceptingFunctions {

    private static final Logger LOG = System.getLogger("io.p11j.trace");
    private static final ThreadLocal<long[]> START = ThreadLocal.withInitial(() -> new long[1]);

    public TracingFunctions(Pkcs11Functions delegate) {
        super(delegate);
    }

    @Override
    protected void beforeCall(Pkcs11Function function) {
        START.get()[0] = System.nanoTime();
    }

    @Override
    protected long afterCall(Pkcs11Function function, long rv) {
        Level level = rv == Pkcs11Constants.CKR_OK ? Level.TRACE : Level.DEBUG;
        if (LOG.isLoggable(level)) {
            long micros = (System.nanoTime() - START.get()[0]) / 1000;
            LOG.log(level, () -> function + " -> " + Pkcs11Constants.rvName(rv) + " (" + micros + " µs)");
        }
        return rv;
    }
}
