// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.mac;

import io.p11j.provider.key.P11SecretKey;
import io.p11j.provider.service.ServiceDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code Mac} services: {@code HmacSHA1}, {@code HmacSHA224}, {@code HmacSHA256},
 * {@code HmacSHA384}, {@code HmacSHA512}, {@code HmacSHA3-224} … {@code HmacSHA3-512} and
 * {@code AESCMAC}, each registered where the token lists its mechanism ({@code CKM_SHA256_HMAC}, …,
 * {@code CKM_AES_CMAC}), with the JDK's names and OIDs. The unconfigured provider offers them all,
 * for P11J keys (each checked against the key's own token at {@code init}).
 *
 * <p>{@code supportsParameter} accepts only P11J secret keys of a type the mechanism takes on a token
 * that has it: a software key is declined, so that with P11J first in the provider list the JCA's
 * delayed selection gives it to SunJCE (JSSE's HMACs never reach the token). The JCA skips that
 * selection when a {@code Mac} is used before {@code init} ({@code getMacLength()}, as JSSE's HKDF
 * does): it then takes the first provider's engine, without a key. An engine created for that
 * ({@code javax.crypto.Mac.chooseFirstProvider} on the stack) hands software keys on to software.
 */
public final class MacServices {

    private static final StackWalker WALKER = StackWalker.getInstance();

    private MacServices() {
    }

    /** Whether the JCA is choosing the first provider's engine for an unqualified {@code Mac} before it has a key. */
    static boolean chosenBeforeTheKey() {
        return WALKER.walk(frames -> frames.limit(16).anyMatch(
                f -> f.getMethodName().equals("chooseFirstProvider") && f.getClassName().equals("javax.crypto.Mac")));
    }

    /** Every MAC service, whatever the token; {@code ServiceTable} keeps those the token can do. */
    public static List<ServiceDescriptor> descriptors() {
        List<ServiceDescriptor> all = new ArrayList<>();
        for (MacAlgorithm a : MacAlgorithm.values()) {
            all.add(new ServiceDescriptor("Mac", a.jcaName(), a.aliases(), new long[] {a.mechanism()}, true, P11Mac.class,
                    context -> new P11Mac(a, chosenBeforeTheKey()), (context, key) -> key instanceof P11SecretKey k && a.takes(k),
                    Map.of("SupportedKeyClasses", "io.p11j.provider.P11jKey")));
        }
        return all;
    }
}
