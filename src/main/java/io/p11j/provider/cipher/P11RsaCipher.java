// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.key.PublicKeyImports;
import io.p11j.provider.token.JdkRandom;
import io.p11j.provider.P11jKeyUnwrapSpec;
import io.p11j.provider.key.P11Key;
import io.p11j.provider.key.P11RsaPrivateKey;
import io.p11j.provider.key.P11RsaPublicKey;
import io.p11j.provider.token.Errors;
import io.p11j.provider.token.Quirk;
import io.p11j.provider.token.TokenContext;
import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.PinSupplier;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.UserType;
import io.p11j.wrapper.mechanism.Mechanism;
import org.bouncycastle.crypto.AsymmetricBlockCipher;
import org.bouncycastle.crypto.DataLengthException;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.encodings.OAEPEncoding;
import org.bouncycastle.crypto.encodings.PKCS1Encoding;
import org.bouncycastle.crypto.engines.RSAEngine;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.params.RSAKeyParameters;

import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.CipherSpi;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.OAEPParameterSpec;
import java.io.IOException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidParameterSpecException;
import java.util.Arrays;
import java.util.Locale;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * A P11J RSA {@code Cipher}: PKCS#1 v1.5, raw ({@code NoPadding}) and OAEP, for every transformation
 * {@link RsaCipherServices} registers.
 *
 * <p><b>Keys.</b> Decryption and unwrapping take a P11J RSA private key only: it stays on its token.
 * Encryption and wrapping take a P11J RSA public key or any {@link RSAPublicKey}; a software key is
 * imported onto the configured provider's token as a session object (cached, as for signature
 * verification) so that the token pads and encrypts. A private key for encryption, a public key for
 * decryption, or a non-RSA key is an {@link InvalidKeyException}.
 *
 * <p><b>Where it runs.</b> One {@code context.execute} per {@code doFinal}, on the key's token:
 * {@code CKM_RSA_PKCS}, {@code CKM_RSA_X_509} or {@code CKM_RSA_PKCS_OAEP}. OAEP parameters the
 * token cannot take (quirk {@link Quirk#OAEP_SHA1_ONLY}: SoftHSM2 takes SHA-1, MGF1-SHA-1 and no
 * label only) are handled in the provider, with Bouncy Castle's OAEP coding:
 * <ul>
 *   <li>decryption: the token decrypts raw ({@code CKM_RSA_X_509}, where it lists it; the private key
 *       never leaves it) and BC's constant-time {@code OAEPEncoding} decodes — see
 *       {@link RsaTokenRawDecryption};</li>
 *   <li>encryption: in software, BC's OAEP over its {@code RSAEngine} with the public key. The
 *       encoding and its seed would be made in the JVM in any case; the token's raw RSA would add
 *       only a public-key exponentiation of public data, at the price of an import and a round trip;</li>
 *   <li>wrapping and unwrapping: refused ({@link InvalidAlgorithmParameterException}) — unwrapping
 *       in the provider would put the key in the JVM.</li>
 * </ul>
 * Without {@code CKM_RSA_X_509} such parameters are refused for decryption too. Encryption also runs
 * in software when no token can take it (a software key and the unconfigured provider).
 *
 * <p><b>Data.</b> RSA is single-part (and SoftHSM2 refuses multi-part, quirk
 * {@link Quirk#RSA_CIPHER_SINGLE_PART}): {@code update} buffers, {@code doFinal} makes the one call.
 * More input than the padding leaves room for with the key's modulus is an
 * {@link IllegalBlockSizeException}, as in SunJCE; {@code NoPadding} input shorter than the modulus is
 * an integer, left-padded with zeros.
 *
 * <p><b>Decryption failures and padding oracles.</b> Every failed decryption is the same
 * {@link BadPaddingException} with the same message, whatever the cause: a ciphertext of the wrong
 * length (checked here, public), the token's refusal ({@code CKR_ENCRYPTED_DATA_INVALID}, or
 * {@code CKR_GENERAL_ERROR} on tokens with {@link Quirk#DECRYPT_FAILURE_AS_GENERAL_ERROR}), or a bad
 * OAEP encoding found by BC. The cause (the {@code Pkcs11Exception}, or BC's {@code "data wrong"})
 * names no padding detail: the token returns one code for every padding failure. P11J looks at no
 * decrypted octet on its own except through BC's constant-time check and the OAEP leading octet,
 * which is folded into the same single verdict. What remains is what PKCS#11 itself gives away: a
 * PKCS#1 v1.5 {@code C_Decrypt} succeeds or fails, and a token may take measurably different time
 * for the two (SoftHSM2 2.6 over OpenSSL 3.0 fails before copying any output). That is the
 * Bleichenbacher oracle of every PKCS#1 v1.5 decryption API, SunJCE's included; protocols must not
 * expose it (TLS does not: JSSE replaces a failed premaster decryption with a random one, and takes
 * the {@code DECRYPT_MODE} path for P11J, which does not implement {@code TlsRsaPremasterSecret}
 * unwrapping). Prefer OAEP.
 *
 * <p>Not thread-safe, as every {@code Cipher}.
 */
public final class P11RsaCipher extends CipherSpi {

    /** The padding of a transformation. */
    enum Padding { PKCS1, NONE, OAEP }

    private static final String DECRYPTION_FAILED = "RSA decryption failed";
    private static final Mechanism RSA_PKCS = Mechanism.of(CKM_RSA_PKCS);
    private static final Mechanism RSA_X_509 = Mechanism.of(CKM_RSA_X_509);
    /** JSSE's spec for TLS premaster unwrapping; P11J steps aside so that JSSE decrypts instead. */
    private static final String TLS_PREMASTER_SPEC = "sun.security.internal.spec.TlsRsaPremasterSecretParameterSpec";

    private final TokenContext providerContext;
    private final PublicKeyImports imports;
    private Padding padding;
    /** The OAEP parameters the transformation's name means when none are given. */
    private OaepParameters oaepDefaults;

    // ---- what init chose
    private int opmode; // 0: not initialized
    private TokenContext context;      // where the token operation runs; null: in software
    private P11RsaPrivateKey privateKey;
    private P11RsaPublicKey tokenPublicKey;
    private RSAPublicKey publicKey;    // any public key (also tokenPublicKey)
    private PublicKeyImports.Imported imported;
    private OaepParameters oaep;
    private Mechanism mechanism;       // the token's mechanism; null: software encryption
    private boolean rawOaep;           // decrypt with CKM_RSA_X_509 and decode OAEP here
    private P11jKeyUnwrapSpec unwrapSpec;
    private SecureRandom random;
    private int k;                     // modulus length in bytes
    private int maxInput;

    // ---- the data so far
    private byte[] buf;
    private int len;
    private boolean overflow;

    /**
     * @param providerContext the provider's token (where software public keys are imported); null for the
     *                        unconfigured provider
     * @param padding         the transformation's padding; null for {@code RSA}, PKCS#1 v1.5 unless
     *                        {@code setPadding} says otherwise
     * @param oaepHash        for {@code OAEPWith<digest>AndMGF1Padding}, the digest; else null
     */
    P11RsaCipher(TokenContext providerContext, PublicKeyImports imports, Padding padding, OaepParameters.Hash oaepHash) {
        this.providerContext = providerContext;
        this.imports = imports;
        this.padding = padding == null ? Padding.PKCS1 : padding;
        this.oaepDefaults = OaepParameters.defaults(oaepHash == null ? OaepParameters.Hash.SHA1 : oaepHash);
    }

    // ================================================================ mode and padding (the "RSA" service)

    @Override
    protected void engineSetMode(String mode) throws NoSuchAlgorithmException {
        if (!"ECB".equalsIgnoreCase(mode) && !"NONE".equalsIgnoreCase(mode)) {
            throw new NoSuchAlgorithmException("RSA has no mode " + mode + " (ECB or NONE)");
        }
    }

    @Override
    protected void engineSetPadding(String name) throws NoSuchPaddingException {
        String p = name.toUpperCase(Locale.ROOT);
        if (p.equals("PKCS1PADDING")) {
            padding = Padding.PKCS1;
        } else if (p.equals("NOPADDING")) {
            padding = Padding.NONE;
        } else if (p.equals("OAEPPADDING")) {
            padding = Padding.OAEP;
            oaepDefaults = OaepParameters.defaults(OaepParameters.Hash.SHA1);
        } else {
            OaepParameters.Hash h = OaepParameters.Hash.ofPaddingName(name);
            if (h == null) {
                throw new NoSuchPaddingException("P11J RSA has no padding " + name);
            }
            padding = Padding.OAEP;
            oaepDefaults = OaepParameters.defaults(h);
        }
    }

    // ================================================================ init

    @Override
    protected void engineInit(int opmode, Key key, SecureRandom random) throws InvalidKeyException {
        try {
            engineInit(opmode, key, (AlgorithmParameterSpec) null, random);
        } catch (InvalidAlgorithmParameterException e) {
            throw new InvalidKeyException(e.getMessage(), e);
        }
    }

    @Override
    protected void engineInit(int opmode, Key key, AlgorithmParameters params, SecureRandom random)
            throws InvalidKeyException, InvalidAlgorithmParameterException {
        AlgorithmParameterSpec spec = null;
        if (params != null) {
            try {
                spec = params.getParameterSpec(OAEPParameterSpec.class);
            } catch (InvalidParameterSpecException e) {
                throw new InvalidAlgorithmParameterException("RSA takes OAEP parameters, not " + params.getAlgorithm(), e);
            }
        }
        engineInit(opmode, key, spec, random);
    }

    @Override
    protected void engineInit(int opmode, Key key, AlgorithmParameterSpec params, SecureRandom random)
            throws InvalidKeyException, InvalidAlgorithmParameterException {
        reset();
        P11jKeyUnwrapSpec unwrap = null;
        if (params instanceof P11jKeyUnwrapSpec u) {
            if (opmode != Cipher.UNWRAP_MODE) {
                throw new InvalidAlgorithmParameterException("a P11jKeyUnwrapSpec is for UNWRAP_MODE only");
            }
            unwrap = u;
            params = u.cipherParameters().orElse(null);
        }
        if (params != null && TLS_PREMASTER_SPEC.equals(params.getClass().getName())) {
            // JSSE tries UNWRAP_MODE first and falls back to DECRYPT_MODE (with its own handling of a failed
            // decryption) on an InvalidKeyException: an IAPE would end the handshake.
            throw new InvalidKeyException("P11J does not unwrap TLS premaster secrets; decrypt them (DECRYPT_MODE)");
        }
        OaepParameters o = null;
        if (padding == Padding.OAEP) {
            o = params == null ? oaepDefaults : OaepParameters.of(params);
        } else if (params != null) {
            throw new InvalidAlgorithmParameterException("RSA with " + paddingName() + " takes no parameters, not a "
                    + params.getClass().getName());
        }
        useKey(opmode, key);
        k = (((RSAKey) key).getModulus().bitLength() + 7) / 8;
        oaep = o;
        chooseMechanism(opmode);
        maxInput = switch (padding) {
            case PKCS1 -> Math.max(0, k - 11);
            case NONE -> k;
            case OAEP -> o.maxMessage(k);
        };
        this.opmode = opmode;
        this.unwrapSpec = unwrap;
        this.random = random;
        if (buf == null || buf.length != k) {
            buf = new byte[k];
        }
    }

    private void useKey(int opmode, Key key) throws InvalidKeyException {
        if (!(key instanceof RSAKey rsa) || !"RSA".equalsIgnoreCase(key.getAlgorithm()) || rsa.getModulus() == null) {
            throw new InvalidKeyException("RSA needs an RSA key, not "
                    + (key == null ? "null" : key.getAlgorithm() + " (" + key.getClass().getSimpleName() + ")"));
        }
        switch (opmode) {
            case Cipher.ENCRYPT_MODE, Cipher.WRAP_MODE -> {
                if (!(key instanceof RSAPublicKey pub)) {
                    throw new InvalidKeyException("P11J encrypts and wraps with RSA public keys; "
                            + (key instanceof P11RsaPrivateKey ? "this is a private key: decrypt with it"
                            : "a " + key.getClass().getName() + " is not one"));
                }
                publicKey = pub;
                tokenPublicKey = pub instanceof P11RsaPublicKey p ? p : null;
            }
            case Cipher.DECRYPT_MODE, Cipher.UNWRAP_MODE -> {
                if (!(key instanceof P11RsaPrivateKey pk)) {
                    throw new InvalidKeyException("P11J decrypts and unwraps only with RSA private keys on a PKCS#11 token "
                            + "(P11J keys), not with " + (key instanceof RSAPublicKey ? "a public key"
                            : "a " + key.getClass().getName() + "; software keys belong to the JDK's providers"));
                }
                if (pk.alwaysAuthenticate() && pk.contextPin() == null) {
                    throw new InvalidKeyException(pk.uri() + " needs a context-specific login for every use "
                            + "(CKA_ALWAYS_AUTHENTICATE), and no PIN is attached to it: get the key from the PKCS11-URI "
                            + "KeyStore with its password, or attach one with P11Key.contextPin");
                }
                privateKey = pk;
            }
            default -> throw new InvalidKeyException("unknown cipher mode " + opmode);
        }
    }

    /**
     * The token mechanism for the key and parameters, with no token call (a software public key is
     * imported once). See the class comment for the fallbacks.
     */
    private void chooseMechanism(int opmode) throws InvalidKeyException, InvalidAlgorithmParameterException {
        boolean decrypting = opmode == Cipher.DECRYPT_MODE || opmode == Cipher.UNWRAP_MODE;
        long ckm = switch (padding) {
            case PKCS1 -> CKM_RSA_PKCS;
            case NONE -> CKM_RSA_X_509;
            case OAEP -> CKM_RSA_PKCS_OAEP;
        };
        TokenContext c = decrypting ? privateKey.context() : tokenPublicKey != null ? tokenPublicKey.context() : providerContext;
        boolean tokenTakes = c != null && (padding == Padding.OAEP ? oaep.tokenTakes(c) : c.supports(ckm));
        if (tokenTakes) {
            context = c;
            mechanism = padding == Padding.OAEP ? oaep.mechanism() : padding == Padding.PKCS1 ? RSA_PKCS : RSA_X_509;
            if (!decrypting && tokenPublicKey == null) {
                imported = imports.get(c, publicKey);
            }
            return;
        }
        String why = c == null ? "no token (the unconfigured provider)" : padding == Padding.OAEP && c.supports(ckm)
                ? "the token " + c.tokenUri() + " takes " + mechanismName(ckm) + " with SHA-1, MGF1-SHA-1 and no label only (quirk "
                + Quirk.OAEP_SHA1_ONLY.configName() + "), not " + oaep
                : "the token " + c.tokenUri() + " has no " + mechanismName(ckm);
        if (opmode == Cipher.ENCRYPT_MODE) {
            return; // in software: a public operation
        }
        if (opmode == Cipher.DECRYPT_MODE && padding == Padding.OAEP) {
            if (c.supports(CKM_RSA_X_509)) {
                context = c;
                mechanism = RSA_X_509;
                rawOaep = true;
                return;
            }
            throw new InvalidAlgorithmParameterException(why + ", and no CKM_RSA_X_509 to decrypt raw and decode here");
        }
        if (padding == Padding.OAEP) {
            throw new InvalidAlgorithmParameterException(why + (opmode == Cipher.UNWRAP_MODE
                    ? "; unwrapping in the provider would put the key in the JVM" : "; wrapping needs the token's mechanism"));
        }
        throw new InvalidKeyException(why + ": cannot " + (opmode == Cipher.WRAP_MODE ? "wrap" : "decrypt") + " with RSA "
                + paddingName());
    }

    private static String mechanismName(long ckm) {
        return io.p11j.sys.Pkcs11Constants.mechanismName(ckm);
    }

    private String paddingName() {
        return switch (padding) {
            case PKCS1 -> "PKCS1Padding";
            case NONE -> "NoPadding";
            case OAEP -> "OAEPPadding";
        };
    }

    // ================================================================ sizes and parameters

    @Override
    protected int engineGetBlockSize() {
        return 0;
    }

    @Override
    protected int engineGetOutputSize(int inputLen) {
        return k;
    }

    @Override
    protected byte[] engineGetIV() {
        return null;
    }

    @Override
    protected AlgorithmParameters engineGetParameters() {
        if (padding != Padding.OAEP) {
            return null;
        }
        try {
            AlgorithmParameters p = AlgorithmParameters.getInstance("OAEP", "SunJCE");
            p.init((oaep != null ? oaep : oaepDefaults).spec());
            return p;
        } catch (GeneralSecurityException e) {
            throw new ProviderException("SunJCE cannot encode OAEP parameters", e);
        }
    }

    @Override
    protected int engineGetKeySize(Key key) throws InvalidKeyException {
        if (key instanceof RSAKey rsa && rsa.getModulus() != null) {
            return rsa.getModulus().bitLength();
        }
        throw new InvalidKeyException("not an RSA key");
    }

    // ================================================================ data

    @Override
    protected byte[] engineUpdate(byte[] input, int offset, int length) {
        append(input, offset, length);
        return new byte[0];
    }

    @Override
    protected int engineUpdate(byte[] input, int offset, int length, byte[] output, int outputOffset) {
        append(input, offset, length);
        return 0;
    }

    private void append(byte[] input, int offset, int length) {
        checkData();
        if (input == null || length <= 0) {
            return;
        }
        if (overflow || length > buf.length - len) {
            overflow = true; // too much for one RSA block: doFinal says so; nothing more is kept
            return;
        }
        System.arraycopy(input, offset, buf, len, length);
        len += length;
    }

    private void checkData() {
        if (opmode == 0) {
            throw new IllegalStateException("Cipher not initialized");
        }
        if (opmode == Cipher.WRAP_MODE || opmode == Cipher.UNWRAP_MODE) {
            throw new IllegalStateException("Cipher initialized for " + (opmode == Cipher.WRAP_MODE ? "wrap" : "unwrap")
                    + ", not for data");
        }
    }

    @Override
    protected byte[] engineDoFinal(byte[] input, int offset, int length) throws IllegalBlockSizeException, BadPaddingException {
        append(input, offset, length);
        try {
            return finish();
        } finally {
            clear();
        }
    }

    @Override
    protected int engineDoFinal(byte[] input, int offset, int length, byte[] output, int outputOffset)
            throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
        append(input, offset, length);
        byte[] out;
        try {
            if (output.length - outputOffset < k) {
                // The result's length is known only once decrypted: demand the most (the JDK's RSA cipher does too).
                throw new ShortBufferException("RSA needs " + k + " bytes of output space, "
                        + (output.length - outputOffset) + " given");
            }
            out = finish();
        } finally {
            clear();
        }
        System.arraycopy(out, 0, output, outputOffset, out.length);
        Arrays.fill(out, (byte) 0);
        return out.length;
    }

    private byte[] finish() throws IllegalBlockSizeException, BadPaddingException {
        boolean encrypting = opmode == Cipher.ENCRYPT_MODE;
        int limit = encrypting ? maxInput : k;
        if (overflow || len > limit) {
            throw new IllegalBlockSizeException("RSA " + paddingName() + (encrypting ? " encrypts at most " : " decrypts at most ")
                    + limit + " bytes with a " + k * 8 + "-bit key" + (overflow ? ", more given" : ", not " + len));
        }
        byte[] data;
        if (padding == Padding.NONE) {
            data = new byte[k]; // an integer: shorter input has leading zeros
            System.arraycopy(buf, 0, data, k - len, len);
        } else {
            data = Arrays.copyOf(buf, len);
        }
        try {
            return encrypting ? encrypt(data) : decrypt(data);
        } finally {
            Arrays.fill(data, (byte) 0);
        }
    }

    /** Forgets the data (which may be plaintext); the key and parameters stay for the next message. */
    private void clear() {
        if (buf != null) {
            Arrays.fill(buf, 0, Math.min(len, buf.length), (byte) 0);
        }
        len = 0;
        overflow = false;
    }

    // ================================================================ encryption

    private byte[] encrypt(byte[] data) throws BadPaddingException, IllegalBlockSizeException {
        if (padding == Padding.NONE && new BigInteger(1, data).compareTo(publicKey.getModulus()) >= 0) {
            // Public data, checked here: tokens answer it differently (SoftHSM2: CKR_GENERAL_ERROR). SunJCE says the same.
            throw new BadPaddingException("the message is not smaller than the modulus");
        }
        if (mechanism == null) {
            return softwareEncrypt(data);
        }
        try {
            return context.execute(s -> s.encrypt(mechanism, publicHandle(s), data));
        } catch (Pkcs11Exception e) {
            long rv = e.rv();
            if (imported != null && (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID)) {
                imports.forget(context, publicKey); // its session object is gone: import anew at the next init
            }
            if (Errors.isDataProblem(rv)) {
                if (padding == Padding.NONE) {
                    BadPaddingException b = new BadPaddingException("the message is not smaller than the modulus");
                    b.initCause(e);
                    throw b;
                }
                IllegalBlockSizeException ib = new IllegalBlockSizeException("the token refused the input: " + e.getMessage());
                ib.initCause(e);
                throw ib;
            }
            throw Errors.provider("RSA " + paddingName() + " encryption (C_Encrypt, " + mechanism + ") with " + keyName(), e);
        }
    }

    private long publicHandle(Session s) throws Pkcs11Exception {
        return tokenPublicKey != null ? tokenPublicKey.handle(s) : imported.handle(s);
    }

    /** Bouncy Castle's padding over its RSA engine, with the public key: OAEP parameters no token takes. */
    private byte[] softwareEncrypt(byte[] data) throws BadPaddingException {
        AsymmetricBlockCipher c = switch (padding) {
            case PKCS1 -> new PKCS1Encoding(new RSAEngine());
            case NONE -> new RSAEngine();
            case OAEP -> new OAEPEncoding(new RSAEngine(), oaep.hash().newDigest(), oaep.mgfHash().newDigest(), oaep.label());
        };
        c.init(true, new ParametersWithRandom(new RSAKeyParameters(false, publicKey.getModulus(), publicKey.getPublicExponent()),
                random != null ? random : JdkRandom.get()));
        try {
            return c.processBlock(data, 0, data.length);
        } catch (DataLengthException | InvalidCipherTextException e) {
            BadPaddingException b = new BadPaddingException("the message is not smaller than the modulus");
            b.initCause(e);
            throw b;
        }
    }

    // ================================================================ decryption

    private byte[] decrypt(byte[] data) throws BadPaddingException {
        if (padding != Padding.NONE && data.length != k) {
            throw new BadPaddingException(DECRYPTION_FAILED); // RFC 8017 7.1.2 / 7.2.2 step 1: public, no token call
        }
        if (rawOaep) {
            return decodeOaep(data);
        }
        try {
            return tokenDecrypt(data, mechanism);
        } catch (Pkcs11Exception e) {
            throw decryptionFailure(e);
        }
    }

    /** One {@code context.execute}: init, the context-specific login if the key needs one, decrypt. */
    private byte[] tokenDecrypt(byte[] data, Mechanism m) throws Pkcs11Exception {
        P11RsaPrivateKey key = privateKey;
        char[] pin = key.alwaysAuthenticate() ? contextPin(key) : null;
        try {
            return context.execute(s -> {
                s.decryptInit(m, key.handle(s));
                if (key.alwaysAuthenticate()) {
                    if (pin == null) {
                        s.loginProtected(UserType.CONTEXT_SPECIFIC);
                    } else {
                        s.login(UserType.CONTEXT_SPECIFIC, pin);
                    }
                }
                return s.decryptAfterInit(data);
            });
        } finally {
            if (pin != null) {
                Arrays.fill(pin, '\0');
            }
        }
    }

    private static char[] contextPin(P11Key key) {
        PinSupplier pins = key.contextPin();
        try {
            return pins == null ? null : pins.pin();
        } catch (IOException e) {
            throw new ProviderException("no PIN for the context-specific login of " + key.uri() + ": " + e.getMessage(), e);
        }
    }

    /**
     * OAEP decoded here over the token's raw decryption: BC's constant-time check, and the leading
     * octet folded into the one verdict.
     */
    private byte[] decodeOaep(byte[] data) throws BadPaddingException {
        RsaTokenRawDecryption raw = new RsaTokenRawDecryption(k, c -> tokenDecrypt(c, RSA_X_509));
        OAEPEncoding decoding = new OAEPEncoding(raw, oaep.hash().newDigest(), oaep.mgfHash().newDigest(), oaep.label());
        decoding.init(false, new ParametersWithRandom(null, random != null ? random : JdkRandom.get()));
        byte[] out = null;
        InvalidCipherTextException bad = null;
        try {
            out = decoding.processBlock(data, 0, data.length);
        } catch (InvalidCipherTextException e) {
            bad = e;
        } catch (RsaTokenRawDecryption.TokenFailure f) {
            throw decryptionFailure(f.pkcs11());
        }
        if (bad != null | raw.leadingOctet() != 0) {
            if (out != null) {
                Arrays.fill(out, (byte) 0);
            }
            // The same exception, message and cause whichever check failed (a non-zero leading octet with an
            // otherwise valid encoding passes BC's check): Manger's attack needs failures told apart.
            BadPaddingException b = new BadPaddingException(DECRYPTION_FAILED);
            b.initCause(bad != null ? bad : new InvalidCipherTextException("data wrong"));
            throw b;
        }
        return out;
    }

    /**
     * The token refused the ciphertext: the same {@link BadPaddingException} for every data failure
     * (no padding detail in it: the token reports all with one code); anything else is the token's
     * problem ({@code ProviderException}).
     */
    private BadPaddingException decryptionFailure(Pkcs11Exception e) {
        long rv = e.rv();
        if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE || Errors.isDataProblem(rv)
                || (rv == CKR_GENERAL_ERROR && context.has(Quirk.DECRYPT_FAILURE_AS_GENERAL_ERROR))) {
            BadPaddingException b = new BadPaddingException(DECRYPTION_FAILED);
            b.initCause(e);
            return b;
        }
        String hint = rv == CKR_USER_NOT_LOGGED_IN ? " (log in first: a PIN in the URI, KeyStore.load, or AuthProvider.login)"
                : Errors.isKeyProblem(rv) || Errors.isMechanismProblem(rv) ? " (the key does not permit it: CKA_DECRYPT, "
                + "CKA_ALLOWED_MECHANISMS)" : "";
        throw Errors.provider("RSA " + paddingName() + " decryption (C_Decrypt, " + mechanism + ") with " + keyName() + hint, e);
    }

    // ================================================================ wrap and unwrap

    @Override
    protected byte[] engineWrap(Key key) throws IllegalBlockSizeException, InvalidKeyException {
        if (opmode != Cipher.WRAP_MODE) {
            throw new IllegalStateException("Cipher not initialized for wrapping");
        }
        if (!(key instanceof P11Key k)) {
            throw new InvalidKeyException("P11J wraps keys on its token only (C_WrapKey); " + (key == null ? "null"
                    : key.getClass().getName()) + " is not one");
        }
        if (k.context() != context) {
            throw new InvalidKeyException("the key to wrap is on another token than the wrapping key: " + k.uri());
        }
        if (!k.isExtractable()) {
            throw new InvalidKeyException("the key " + k.uri() + " is not extractable (CKA_EXTRACTABLE false), so no token will "
                    + "wrap it; create it with P11jKeyGenParameterSpec.extractable(true) to be able to wrap it");
        }
        try {
            return context.execute(s -> s.wrapKey(mechanism, publicHandle(s), k.handle(s)));
        } catch (Pkcs11Exception e) {
            if (imported != null && (e.rv() == CKR_KEY_HANDLE_INVALID || e.rv() == CKR_OBJECT_HANDLE_INVALID)) {
                imports.forget(context, publicKey);
            }
            if (e.rv() == CKR_KEY_SIZE_RANGE) {
                IllegalBlockSizeException ib = new IllegalBlockSizeException("the key " + k.uri() + " is too long to wrap "
                        + "with RSA " + paddingName() + " and a " + this.k * 8 + "-bit key: " + e.getMessage());
                ib.initCause(e);
                throw ib;
            }
            throw Errors.invalidKey("C_WrapKey of " + k.uri() + " under " + keyName() + " (" + mechanism + ")", e);
        }
    }

    @Override
    protected Key engineUnwrap(byte[] wrappedKey, String wrappedKeyAlgorithm, int wrappedKeyType)
            throws InvalidKeyException, NoSuchAlgorithmException {
        if (opmode != Cipher.UNWRAP_MODE) {
            throw new IllegalStateException("Cipher not initialized for unwrapping");
        }
        return KeyWrapping.unwrap(mechanism, privateKey, wrappedKey, wrappedKeyAlgorithm, wrappedKeyType, unwrapSpec);
    }

    // ================================================================ state

    private void reset() {
        clear();
        opmode = 0;
        context = null;
        privateKey = null;
        tokenPublicKey = null;
        publicKey = null;
        imported = null;
        oaep = null;
        mechanism = null;
        rawOaep = false;
        unwrapSpec = null;
        random = null;
        k = 0;
        maxInput = 0;
    }

    private String keyName() {
        if (privateKey != null) {
            return privateKey.uri().toString();
        }
        return tokenPublicKey != null ? tokenPublicKey.uri().toString() : "an imported RSA public key";
    }
}
