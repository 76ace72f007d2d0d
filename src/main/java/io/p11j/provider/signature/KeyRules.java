// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.signature;

import io.p11j.provider.key.PublicKeyImports;
import io.p11j.provider.codec.EcCurves;
import io.p11j.provider.key.P11PrivateKey;
import io.p11j.provider.key.P11PublicKey;
import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.MechanismInfo;

import java.security.InvalidAlgorithmParameterException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * Which keys a signature service takes — one set of rules for {@code supportsParameter} (how the
 * JCA's delayed provider selection finds P11J for a token key, and passes over P11J for a key it
 * cannot use) and for the engine's init methods.
 *
 * <ul>
 *   <li>Private keys: only P11J token keys of the service's kind, on a token that has a mechanism for
 *       it. A software private key is the JDK's business: P11J declines it.</li>
 *   <li>P11J public keys: verified with their own token object.</li>
 *   <li>Other public keys (any provider's RSA, EC or EdDSA key): only on a configured provider whose
 *       token has the mechanism, the curve and the key size; they are imported there as session
 *       objects ({@link PublicKeyImports}). The unconfigured provider has no token to import into.</li>
 * </ul>
 *
 * No rule makes a token call.
 */
final class KeyRules {

    private KeyRules() {
    }

    /** {@code supportsParameter}: whether the service of {@code alg} on the provider of {@code providerContext} takes {@code key}. */
    static boolean supports(SignatureAlgorithm alg, TokenContext providerContext, Key key) {
        if (!kindMatches(alg, key)) {
            return false;
        }
        if (key instanceof P11PrivateKey k) {
            return alg.availableOn(k.context());
        }
        if (key instanceof PrivateKey) {
            return false;
        }
        if (key instanceof P11PublicKey k && alg.availableOn(k.context())) {
            return true;
        }
        return key instanceof PublicKey pub && importable(alg, providerContext, pub);
    }

    /** Whether {@code key} is of the kind {@code alg} signs with: RSA, EC, or the right Edwards curve. */
    static boolean kindMatches(SignatureAlgorithm alg, Key key) {
        switch (alg.family()) {
            case RSA_PKCS1:
                // A JDK "RSASSA-PSS" key is restricted to PSS; PKCS#1 v1.5 must not use it.
                return key instanceof RSAKey && "RSA".equalsIgnoreCase(key.getAlgorithm());
            case RSA_PSS:
                return key instanceof RSAKey
                        && ("RSA".equalsIgnoreCase(key.getAlgorithm()) || "RSASSA-PSS".equalsIgnoreCase(key.getAlgorithm()));
            case ECDSA:
                return key instanceof ECKey;
            case EDDSA:
                String curve = edCurve(key);
                return curve != null && (alg.edCurve() == null || alg.edCurve().equalsIgnoreCase(curve));
            default:
                return false;
        }
    }

    /** {@code Ed25519} or {@code Ed448} for an Edwards key, else null. */
    static String edCurve(Key key) {
        if (!(key instanceof EdECKey ed) || ed.getParams() == null) {
            return null;
        }
        String name = ed.getParams().getName();
        if ("Ed25519".equalsIgnoreCase(name)) {
            return "Ed25519";
        }
        return "Ed448".equalsIgnoreCase(name) ? "Ed448" : null;
    }

    /**
     * Whether a software public key of the right kind can be imported onto the token of a configured
     * provider and verified there: the token has a mechanism for {@code alg}, P11J knows the curve,
     * and the key size is in the mechanism's range.
     */
    static boolean importable(SignatureAlgorithm alg, TokenContext providerContext, PublicKey key) {
        if (providerContext == null || !kindMatches(alg, key) || !alg.availableOn(providerContext)) {
            return false;
        }
        if (key instanceof RSAKey rsa) {
            return rsa.getModulus() != null && inRange(alg, providerContext, rsa.getModulus().bitLength());
        }
        if (key instanceof ECKey ec) {
            try {
                EcCurves.encodeParams(ec.getParams());
            } catch (InvalidAlgorithmParameterException | RuntimeException e) {
                return false; // a curve P11J cannot name to the token
            }
            return inRange(alg, providerContext, ec.getParams().getCurve().getField().getFieldSize());
        }
        return edCurve(key) != null;
    }

    /** Key size (bits) within the {@code CK_MECHANISM_INFO} range of the mechanism that would be used; no range = any. */
    private static boolean inRange(SignatureAlgorithm alg, TokenContext context, int bits) {
        long mechanism = alg.combined() != 0 && context.supports(alg.combined()) ? alg.combined() : alg.raw();
        if (alg.pssWithParameters()) {
            mechanism = CKM_RSA_PKCS_PSS; // its digest is not known yet; the raw mechanism's range stands for all
        }
        MechanismInfo info = context.mechanism(mechanism).orElse(null);
        if (info == null || info.maxKeySize() <= 0) {
            return true;
        }
        return bits >= info.minKeySize() && bits <= info.maxKeySize();
    }
}
