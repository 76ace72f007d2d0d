// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

/** A session borrowed from a {@link SessionPool}; {@link #close()} gives it back. */
public final class PooledSession implements AutoCloseable {

    private final SessionPool pool;
    private final Session session;
    private final long epoch;
    private boolean discard;
    private boolean dead;
    private boolean returned;

    PooledSession(SessionPool pool, Session session, long epoch) {
        this.pool = pool;
        this.session = session;
        this.epoch = epoch;
    }

    /** The session; for this borrower only until {@link #close()}. */
    public Session session() {
        if (returned) {
            throw new IllegalStateException("session was given back to the pool");
        }
        return session;
    }

    /** The pool's epoch when the session was borrowed. */
    long epoch() {
        return epoch;
    }

    /** Close the session instead of reusing it (it is broken, or holds an operation that cannot be ended). */
    public void discard() {
        discard = true;
    }

    /** Drop the session without closing it: the token already dropped it (see {@link Session#abandon()}). */
    void abandon() {
        discard = true;
        dead = true;
    }

    @Override
    public void close() {
        if (!returned) {
            returned = true;
            if (dead) {
                session.abandon();
            }
            pool.giveBack(session, discard, epoch);
        }
    }
}
