// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.sys.Pkcs11Function;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.AttributeValues;
import io.p11j.wrapper.attribute.Template;

import java.util.HexFormat;
import java.util.List;

import static io.p11j.sys.Pkcs11Constants.CKR_OBJECT_HANDLE_INVALID;

/**
 * A token object known by its identity — class, {@code CKA_ID} and label — as well as its handle,
 * so that it can be found again after a {@link SessionPool} recovery changes handles. Thread-safe.
 * Only token objects ({@code CKA_TOKEN=true}) survive a token restart; session objects do not.
 */
public final class ObjectRef {

    private final SessionPool pool;
    private final long objectClass;
    private final byte[] id;
    private final String label;
    private volatile long handle;
    private volatile long epoch;

    private ObjectRef(SessionPool pool, long objectClass, byte[] id, String label, long handle, long epoch) {
        this.pool = pool;
        this.objectClass = objectClass;
        this.id = id;
        this.label = label;
        this.handle = handle;
        this.epoch = epoch;
    }

    static ObjectRef of(SessionPool pool, Session session, long handle) throws Pkcs11Exception {
        long e = pool.epoch();
        AttributeValues v = session.getAttributes(handle, AttributeType.CLASS, AttributeType.ID, AttributeType.LABEL);
        return new ObjectRef(pool, v.require(AttributeType.CLASS), v.get(AttributeType.ID).orElse(null),
                v.get(AttributeType.LABEL).orElse(null), handle, e);
    }

    static ObjectRef known(SessionPool pool, long handle, long objectClass, byte[] id, String label) {
        return new ObjectRef(pool, objectClass, id == null ? null : id.clone(), label, handle, pool.epoch());
    }

    /** The object's handle for use on {@code session} (a session of the same pool), found again if needed. */
    public long handle(Session session) throws Pkcs11Exception {
        long current = pool.epoch();
        if (epoch == current) {
            return handle;
        }
        synchronized (this) {
            if (epoch != current) {
                handle = refind(session);
                epoch = current;
            }
            return handle;
        }
    }

    private long refind(Session session) throws Pkcs11Exception {
        Template.Builder t = Template.builder().objectClass(objectClass);
        if (id != null) {
            t.id(id);
        }
        if (label != null) {
            t.label(label);
        }
        List<Long> found = session.findAll(t.build());
        if (found.size() == 1) {
            return found.get(0);
        }
        throw new Pkcs11Exception(Pkcs11Function.C_FindObjects, CKR_OBJECT_HANDLE_INVALID,
                (found.isEmpty() ? "no longer on the token: " : "no longer unique (" + found.size() + " objects): ") + this);
    }

    public long objectClass() {
        return objectClass;
    }

    public byte[] id() {
        return id == null ? null : id.clone();
    }

    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return "ObjectRef[" + io.p11j.sys.Pkcs11Constants.objectClassName(objectClass)
                + (label == null ? "" : ", label '" + label + "'")
                + (id == null ? "" : ", id " + HexFormat.of().formatHex(id)) + "]";
    }
}
