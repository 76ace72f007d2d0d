// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keypairgen;

import io.p11j.provider.token.JdkRandom;
import io.p11j.provider.P11jKeyGenParameterSpec;
import io.p11j.provider.codec.EcCurves;
import io.p11j.provider.key.KeyAttributes;
import io.p11j.provider.key.Keys;
import io.p11j.provider.key.P11PrivateKey;
import io.p11j.provider.key.P11PublicKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.KeyPairHandles;
import io.p11j.wrapper.MechanismInfo;
import io.p11j.wrapper.ObjectRef;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;

import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.KeyPair;
import java.security.KeyPairGeneratorSpi;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Locale;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * Generates RSA, EC and EdDSA key pairs on the token ({@code C_GenerateKeyPair}). The private key is
 * sensitive and, unless asked otherwise, not extractable; both keys share a random {@code CKA_ID}.
 * By default the keys are session objects — destroyed when the Java key becomes unreachable — so a
 * JVM that generates throw-away keys never fills the token; {@code KeyStore.setKeyEntry} makes a
 * pair persistent, and {@link P11jKeyGenParameterSpec} or the configuration ({@code generated-keys})
 * can ask for token objects directly. The public key is returned as an ordinary Java public key.
 */
public final class P11KeyPairGenerator extends KeyPairGeneratorSpi {

    private static final SecureRandom IDS = JdkRandom.get();
    private static final int ID_BYTES = 20;

    private final TokenContext context;
    private final Kind kind;

    private int rsaBits = 2048;
    private BigInteger publicExponent = RSAKeyGenParameterSpec.F4;
    private ECParameterSpec ecParams;
    private String edwardsCurve;
    private P11jKeyGenParameterSpec options = P11jKeyGenParameterSpec.builder(-1).build();

    /** The key pair families this class generates. */
    enum Kind {
        RSA(CKM_RSA_PKCS_KEY_PAIR_GEN), EC(CKM_EC_KEY_PAIR_GEN), EDDSA(CKM_EC_EDWARDS_KEY_PAIR_GEN);

        final long mechanism;

        Kind(long mechanism) {
            this.mechanism = mechanism;
        }
    }

    /** {@code algorithm}: {@code RSA}, {@code EC}, {@code EdDSA}, {@code Ed25519} or {@code Ed448}. */
    public P11KeyPairGenerator(TokenContext context, String algorithm) {
        this.context = context;
        switch (algorithm.toUpperCase(Locale.ROOT)) {
            case "RSA" -> kind = Kind.RSA;
            case "EC" -> {
                kind = Kind.EC;
                ecParams = defaultCurve();
            }
            case "EDDSA", "ED25519" -> {
                kind = Kind.EDDSA;
                edwardsCurve = "Ed25519";
            }
            case "ED448" -> {
                kind = Kind.EDDSA;
                edwardsCurve = "Ed448";
            }
            default -> throw new IllegalArgumentException("no key pair generator for " + algorithm);
        }
    }

    private static ECParameterSpec defaultCurve() {
        try {
            return EcCurves.byName("secp256r1");
        } catch (InvalidAlgorithmParameterException e) {
            throw new ProviderException("secp256r1 unavailable in this JVM", e);
        }
    }

    @Override
    public void initialize(int keysize, SecureRandom random) {
        try {
            initSize(keysize);
        } catch (InvalidAlgorithmParameterException e) {
            throw (InvalidParameterException) new InvalidParameterException(e.getMessage()).initCause(e);
        }
        options = P11jKeyGenParameterSpec.builder(-1).build();
    }

    @Override
    public void initialize(AlgorithmParameterSpec params, SecureRandom random) throws InvalidAlgorithmParameterException {
        P11jKeyGenParameterSpec opts = P11jKeyGenParameterSpec.builder(-1).build();
        AlgorithmParameterSpec spec = params;
        if (params instanceof P11jKeyGenParameterSpec p) {
            opts = p;
            spec = p.keySpec().orElse(null);
            if (spec == null && p.keySize() > 0) {
                initSize(p.keySize());
            }
        }
        if (spec != null) {
            initSpec(spec);
        }
        options = opts;
    }

    private void initSize(int keysize) throws InvalidAlgorithmParameterException {
        switch (kind) {
            case RSA -> {
                checkRange(keysize);
                rsaBits = keysize;
            }
            case EC -> ecParams = switch (keysize) {
                case 256 -> EcCurves.byName("secp256r1");
                case 384 -> EcCurves.byName("secp384r1");
                case 521 -> EcCurves.byName("secp521r1");
                default -> throw new InvalidAlgorithmParameterException("EC key size must be 256, 384 or 521, not " + keysize);
            };
            case EDDSA -> edwardsCurve = switch (keysize) {
                case 255 -> "Ed25519";
                case 448 -> "Ed448";
                default -> throw new InvalidAlgorithmParameterException("EdDSA key size must be 255 or 448, not " + keysize);
            };
        }
    }

    private void initSpec(AlgorithmParameterSpec spec) throws InvalidAlgorithmParameterException {
        if (kind == Kind.RSA && spec instanceof RSAKeyGenParameterSpec r) {
            checkRange(r.getKeysize());
            if (r.getPublicExponent().signum() <= 0 || !r.getPublicExponent().testBit(0)) {
                throw new InvalidAlgorithmParameterException("the RSA public exponent must be odd and positive");
            }
            rsaBits = r.getKeysize();
            publicExponent = r.getPublicExponent();
        } else if (kind == Kind.EC && spec instanceof ECGenParameterSpec g) {
            ecParams = EcCurves.byName(g.getName());
        } else if (kind == Kind.EC && spec instanceof NamedParameterSpec n) {
            // keytool -groupname tries a plain NamedParameterSpec first: refusing it made the JCA fail over to
            // SunEC, so with P11J first in the provider list keytool silently generated EC keys in software.
            ecParams = EcCurves.byName(n.getName());
        } else if (kind == Kind.EC && spec instanceof ECParameterSpec p) {
            EcCurves.oid(p); // a named curve the provider knows, or an exception
            ecParams = p;
        } else if (kind == Kind.EDDSA && spec instanceof NamedParameterSpec n) {
            if (!n.getName().equalsIgnoreCase("Ed25519") && !n.getName().equalsIgnoreCase("Ed448")) {
                throw new InvalidAlgorithmParameterException("EdDSA curve must be Ed25519 or Ed448, not " + n.getName());
            }
            edwardsCurve = n.getName().equalsIgnoreCase("Ed448") ? "Ed448" : "Ed25519";
        } else {
            throw new InvalidAlgorithmParameterException(spec.getClass().getSimpleName() + " does not apply to " + kind + " keys");
        }
    }

    /** RSA sizes the token can generate ({@code CK_MECHANISM_INFO} ranges, in bits). */
    private void checkRange(int bits) throws InvalidAlgorithmParameterException {
        MechanismInfo info = context.mechanism(Kind.RSA.mechanism).orElse(null);
        if (bits < 512) {
            throw new InvalidAlgorithmParameterException("RSA key size " + bits + " is too small");
        }
        if (info != null && info.maxKeySize() > 0 && (bits < info.minKeySize() || bits > info.maxKeySize())) {
            throw new InvalidAlgorithmParameterException("the token generates RSA keys of " + info.minKeySize() + " to "
                    + info.maxKeySize() + " bits, not " + bits);
        }
    }

    @Override
    public KeyPair generateKeyPair() {
        byte[] id = options.id();
        if (id == null) {
            id = new byte[ID_BYTES];
            IDS.nextBytes(id);
        }
        boolean token = options.tokenObject().orElse(context.config().tokenKeys());
        String label = options.label();
        Template.Builder pub = Template.builder().objectClass(CKO_PUBLIC_KEY).flag(TOKEN, token).flag(PRIVATE, false)
                .flag(VERIFY, true).id(id);
        Template.Builder priv = Template.builder().objectClass(CKO_PRIVATE_KEY).flag(TOKEN, token).flag(PRIVATE, true)
                .flag(SENSITIVE, true).flag(EXTRACTABLE, options.extractable()).flag(SIGN, true).id(id);
        if (label != null) {
            pub.label(label);
            priv.label(label);
        }
        long keyType;
        byte[] params;
        try {
            params = switch (kind) {
                case RSA -> null;
                case EC -> EcCurves.encodeParams(ecParams);
                case EDDSA -> EcCurves.edwardsParams(edwardsCurve);
            };
        } catch (InvalidAlgorithmParameterException e) {
            throw new ProviderException(e.getMessage(), e); // initialize() accepted only curves the provider knows
        }
        switch (kind) {
            case RSA -> {
                keyType = CKK_RSA;
                // An RSA pair may also carry keys (Cipher WRAP/UNWRAP_MODE): without these the token refuses C_WrapKey.
                pub.set(MODULUS_BITS, (long) rsaBits).bigInteger(PUBLIC_EXPONENT, publicExponent).flag(ENCRYPT, true)
                        .flag(WRAP, true);
                priv.flag(DECRYPT, true).flag(UNWRAP, true);
            }
            case EC -> {
                keyType = CKK_EC;
                pub.set(EC_PARAMS, params);
                priv.flag(DERIVE, true);
            }
            default -> {
                keyType = CKK_EC_EDWARDS;
                pub.set(EC_PARAMS, params);
            }
        }
        pub.keyType(keyType);
        priv.keyType(keyType);
        byte[] keyId = id;
        try {
            return context.withObjectSession(s -> {
                KeyPairHandles h = s.generateKeyPair(Mechanism.of(kind.mechanism), pub.build(), priv.build());
                try {
                    // Only the public value the key type has: asking for both makes the token fail the read and
                    // the wrapper retry attribute by attribute.
                    // One C_GetAttributeValue with a buffer of the size the value will have (a length query first
                    // would be a second call, and on SoftHSM2 each costs about as much as a tenth of the generation).
                    byte[] point = null;
                    BigInteger modulus = null;
                    if (kind == Kind.RSA) {
                        modulus = s.getAttributesSized(h.publicKey(), rsaBits / 8 + 8, MODULUS).get(MODULUS).orElse(null);
                    } else {
                        point = s.getAttributesSized(h.publicKey(), params.length + 8 + 2 * 66 + 8, EC_POINT).get(EC_POINT).orElse(null);
                    }
                    KeyAttributes pa = new KeyAttributes(CKO_PUBLIC_KEY, keyType, label, keyId, token, false, true, false);
                    KeyAttributes ka = new KeyAttributes(CKO_PRIVATE_KEY, keyType, label, keyId, token, true,
                            options.extractable(), false);
                    ObjectRef pubRef = context.ref(h.publicKey(), CKO_PUBLIC_KEY, keyId, label);
                    ObjectRef privRef = context.ref(h.privateKey(), CKO_PRIVATE_KEY, keyId, label);
                    P11PublicKey publicKey;
                    P11PrivateKey privateKey;
                    if (kind == Kind.EC) {
                        publicKey = Keys.ecPublicKey(context, pubRef, pa, ecParams, point);
                        privateKey = Keys.ecPrivateKey(context, privRef, ka, ecParams);
                    } else {
                        publicKey = Keys.publicKey(context, pubRef, pa, modulus, publicExponent, params, point);
                        privateKey = Keys.privateKey(context, privRef, ka, modulus, params);
                    }
                    if (!token) {
                        context.destroyWhenUnreachable(privateKey, privRef);
                        context.destroyWhenUnreachable(publicKey, pubRef);
                    }
                    return new KeyPair(publicKey, privateKey);
                } catch (InvalidKeyException e) {
                    destroyQuietly(s, h.publicKey());
                    destroyQuietly(s, h.privateKey());
                    throw new ProviderException("the generated key is unreadable: " + e.getMessage(), e);
                } catch (Pkcs11Exception | RuntimeException e) {
                    // Nothing half-made stays on the token.
                    destroyQuietly(s, h.publicKey());
                    destroyQuietly(s, h.privateKey());
                    throw e;
                }
            });
        } catch (Pkcs11Exception e) {
            throw new ProviderException("C_GenerateKeyPair (" + kind + ") on " + context.tokenUri() + " failed: " + e.getMessage(), e);
        }
    }

    private static void destroyQuietly(io.p11j.wrapper.Session s, long handle) {
        try {
            s.destroyObject(handle);
        } catch (Pkcs11Exception | RuntimeException ignored) {
            // best effort after a failure that is being reported
        }
    }
}
