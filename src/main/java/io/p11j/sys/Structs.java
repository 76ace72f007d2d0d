// SPDX-License-Identifier: Apache-2.0
package io.p11j.sys;

import java.util.List;

import static io.p11j.sys.StructDef.struct;
import static io.p11j.sys.StructDef.struct30;

/**
 * Every PKCS#11 structure the bindings use: those the functions take, those that carry mechanism
 * parameters, and the function lists themselves. Member names are the C names (PKCS#11 standard
 * spelling), so {@code offsetof} in C and {@link StructLayout#field(String)} in Java name the same
 * thing. The layout test compares every entry of {@link #all()} with the C compiler.
 */
public final class Structs {

    private Structs() {
    }

    // ---- general ----

    public static final StructDef CK_VERSION = struct("CK_VERSION")
            .byteMember("major").byteMember("minor").build();

    public static final StructDef CK_INFO = struct("CK_INFO")
            .struct("cryptokiVersion", CK_VERSION)
            .bytes("manufacturerID", 32)
            .ulong("flags")
            .bytes("libraryDescription", 32)
            .struct("libraryVersion", CK_VERSION)
            .build();

    public static final StructDef CK_SLOT_INFO = struct("CK_SLOT_INFO")
            .bytes("slotDescription", 64)
            .bytes("manufacturerID", 32)
            .ulong("flags")
            .struct("hardwareVersion", CK_VERSION)
            .struct("firmwareVersion", CK_VERSION)
            .build();

    public static final StructDef CK_TOKEN_INFO = struct("CK_TOKEN_INFO")
            .bytes("label", 32)
            .bytes("manufacturerID", 32)
            .bytes("model", 16)
            .bytes("serialNumber", 16)
            .ulong("flags")
            .ulong("ulMaxSessionCount")
            .ulong("ulSessionCount")
            .ulong("ulMaxRwSessionCount")
            .ulong("ulRwSessionCount")
            .ulong("ulMaxPinLen")
            .ulong("ulMinPinLen")
            .ulong("ulTotalPublicMemory")
            .ulong("ulFreePublicMemory")
            .ulong("ulTotalPrivateMemory")
            .ulong("ulFreePrivateMemory")
            .struct("hardwareVersion", CK_VERSION)
            .struct("firmwareVersion", CK_VERSION)
            .bytes("utcTime", 16)
            .build();

    public static final StructDef CK_SESSION_INFO = struct("CK_SESSION_INFO")
            .ulong("slotID").ulong("state").ulong("flags").ulong("ulDeviceError").build();

    public static final StructDef CK_ATTRIBUTE = struct("CK_ATTRIBUTE")
            .ulong("type").pointer("pValue").ulong("ulValueLen").build();

    public static final StructDef CK_DATE = struct("CK_DATE")
            .bytes("year", 4).bytes("month", 2).bytes("day", 2).build();

    public static final StructDef CK_MECHANISM = struct("CK_MECHANISM")
            .ulong("mechanism").pointer("pParameter").ulong("ulParameterLen").build();

    public static final StructDef CK_MECHANISM_INFO = struct("CK_MECHANISM_INFO")
            .ulong("ulMinKeySize").ulong("ulMaxKeySize").ulong("flags").build();

    public static final StructDef CK_C_INITIALIZE_ARGS = struct("CK_C_INITIALIZE_ARGS")
            .pointer("CreateMutex").pointer("DestroyMutex").pointer("LockMutex").pointer("UnlockMutex")
            .ulong("flags").pointer("pReserved").build();

    public static final StructDef CK_INTERFACE = struct30("CK_INTERFACE")
            .pointer("pInterfaceName").pointer("pFunctionList").ulong("flags").build();

    // ---- mechanism parameters ----

    public static final StructDef CK_RSA_PKCS_PSS_PARAMS = struct("CK_RSA_PKCS_PSS_PARAMS")
            .ulong("hashAlg").ulong("mgf").ulong("sLen").build();

    public static final StructDef CK_RSA_PKCS_OAEP_PARAMS = struct("CK_RSA_PKCS_OAEP_PARAMS")
            .ulong("hashAlg").ulong("mgf").ulong("source").pointer("pSourceData").ulong("ulSourceDataLen").build();

    public static final StructDef CK_ECDH1_DERIVE_PARAMS = struct("CK_ECDH1_DERIVE_PARAMS")
            .ulong("kdf").ulong("ulSharedDataLen").pointer("pSharedData")
            .ulong("ulPublicDataLen").pointer("pPublicData").build();

    public static final StructDef CK_EDDSA_PARAMS = struct30("CK_EDDSA_PARAMS")
            .byteMember("phFlag").ulong("ulContextDataLen").pointer("pContextData").build();

    public static final StructDef CK_AES_CTR_PARAMS = struct("CK_AES_CTR_PARAMS")
            .ulong("ulCounterBits").bytes("cb", 16).build();

    public static final StructDef CK_GCM_PARAMS = struct("CK_GCM_PARAMS")
            .pointer("pIv").ulong("ulIvLen").ulong("ulIvBits")
            .pointer("pAAD").ulong("ulAADLen").ulong("ulTagBits").build();

    public static final StructDef CK_CCM_PARAMS = struct("CK_CCM_PARAMS")
            .ulong("ulDataLen").pointer("pNonce").ulong("ulNonceLen")
            .pointer("pAAD").ulong("ulAADLen").ulong("ulMACLen").build();

    public static final StructDef CK_AES_CBC_ENCRYPT_DATA_PARAMS = struct("CK_AES_CBC_ENCRYPT_DATA_PARAMS")
            .bytes("iv", 16).pointer("pData").ulong("length").build();

    public static final StructDef CK_DES_CBC_ENCRYPT_DATA_PARAMS = struct("CK_DES_CBC_ENCRYPT_DATA_PARAMS")
            .bytes("iv", 8).pointer("pData").ulong("length").build();

    public static final StructDef CK_KEY_DERIVATION_STRING_DATA = struct("CK_KEY_DERIVATION_STRING_DATA")
            .pointer("pData").ulong("ulLen").build();

    public static final StructDef CK_RSA_AES_KEY_WRAP_PARAMS = struct("CK_RSA_AES_KEY_WRAP_PARAMS")
            .ulong("ulAESKeyBits").pointer("pOAEPParams").build();

    public static final StructDef CK_ECDH_AES_KEY_WRAP_PARAMS = struct("CK_ECDH_AES_KEY_WRAP_PARAMS")
            .ulong("ulAESKeyBits").ulong("kdf").ulong("ulSharedDataLen").pointer("pSharedData").build();

    public static final StructDef CK_PKCS5_PBKD2_PARAMS = struct("CK_PKCS5_PBKD2_PARAMS")
            .ulong("saltSource").pointer("pSaltSourceData").ulong("ulSaltSourceDataLen")
            .ulong("iterations").ulong("prf").pointer("pPrfData").ulong("ulPrfDataLen")
            .pointer("pPassword").pointer("ulPasswordLen").build();

    public static final StructDef CK_CHACHA20_PARAMS = struct30("CK_CHACHA20_PARAMS")
            .pointer("pBlockCounter").ulong("blockCounterBits").pointer("pNonce").ulong("ulNonceBits").build();

    public static final StructDef CK_SALSA20_CHACHA20_POLY1305_PARAMS = struct30("CK_SALSA20_CHACHA20_POLY1305_PARAMS")
            .pointer("pNonce").ulong("ulNonceLen").pointer("pAAD").ulong("ulAADLen").build();

    public static final StructDef CK_HKDF_PARAMS = struct30("CK_HKDF_PARAMS")
            .byteMember("bExtract").byteMember("bExpand").ulong("prfHashMechanism")
            .ulong("ulSaltType").pointer("pSalt").ulong("ulSaltLen").ulong("hSaltKey")
            .pointer("pInfo").ulong("ulInfoLen").build();

    // ---- PKCS#11 3.0 message-based parameters ----

    public static final StructDef CK_GCM_MESSAGE_PARAMS = struct30("CK_GCM_MESSAGE_PARAMS")
            .pointer("pIv").ulong("ulIvLen").ulong("ulIvFixedBits").ulong("ivGenerator")
            .pointer("pTag").ulong("ulTagBits").build();

    public static final StructDef CK_CCM_MESSAGE_PARAMS = struct30("CK_CCM_MESSAGE_PARAMS")
            .ulong("ulDataLen").pointer("pNonce").ulong("ulNonceLen").ulong("ulNonceFixedBits")
            .ulong("nonceGenerator").pointer("pMAC").ulong("ulMACLen").build();

    public static final StructDef CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS =
            struct30("CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS")
                    .pointer("pNonce").ulong("ulNonceLen").pointer("pTag").build();

    // ---- function lists ----

    /** The 2.x function list: a version, then 68 function pointers. */
    public static final StructDef CK_FUNCTION_LIST = functionList("CK_FUNCTION_LIST", Pkcs11Function.COUNT_V2, false);

    /** The 3.0 function list: the 2.x list followed by 24 more function pointers. */
    public static final StructDef CK_FUNCTION_LIST_3_0 =
            functionList("CK_FUNCTION_LIST_3_0", Pkcs11Function.COUNT_V3_0, true);

    private static StructDef functionList(String name, int count, boolean v30) {
        StructDef.Builder b = (v30 ? struct30(name) : struct(name)).struct("version", CK_VERSION);
        Pkcs11Function[] all = Pkcs11Function.values();
        for (int i = 0; i < count; i++) {
            b.pointer(all[i].name());
        }
        return b.build();
    }

    private static final List<StructDef> ALL = List.of(
            CK_VERSION, CK_INFO, CK_SLOT_INFO, CK_TOKEN_INFO, CK_SESSION_INFO, CK_ATTRIBUTE, CK_DATE,
            CK_MECHANISM, CK_MECHANISM_INFO, CK_C_INITIALIZE_ARGS, CK_INTERFACE,
            CK_RSA_PKCS_PSS_PARAMS, CK_RSA_PKCS_OAEP_PARAMS, CK_ECDH1_DERIVE_PARAMS, CK_EDDSA_PARAMS,
            CK_AES_CTR_PARAMS, CK_GCM_PARAMS, CK_CCM_PARAMS, CK_AES_CBC_ENCRYPT_DATA_PARAMS,
            CK_DES_CBC_ENCRYPT_DATA_PARAMS, CK_KEY_DERIVATION_STRING_DATA, CK_RSA_AES_KEY_WRAP_PARAMS,
            CK_ECDH_AES_KEY_WRAP_PARAMS, CK_PKCS5_PBKD2_PARAMS, CK_CHACHA20_PARAMS,
            CK_SALSA20_CHACHA20_POLY1305_PARAMS, CK_HKDF_PARAMS, CK_GCM_MESSAGE_PARAMS,
            CK_CCM_MESSAGE_PARAMS, CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS,
            CK_FUNCTION_LIST, CK_FUNCTION_LIST_3_0);

    /** Every structure declared here. */
    public static List<StructDef> all() {
        return ALL;
    }
}
