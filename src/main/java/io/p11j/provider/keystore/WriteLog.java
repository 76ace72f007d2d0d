// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.PooledSession;
import io.p11j.wrapper.Session;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The objects one KeyStore write has created so far, so that a failure half-way destroys them
 * again: nothing half-written stays on the token.
 */
final class WriteLog {

    private static final Logger LOG = Logger.getLogger(WriteLog.class.getName());

    private final List<TokenObject> created = new ArrayList<>();

    void created(TokenObject o) {
        created.add(o);
    }

    List<TokenObject> created() {
        return List.copyOf(created);
    }

    /**
     * Destroys what was created, newest first, on {@code session} — or, if that session is gone,
     * on a fresh one. What cannot be destroyed is named in a suppressed exception on {@code failure}.
     */
    void rollback(TokenContext context, Session session, Exception failure) {
        List<TokenObject> left = new ArrayList<>(created);
        java.util.Collections.reverse(left);
        left = destroy(session, left, null);
        if (!left.isEmpty()) {
            try (PooledSession fresh = context.pool().borrow()) {
                left = destroy(fresh.session(), left, failure);
            } catch (Pkcs11Exception | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
        if (!left.isEmpty()) {
            failure.addSuppressed(new IllegalStateException("could not remove what the failed write had created: " + left));
            LOG.log(Level.WARNING, "KeyStore write failed and left objects on the token: {0}", left);
        }
        created.clear();
    }

    private static List<TokenObject> destroy(Session s, List<TokenObject> objects, Exception failure) {
        List<TokenObject> left = new ArrayList<>();
        for (TokenObject o : objects) {
            try {
                s.destroyObject(o.handle());
            } catch (Pkcs11Exception | RuntimeException e) {
                left.add(o);
                if (failure != null) {
                    failure.addSuppressed(e);
                }
            }
        }
        return left;
    }
}
