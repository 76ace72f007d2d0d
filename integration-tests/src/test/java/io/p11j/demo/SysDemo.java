// SPDX-License-Identifier: Apache-2.0
package io.p11j.demo;

import com.sun.jna.Memory;
import io.p11j.sys.Pkcs11Function;
import io.p11j.sys.Pkcs11Functions;
import io.p11j.sys.Pkcs11Library;
import io.p11j.sys.StructLayout;
import io.p11j.sys.Structs;
import io.p11j.sys.TwoCall;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.Sys;
import io.p11j.testing.Template;
import io.p11j.testing.TestToken;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.PinSupplier;
import io.p11j.wrapper.Pkcs11Module;
import io.p11j.wrapper.PoolConfig;
import io.p11j.wrapper.SessionPool;
import io.p11j.wrapper.Token;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.mechanism.Mechanism;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * The demonstration (scripts/demo.sh): creates a throwaway SoftHSM2 token through the sys layer,
 * generates a few keys on it, and lists the module, the token, its mechanisms and its objects; then,
 * through the wrapper, the pkcs11: URI of each, and a signature by a key found by its URI; then, through
 * the JCA, a key pair and certificate chain kept in the PKCS11-URI KeyStore, which {@link ToolsDemo} has
 * jarsigner and TLS clients use.
 * Needs {@code SOFTHSM2_CONF} pointing at a file in a private directory (the script makes one).
 */
public final class SysDemo {

    private static final Map<Long, String> MECHANISM_FLAGS = new LinkedHashMap<>();
    private static final Map<Long, String> TOKEN_FLAGS = new LinkedHashMap<>();

    static {
        TOKEN_FLAGS.put(CKF_RNG, "rng");
        TOKEN_FLAGS.put(CKF_WRITE_PROTECTED, "write-protected");
        TOKEN_FLAGS.put(CKF_LOGIN_REQUIRED, "login-required");
        TOKEN_FLAGS.put(CKF_USER_PIN_INITIALIZED, "user-pin-initialized");
        TOKEN_FLAGS.put(CKF_PROTECTED_AUTHENTICATION_PATH, "protected-authentication-path");
        TOKEN_FLAGS.put(CKF_TOKEN_INITIALIZED, "token-initialized");
        MECHANISM_FLAGS.put(CKF_HW, "hw");
        MECHANISM_FLAGS.put(CKF_ENCRYPT, "encrypt");
        MECHANISM_FLAGS.put(CKF_DECRYPT, "decrypt");
        MECHANISM_FLAGS.put(CKF_DIGEST, "digest");
        MECHANISM_FLAGS.put(CKF_SIGN, "sign");
        MECHANISM_FLAGS.put(CKF_SIGN_RECOVER, "sign-recover");
        MECHANISM_FLAGS.put(CKF_VERIFY, "verify");
        MECHANISM_FLAGS.put(CKF_VERIFY_RECOVER, "verify-recover");
        MECHANISM_FLAGS.put(CKF_GENERATE, "generate");
        MECHANISM_FLAGS.put(CKF_GENERATE_KEY_PAIR, "generate-key-pair");
        MECHANISM_FLAGS.put(CKF_WRAP, "wrap");
        MECHANISM_FLAGS.put(CKF_UNWRAP, "unwrap");
        MECHANISM_FLAGS.put(CKF_DERIVE, "derive");
    }

    private SysDemo() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        out.printf("p11j demonstration: a throwaway SoftHSM2 token, seen through p11j's sys layer, its wrapper and the JCA;%n"
                + "then jarsigner and two TLS clients (openssl, curl) use a key that stays on it.%n%n");
        SoftHsm hsm = SoftHsm.get();
        Pkcs11Library lib = hsm.library();
        Pkcs11Functions f = lib.functions();

        StructLayout il = Structs.CK_INFO.layout();
        Memory info = il.allocate();
        Sys.check(Pkcs11Function.C_GetInfo, f.C_GetInfo(info));
        byte[] cv = il.field("cryptokiVersion").getBytes(info);
        byte[] lv = il.field("libraryVersion").getBytes(info);
        out.printf("Module   %s%n", lib.path());
        out.printf("         %s by %s, library %d.%d, Cryptoki %d.%d, function list %d.%d%n",
                Sys.text(info, il, "libraryDescription"), Sys.text(info, il, "manufacturerID"),
                lv[0], lv[1], cv[0], cv[1], lib.functionListVersion()[0], lib.functionListVersion()[1]);
        out.printf("Config   SOFTHSM2_CONF=%s (throwaway)%n%n", hsm.configFile());

        TestToken token = SoftHsmExtension.createToken("p11j-demo");
        long slot = token.slotId();
        Memory ti = Sys.tokenInfo(f, slot);
        StructLayout tl = Structs.CK_TOKEN_INFO.layout();
        out.printf("Token    \"%s\" in slot %d: %s %s, serial %s, flags %s%n", token.label(), slot,
                Sys.text(ti, tl, "manufacturerID"), Sys.text(ti, tl, "model"), Sys.text(ti, tl, "serialNumber"),
                tokenFlags(Sys.tokenFlags(ti)));
        out.printf("         PIN length %d..%d%n%n", tl.field("ulMinPinLen").getULong(ti), tl.field("ulMaxPinLen").getULong(ti));

        long[] mechanisms = TwoCall.ulongs(Pkcs11Function.C_GetMechanismList, f.abi(),
                (buf, len) -> f.C_GetMechanismList(slot, buf, len));
        out.printf("Mechanisms (%d)%n", mechanisms.length);
        StructLayout ml = Structs.CK_MECHANISM_INFO.layout();
        Memory mi = ml.allocate();
        for (long m : mechanisms) {
            Sys.check(Pkcs11Function.C_GetMechanismInfo, f.C_GetMechanismInfo(slot, m, mi));
            long min = ml.field("ulMinKeySize").getULong(mi);
            long max = ml.field("ulMaxKeySize").getULong(mi);
            out.printf("  %-32s %-14s %s%n", mechanismName(m),
                    min == 0 && max == 0 ? "" : min + ".." + max, mechanismFlags(ml.field("flags").getULong(mi)));
        }

        long session = Sys.openSession(f, slot, true);
        try {
            Sys.login(f, session, CKU_USER, token.userPinChars());
            makeKeys(f, session);
            out.printf("%nObjects%n");
            for (long h : Sys.findObjects(f, session, new Template())) {
                long cls = Sys.ulongAttribute(f, session, h, CKA_CLASS);
                long type = Sys.ulongAttribute(f, session, h, CKA_KEY_TYPE);
                out.printf("  handle %-4d %-16s %-8s label=\"%s\" id=%s%n", h, objectClassName(cls),
                        keyTypeName(type).substring(4), Sys.utf8Attribute(f, session, h, CKA_LABEL),
                        HexFormat.of().formatHex(Sys.attribute(f, session, h, CKA_ID)));
            }
        } finally {
            f.C_CloseSession(session);
        }
        listUris(out, hsm.module(), token);
        throughTheJca(out, hsm, token);
        out.printf("%nThe token lives in %s and is deleted when this program exits.%n", hsm.tokenDir());
    }

    /** The same token through the wrapper: the pkcs11: URI of the module, the token and every object, as p11tool --list-all prints them. */
    private static void listUris(PrintStream out, Pkcs11Module module, TestToken t) throws Exception {
        Pkcs11Uri byLabel = Pkcs11Uri.builder().token(t.label()).build();
        Token token = module.tokens(byLabel).get(0);
        out.printf("%npkcs11: URIs (wrapper)%n  module  %s%n  token   %s%n", module.uri(), token.uri());
        try (SessionPool pool = SessionPool.open(token, PoolConfig.defaults(), PinSupplier.of(t.userPinChars()))) {
            for (Pkcs11Uri uri : pool.execute(s -> {
                List<Pkcs11Uri> uris = new ArrayList<>();
                for (long h : s.findAll(io.p11j.wrapper.attribute.Template.empty())) {
                    uris.add(s.uriOf(h));
                }
                return uris;
            })) {
                out.printf("  object  %s%n", uri);
            }
            // A key found by its URI signs; the JDK verifies with the public key read from the token.
            byte[] data = "signed through a SessionPool".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            boolean verified = pool.execute(s -> {
                long priv = s.findAll(Pkcs11Uri.create("pkcs11:object=demo%20rsa;type=private")).get(0);
                long pub = s.findAll(Pkcs11Uri.create("pkcs11:object=demo%20rsa;type=public")).get(0);
                byte[] sig = s.sign(Mechanism.of(CKM_SHA256_RSA_PKCS), priv, data);
                var v = s.getAttributes(pub, AttributeType.MODULUS, AttributeType.PUBLIC_EXPONENT);
                try {
                    java.security.Signature jdk = java.security.Signature.getInstance("SHA256withRSA");
                    jdk.initVerify(java.security.KeyFactory.getInstance("RSA").generatePublic(new java.security.spec.RSAPublicKeySpec(
                            v.require(AttributeType.MODULUS), v.require(AttributeType.PUBLIC_EXPONENT))));
                    jdk.update(data);
                    return jdk.verify(sig);
                } catch (java.security.GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            });
            out.printf("%nSigned with pkcs11:object=demo%%20rsa;type=private (CKM_SHA256_RSA_PKCS): the JDK says %s%n",
                    verified ? "valid" : "INVALID");
        }
    }

    /**
     * The same token through the JCA: P11J configured by a pkcs11: URI (PIN in a private file), a key pair
     * generated on the token, kept under an alias with a certificate, listed with its URI, and a signature
     * by a Signature object that names no provider.
     */
    private static void throughTheJca(PrintStream out, SoftHsm hsm, TestToken t) throws Exception {
        java.nio.file.Path pin = hsm.configFile().resolveSibling("demo-pin");
        java.nio.file.Files.writeString(pin, t.userPin() + "\n");
        java.nio.file.Files.setPosixFilePermissions(pin, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        String uri = "pkcs11:token=" + t.label() + "?module-path=" + hsm.modulePath() + "&pin-source=file:" + pin;
        java.security.Provider p11j = new io.p11j.provider.P11jProvider().configure(uri);
        out.printf("%nThrough the JCA: provider %s, configured by%n  %s%n  %d services from the token's mechanisms%n",
                p11j.getName(), uri, p11j.getServices().size());
        java.security.Security.addProvider(p11j);
        try {
            java.security.KeyPairGenerator kpg = java.security.KeyPairGenerator.getInstance("EC", p11j);
            kpg.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
            java.security.KeyPair kp = kpg.generateKeyPair();
            out.printf("  KeyPairGenerator EC: %s%n", ((io.p11j.provider.P11jKey) kp.getPrivate()).uri());
            io.p11j.testing.Certificates.Ca ca = io.p11j.testing.Certificates.Ca.create("p11j demo CA");
            // CN and DNS name localhost: the same certificate serves the TLS step, whose clients check the name
            java.security.cert.X509Certificate cert = ca.issue("localhost", kp.getPublic());
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS11-URI", p11j);
            ks.load(null, null);
            ks.setKeyEntry("demo signer", kp.getPrivate(), null, new java.security.cert.Certificate[] {cert, ca.certificate()});
            out.printf("  KeyStore PKCS11-URI: setKeyEntry(\"demo signer\") made the pair token objects; entries now:%n");
            for (String alias : java.util.Collections.list(ks.aliases())) {
                java.security.Key key = ks.getKey(alias, null);
                out.printf("    %-14s %-18s %s%n", alias, ks.isKeyEntry(alias) ? (ks.getCertificate(alias) != null
                        ? "key + certificate" : "key") : "certificate", key instanceof io.p11j.provider.P11jKey k ? k.uri() : "");
            }
            byte[] data = "signed through the JCA".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
            s.initSign((java.security.PrivateKey) ks.getKey("demo signer", null));
            s.update(data);
            byte[] sig = s.sign();
            java.security.Signature v = java.security.Signature.getInstance("SHA256withECDSA", "SunEC");
            v.initVerify(ks.getCertificate("demo signer"));
            v.update(data);
            out.printf("  Signature SHA256withECDSA (picked %s for the token key): SunEC says %s%n",
                    s.getProvider().getName(), v.verify(sig) ? "valid" : "INVALID");

            // Programs that are not p11j, using the same key while this JVM keeps the throwaway token alive.
            java.nio.file.Path files = java.nio.file.Files.createTempDirectory(hsm.configFile().getParent(), "demo-files");
            ToolsDemo.jarsigner(out, files, uri, pin, "demo signer", ca.certificate());
            ToolsDemo.tls(out, files, p11j, ca.certificate());
        } finally {
            java.security.Security.removeProvider(p11j.getName());
        }
    }

    private static void makeKeys(Pkcs11Functions f, long session) throws Exception {
        Memory hPub = Sys.ulongOut();
        Memory hPriv = Sys.ulongOut();
        Template rsaPub = new Template().bool(CKA_TOKEN, true).ulong(CKA_MODULUS_BITS, 2048)
                .bytes(CKA_PUBLIC_EXPONENT, new byte[] {1, 0, 1}).utf8(CKA_LABEL, "demo rsa").bytes(CKA_ID, new byte[] {1});
        Template rsaPriv = new Template().bool(CKA_TOKEN, true).bool(CKA_SIGN, true).bool(CKA_SENSITIVE, true)
                .bool(CKA_PRIVATE, true).utf8(CKA_LABEL, "demo rsa").bytes(CKA_ID, new byte[] {1});
        Sys.check(Pkcs11Function.C_GenerateKeyPair, f.C_GenerateKeyPair(session, Sys.mechanism(CKM_RSA_PKCS_KEY_PAIR_GEN),
                rsaPub.pointer(), rsaPub.size(), rsaPriv.pointer(), rsaPriv.size(), hPub, hPriv));

        byte[] p256 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
        Template ecPub = new Template().bool(CKA_TOKEN, true).bytes(CKA_EC_PARAMS, p256)
                .utf8(CKA_LABEL, "demo ec p-256").bytes(CKA_ID, new byte[] {2});
        Template ecPriv = new Template().bool(CKA_TOKEN, true).bool(CKA_SIGN, true).bool(CKA_SENSITIVE, true)
                .bool(CKA_PRIVATE, true).utf8(CKA_LABEL, "demo ec p-256").bytes(CKA_ID, new byte[] {2});
        Sys.check(Pkcs11Function.C_GenerateKeyPair, f.C_GenerateKeyPair(session, Sys.mechanism(CKM_EC_KEY_PAIR_GEN),
                ecPub.pointer(), ecPub.size(), ecPriv.pointer(), ecPriv.size(), hPub, hPriv));

        Template aes = new Template().bool(CKA_TOKEN, true).ulong(CKA_VALUE_LEN, 32).bool(CKA_SENSITIVE, true)
                .bool(CKA_ENCRYPT, true).bool(CKA_DECRYPT, true).utf8(CKA_LABEL, "demo aes-256").bytes(CKA_ID, new byte[] {3});
        Sys.check(Pkcs11Function.C_GenerateKey, f.C_GenerateKey(session, Sys.mechanism(CKM_AES_KEY_GEN),
                aes.pointer(), aes.size(), hPriv));
        // The templates' value buffers are reachable only through native pointers until here.
        java.lang.ref.Reference.reachabilityFence(new Object[] {rsaPub, rsaPriv, ecPub, ecPriv, aes});
    }

    private static String mechanismFlags(long flags) {
        return flagNames(flags, MECHANISM_FLAGS);
    }

    private static String tokenFlags(long flags) {
        return flagNames(flags, TOKEN_FLAGS);
    }

    /** CKF_ values repeat across flag families, so each family gets its own table. */
    private static String flagNames(long flags, Map<Long, String> table) {
        List<String> names = new ArrayList<>();
        table.forEach((bit, name) -> {
            if ((flags & bit) != 0) {
                names.add(name);
            }
        });
        return String.join(",", names);
    }
}
