// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import com.sun.jna.Pointer;
import io.p11j.sys.ForwardingFunctions;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.p11j.sys.Pkcs11Constants.CKR_OK;

/**
 * A fault-injecting function table over the real module (a decorator, not a mock): it counts calls,
 * returns chosen {@code CKR_*} codes instead of calling, can make the module "fail until
 * re-initialized", and checks that no two threads interleave a sign operation on one session.
 */
public final class FaultInjector extends ForwardingFunctions {

    private final Map<Pkcs11Function, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<Pkcs11Function, AtomicInteger> failTimes = new ConcurrentHashMap<>();
    private final Map<Pkcs11Function, Long> failCode = new ConcurrentHashMap<>();
    private final AtomicLong failAllCode = new AtomicLong(CKR_OK);
    private volatile boolean failAllSurvivesInit;
    private final Map<Long, Thread> signOwners = new ConcurrentHashMap<>();
    private final AtomicInteger interleavings = new AtomicInteger();

    public FaultInjector(Pkcs11Functions delegate) {
        super(delegate);
    }

    /** The next {@code times} calls of {@code function} return {@code rv} without reaching the module. */
    public void failNext(Pkcs11Function function, long rv, int times) {
        failCode.put(function, rv);
        failTimes.put(function, new AtomicInteger(times));
    }

    /** Every call returns {@code rv} until {@code C_Initialize} succeeds (as p11-kit's client does after its server restarts). */
    public void failAllUntilReinitialized(long rv) {
        failAllSurvivesInit = false;
        failAllCode.set(rv);
    }

    /** Every call returns {@code rv}, re-initialization or not (a token that never comes back). */
    public void failAllForever(long rv) {
        failAllSurvivesInit = true;
        failAllCode.set(rv);
    }

    /** Stops {@link #failAllForever} / {@link #failAllUntilReinitialized}. */
    public void heal() {
        failAllCode.set(CKR_OK);
    }

    /**
     * A real fault: the module closes every session on {@code slot}, as a token reset does. Only
     * while no other thread is in a call: SoftHSM2 2.6.1 crashes when {@code C_CloseAllSessions}
     * races with {@code C_Sign} on one of the sessions it closes.
     */
    public long dropAllSessions(long slot) {
        return delegate().C_CloseAllSessions(slot);
    }

    public int calls(Pkcs11Function function) {
        AtomicInteger n = calls.get(function);
        return n == null ? 0 : n.get();
    }

    /** How often a C_Sign ran on a session whose C_SignInit came from another thread. */
    public int interleavings() {
        return interleavings.get();
    }

    /** Counts the call and returns the injected code, or null to pass it through. */
    private Long intercept(Pkcs11Function f) {
        calls.computeIfAbsent(f, k -> new AtomicInteger()).incrementAndGet();
        long all = failAllCode.get();
        if (all != CKR_OK && f != Pkcs11Function.C_Finalize && f != Pkcs11Function.C_Initialize) {
            return all;
        }
        AtomicInteger left = failTimes.get(f);
        if (left != null && left.getAndDecrement() > 0) {
            return failCode.get(f);
        }
        return null;
    }

    @Override
    public long C_Initialize(Pointer pInitArgs) {
        Long injected = intercept(Pkcs11Function.C_Initialize);
        if (injected != null) {
            return injected;
        }
        long rv = delegate().C_Initialize(pInitArgs);
        if (rv == CKR_OK && !failAllSurvivesInit) {
            failAllCode.set(CKR_OK);
        }
        return rv;
    }

    @Override
    public long C_Finalize(Pointer pReserved) {
        Long injected = intercept(Pkcs11Function.C_Finalize);
        return injected != null ? injected : delegate().C_Finalize(pReserved);
    }

    @Override
    public long C_GetInfo(Pointer pInfo) {
        Long injected = intercept(Pkcs11Function.C_GetInfo);
        return injected != null ? injected : delegate().C_GetInfo(pInfo);
    }

    @Override
    public long C_GetSlotList(byte tokenPresent, Pointer pSlotList, Pointer pulCount) {
        Long injected = intercept(Pkcs11Function.C_GetSlotList);
        return injected != null ? injected : delegate().C_GetSlotList(tokenPresent, pSlotList, pulCount);
    }

    @Override
    public long C_GetTokenInfo(long slotID, Pointer pInfo) {
        Long injected = intercept(Pkcs11Function.C_GetTokenInfo);
        return injected != null ? injected : delegate().C_GetTokenInfo(slotID, pInfo);
    }

    @Override
    public long C_OpenSession(long slotID, long flags, Pointer pApplication, Pointer notify, Pointer phSession) {
        Long injected = intercept(Pkcs11Function.C_OpenSession);
        return injected != null ? injected : delegate().C_OpenSession(slotID, flags, pApplication, notify, phSession);
    }

    @Override
    public long C_CloseSession(long hSession) {
        Long injected = intercept(Pkcs11Function.C_CloseSession);
        return injected != null ? injected : delegate().C_CloseSession(hSession);
    }

    @Override
    public long C_GetSessionInfo(long hSession, Pointer pInfo) {
        Long injected = intercept(Pkcs11Function.C_GetSessionInfo);
        return injected != null ? injected : delegate().C_GetSessionInfo(hSession, pInfo);
    }

    @Override
    public long C_Login(long hSession, long userType, Pointer pPin, long ulPinLen) {
        Long injected = intercept(Pkcs11Function.C_Login);
        return injected != null ? injected : delegate().C_Login(hSession, userType, pPin, ulPinLen);
    }

    @Override
    public long C_FindObjectsInit(long hSession, Pointer pTemplate, long ulCount) {
        Long injected = intercept(Pkcs11Function.C_FindObjectsInit);
        return injected != null ? injected : delegate().C_FindObjectsInit(hSession, pTemplate, ulCount);
    }

    @Override
    public long C_GetAttributeValue(long hSession, long hObject, Pointer pTemplate, long ulCount) {
        Long injected = intercept(Pkcs11Function.C_GetAttributeValue);
        return injected != null ? injected : delegate().C_GetAttributeValue(hSession, hObject, pTemplate, ulCount);
    }

    @Override
    public long C_SignInit(long hSession, Pointer pMechanism, long hKey) {
        Long injected = intercept(Pkcs11Function.C_SignInit);
        if (injected != null) {
            return injected;
        }
        long rv = delegate().C_SignInit(hSession, pMechanism, hKey);
        if (rv == CKR_OK) {
            signOwners.put(hSession, Thread.currentThread());
        }
        return rv;
    }

    @Override
    public long C_Sign(long hSession, Pointer pData, long ulDataLen, Pointer pSignature, Pointer pulSignatureLen) {
        Long injected = intercept(Pkcs11Function.C_Sign);
        if (injected != null) {
            return injected;
        }
        Thread owner = signOwners.get(hSession);
        if (owner != null && owner != Thread.currentThread()) {
            interleavings.incrementAndGet();
        }
        return delegate().C_Sign(hSession, pData, ulDataLen, pSignature, pulSignatureLen);
    }
}
