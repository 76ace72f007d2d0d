// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.PooledSession;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.attribute.Template;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What one KeyStore write has done so far — objects created, attributes changed — so that a
 * failure half-way undoes it: nothing half-written stays on the token.
 */
final class WriteLog {

    private static final Logger LOG = Logger.getLogger(WriteLog.class.getName());

    /** One step and how to undo it. */
    private sealed interface Step permits Created, Changed {
    }

    /** An object created: destroyed on undo. */
    private record Created(TokenObject object) implements Step {
    }

    /** An object's attributes changed: {@code before} is set again on undo; {@code after} is its new state. */
    private record Changed(TokenObject after, Template before) implements Step {
    }

    private final List<Step> steps = new ArrayList<>();

    void created(TokenObject o) {
        steps.add(new Created(o));
    }

    /** {@code after} (same handle, new id/label) was changed from the attributes in {@code before}. */
    void changed(TokenObject after, Template before) {
        steps.add(new Changed(after, before));
    }

    /** The objects as they now are, created or changed (for the index). */
    List<TokenObject> touched() {
        List<TokenObject> out = new ArrayList<>();
        for (Step s : steps) {
            out.add(s instanceof Created c ? c.object() : ((Changed) s).after());
        }
        return out;
    }

    /** Handles of the objects changed in place: the index forgets their old state. */
    List<Long> changedHandles() {
        List<Long> out = new ArrayList<>();
        for (Step s : steps) {
            if (s instanceof Changed c) {
                out.add(c.after().handle());
            }
        }
        return out;
    }

    /**
     * Undoes every step, newest first, on {@code session} — or, if that session is gone, on a fresh
     * one. What cannot be undone is named in a suppressed exception on {@code failure}.
     */
    void rollback(TokenContext context, Session session, Exception failure) {
        List<Step> left = new ArrayList<>(steps);
        Collections.reverse(left);
        left = undo(session, left, null);
        if (!left.isEmpty()) {
            try (PooledSession fresh = context.pool().borrow()) {
                left = undo(fresh.session(), left, failure);
            } catch (Pkcs11Exception | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
        if (!left.isEmpty()) {
            failure.addSuppressed(new IllegalStateException("could not undo what the failed write had done: " + left));
            LOG.log(Level.WARNING, "KeyStore write failed and could not undo: {0}", left);
        }
        steps.clear();
    }

    private static List<Step> undo(Session s, List<Step> steps, Exception failure) {
        List<Step> left = new ArrayList<>();
        for (Step step : steps) {
            try {
                if (step instanceof Created c) {
                    s.destroyObject(c.object().handle());
                } else if (step instanceof Changed c) {
                    s.setAttributes(c.after().handle(), c.before());
                }
            } catch (Pkcs11Exception | RuntimeException e) {
                left.add(step);
                if (failure != null) {
                    failure.addSuppressed(e);
                }
            }
        }
        return left;
    }
}
