// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The call trace names functions and results, and never a PIN. */
@ExtendWith(SoftHsmExtension.class)
class TracingFunctionsIT {

    @Test
    void traceShowsCallsAndResultsButNoPin(TestToken fixture) throws Exception {
        Logger jul = Logger.getLogger("io.p11j.trace");
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.setLevel(Level.ALL);
        jul.addHandler(capture);
        try (Pkcs11Module module = Pkcs11Module.open(SoftHsm.get().modulePath(),
                ModuleOptions.defaults().withDecorator(TracingFunctions::new))) {
            long slot = SoftHsmExtension.slotOf(module.functions(), fixture.label());
            try (Session s = module.slot(slot).token().openSession(false)) {
                assertThatThrownBy(() -> s.login(UserType.USER, "secret-wrong-pin".toCharArray()))
                        .isInstanceOf(Pkcs11Errors.PinIncorrectException.class);
                s.login(UserType.USER, fixture.userPinChars());
                s.generateRandom(16);
            }
        } finally {
            jul.removeHandler(capture);
        }
        assertThat(lines).anyMatch(l -> l.startsWith("FINER C_OpenSession -> CKR_OK ("));
        assertThat(lines).anyMatch(l -> l.startsWith("FINE C_Login -> CKR_PIN_INCORRECT ("));
        assertThat(lines).anyMatch(l -> l.startsWith("FINER C_GenerateRandom -> CKR_OK"));
        assertThat(String.join("\n", lines)).doesNotContain("secret-wrong-pin").doesNotContain(fixture.userPin());
    }
}
