// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link SessionPool}.
 *
 * @param maxSessions     most sessions open at once (also capped by the token's {@code ulMaxSessionCount})
 * @param readWrite       open read-write sessions (needed to create or destroy token objects)
 * @param borrowTimeout   longest wait for a free session
 * @param recoveryTimeout longest a caller waits for the token to come back after a fault
 * @param validateAfter   an idle session older than this is checked ({@code C_GetSessionInfo}) before reuse
 */
public record PoolConfig(int maxSessions, boolean readWrite, Duration borrowTimeout, Duration recoveryTimeout,
                         Duration validateAfter) {

    public PoolConfig {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be at least 1, not " + maxSessions);
        }
        Objects.requireNonNull(borrowTimeout, "borrowTimeout");
        Objects.requireNonNull(recoveryTimeout, "recoveryTimeout");
        Objects.requireNonNull(validateAfter, "validateAfter");
    }

    /** 16 read-write sessions, 30 s to borrow, 10 s to recover, validation after 30 s idle. */
    public static PoolConfig defaults() {
        return new PoolConfig(16, true, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    public PoolConfig withMaxSessions(int n) {
        return new PoolConfig(n, readWrite, borrowTimeout, recoveryTimeout, validateAfter);
    }

    public PoolConfig withReadWrite(boolean rw) {
        return new PoolConfig(maxSessions, rw, borrowTimeout, recoveryTimeout, validateAfter);
    }

    public PoolConfig withBorrowTimeout(Duration d) {
        return new PoolConfig(maxSessions, readWrite, d, recoveryTimeout, validateAfter);
    }

    public PoolConfig withRecoveryTimeout(Duration d) {
        return new PoolConfig(maxSessions, readWrite, borrowTimeout, d, validateAfter);
    }

    public PoolConfig withValidateAfter(Duration d) {
        return new PoolConfig(maxSessions, readWrite, borrowTimeout, recoveryTimeout, d);
    }
}
