// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

/**
 * The functions of a PKCS#11 function list, in the order of their pointers in
 * {@code CK_FUNCTION_LIST} (the first 68) and {@code CK_FUNCTION_LIST_3_0} (all 92). The order is
 * ABI: the layout test checks every slot against the C headers' {@code offsetof}.
 */
public enum Pkcs11Function {
    C_Initialize(Since.V2),
    C_Finalize(Since.V2),
    C_GetInfo(Since.V2),
    C_GetFunctionList(Since.V2),
    C_GetSlotList(Since.V2),
    C_GetSlotInfo(Since.V2),
    C_GetTokenInfo(Since.V2),
    C_GetMechanismList(Since.V2),
    C_GetMechanismInfo(Since.V2),
    C_InitToken(Since.V2),
    C_InitPIN(Since.V2),
    C_SetPIN(Since.V2),
    C_OpenSession(Since.V2),
    C_CloseSession(Since.V2),
    C_CloseAllSessions(Since.V2),
    C_GetSessionInfo(Since.V2),
    C_GetOperationState(Since.V2),
    C_SetOperationState(Since.V2),
    C_Login(Since.V2),
    C_Logout(Since.V2),
    C_CreateObject(Since.V2),
    C_CopyObject(Since.V2),
    C_DestroyObject(Since.V2),
    C_GetObjectSize(Since.V2),
    C_GetAttributeValue(Since.V2),
    C_SetAttributeValue(Since.V2),
    C_FindObjectsInit(Since.V2),
    C_FindObjects(Since.V2),
    C_FindObjectsFinal(Since.V2),
    C_EncryptInit(Since.V2),
    C_Encrypt(Since.V2),
    C_EncryptUpdate(Since.V2),
    C_EncryptFinal(Since.V2),
    C_DecryptInit(Since.V2),
    C_Decrypt(Since.V2),
    C_DecryptUpdate(Since.V2),
    C_DecryptFinal(Since.V2),
    C_DigestInit(Since.V2),
    C_Digest(Since.V2),
    C_DigestUpdate(Since.V2),
    C_DigestKey(Since.V2),
    C_DigestFinal(Since.V2),
    C_SignInit(Since.V2),
    C_Sign(Since.V2),
    C_SignUpdate(Since.V2),
    C_SignFinal(Since.V2),
    C_SignRecoverInit(Since.V2),
    C_SignRecover(Since.V2),
    C_VerifyInit(Since.V2),
    C_Verify(Since.V2),
    C_VerifyUpdate(Since.V2),
    C_VerifyFinal(Since.V2),
    C_VerifyRecoverInit(Since.V2),
    C_VerifyRecover(Since.V2),
    C_DigestEncryptUpdate(Since.V2),
    C_DecryptDigestUpdate(Since.V2),
    C_SignEncryptUpdate(Since.V2),
    C_DecryptVerifyUpdate(Since.V2),
    C_GenerateKey(Since.V2),
    C_GenerateKeyPair(Since.V2),
    C_WrapKey(Since.V2),
    C_UnwrapKey(Since.V2),
    C_DeriveKey(Since.V2),
    C_SeedRandom(Since.V2),
    C_GenerateRandom(Since.V2),
    C_GetFunctionStatus(Since.V2),
    C_CancelFunction(Since.V2),
    C_WaitForSlotEvent(Since.V2),
    C_GetInterfaceList(Since.V3_0),
    C_GetInterface(Since.V3_0),
    C_LoginUser(Since.V3_0),
    C_SessionCancel(Since.V3_0),
    C_MessageEncryptInit(Since.V3_0),
    C_EncryptMessage(Since.V3_0),
    C_EncryptMessageBegin(Since.V3_0),
    C_EncryptMessageNext(Since.V3_0),
    C_MessageEncryptFinal(Since.V3_0),
    C_MessageDecryptInit(Since.V3_0),
    C_DecryptMessage(Since.V3_0),
    C_DecryptMessageBegin(Since.V3_0),
    C_DecryptMessageNext(Since.V3_0),
    C_MessageDecryptFinal(Since.V3_0),
    C_MessageSignInit(Since.V3_0),
    C_SignMessage(Since.V3_0),
    C_SignMessageBegin(Since.V3_0),
    C_SignMessageNext(Since.V3_0),
    C_MessageSignFinal(Since.V3_0),
    C_MessageVerifyInit(Since.V3_0),
    C_VerifyMessage(Since.V3_0),
    C_VerifyMessageBegin(Since.V3_0),
    C_VerifyMessageNext(Since.V3_0),
    C_MessageVerifyFinal(Since.V3_0);

    /** The version of the function list that holds a function. */
    public enum Since {
        /** Present in every function list since PKCS#11 2.0. */
        V2,
        /** Only in the PKCS#11 3.0 function list ({@code CK_FUNCTION_LIST_3_0}). */
        V3_0
    }

    /** Number of function pointers in a 2.x {@code CK_FUNCTION_LIST}. */
    public static final int COUNT_V2 = 68;

    /** Number of function pointers in a {@code CK_FUNCTION_LIST_3_0}. */
    public static final int COUNT_V3_0 = 92;

    private final Since since;

    Pkcs11Function(Since since) {
        this.since = since;
    }

    /** The function list version that introduced this function. */
    public Since since() {
        return since;
    }
}
