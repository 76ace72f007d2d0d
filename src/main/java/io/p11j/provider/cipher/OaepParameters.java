// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.cipher;

import io.p11j.provider.codec.PssParameters;
import io.p11j.provider.token.Quirk;
import io.p11j.provider.token.TokenContext;
import io.p11j.wrapper.mechanism.Mechanism;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.util.DigestFactory;

import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import java.security.InvalidAlgorithmParameterException;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.util.Locale;
import java.util.function.Supplier;

import static io.p11j.sys.Pkcs11Constants.*;

/**
 * RSAES-OAEP parameters as P11J takes them: the label digest, the MGF1 digest (SHA-1 or SHA-2) and
 * the label. Immutable.
 */
record OaepParameters(OaepParameters.Hash hash, OaepParameters.Hash mgfHash, byte[] label) {

    /** A digest OAEP may use, with its PKCS#11 names and a Bouncy Castle instance for the provider-side coding. */
    enum Hash {
        SHA1("SHA-1", CKM_SHA_1, CKG_MGF1_SHA1, MGF1ParameterSpec.SHA1, 20, DigestFactory::createSHA1),
        SHA224("SHA-224", CKM_SHA224, CKG_MGF1_SHA224, MGF1ParameterSpec.SHA224, 28, DigestFactory::createSHA224),
        SHA256("SHA-256", CKM_SHA256, CKG_MGF1_SHA256, MGF1ParameterSpec.SHA256, 32, DigestFactory::createSHA256),
        SHA384("SHA-384", CKM_SHA384, CKG_MGF1_SHA384, MGF1ParameterSpec.SHA384, 48, DigestFactory::createSHA384),
        SHA512("SHA-512", CKM_SHA512, CKG_MGF1_SHA512, MGF1ParameterSpec.SHA512, 64, DigestFactory::createSHA512);

        final String jcaName;
        final long ckm;
        final long mgf1;
        final MGF1ParameterSpec mgfSpec;
        final int length;
        private final Supplier<Digest> bc;

        Hash(String jcaName, long ckm, long mgf1, MGF1ParameterSpec mgfSpec, int length, Supplier<Digest> bc) {
            this.jcaName = jcaName;
            this.ckm = ckm;
            this.mgf1 = mgf1;
            this.mgfSpec = mgfSpec;
            this.length = length;
            this.bc = bc;
        }

        Digest newDigest() {
            return bc.get();
        }

        /** {@code SHA-256}, {@code SHA256}, an OID …, read as loosely as the JDK does. */
        static Hash byName(String name) throws InvalidAlgorithmParameterException {
            long ckm;
            try {
                ckm = PssParameters.ckmOfDigest(name); // the codec's one table of digest names
            } catch (InvalidAlgorithmParameterException e) {
                ckm = -1;
            }
            for (Hash h : values()) {
                if (h.ckm == ckm) {
                    return h;
                }
            }
            throw new InvalidAlgorithmParameterException("OAEP with " + name + " is not supported (SHA-1 and SHA-2 are)");
        }

        /** The digest in a padding name's {@code OAEPWith<digest>AndMGF1Padding}, or null. */
        static Hash ofPaddingName(String padding) {
            String p = padding.toUpperCase(Locale.ROOT);
            if (!p.startsWith("OAEPWITH") || !p.endsWith("ANDMGF1PADDING")) {
                return null;
            }
            String digest = p.substring("OAEPWITH".length(), p.length() - "ANDMGF1PADDING".length());
            for (Hash h : values()) {
                if (h.jcaName.equals(digest) || h.jcaName.replace("-", "").equals(digest)) {
                    return h;
                }
            }
            return null;
        }
    }

    OaepParameters {
        label = label == null ? new byte[0] : label.clone();
    }

    @Override
    public byte[] label() {
        return label.clone();
    }

    /**
     * The defaults of {@code OAEPWith<digest>AndMGF1Padding} as SunJCE reads the name: {@code digest}
     * for the label, MGF1 over SHA-1 (not over {@code digest}), no label. {@code OAEPPadding} is SHA-1.
     */
    static OaepParameters defaults(Hash hash) {
        return new OaepParameters(hash, Hash.SHA1, null);
    }

    /**
     * The parameters of an {@code OAEPParameterSpec}.
     *
     * @throws InvalidAlgorithmParameterException another kind of spec, another MGF or digest, another label source
     */
    static OaepParameters of(AlgorithmParameterSpec params) throws InvalidAlgorithmParameterException {
        if (!(params instanceof OAEPParameterSpec spec)) {
            throw new InvalidAlgorithmParameterException("RSA OAEP takes an OAEPParameterSpec, not "
                    + params.getClass().getName());
        }
        if (!"MGF1".equalsIgnoreCase(spec.getMGFAlgorithm()) || !(spec.getMGFParameters() instanceof MGF1ParameterSpec mgf)) {
            throw new InvalidAlgorithmParameterException("OAEP with the mask generation function " + spec.getMGFAlgorithm()
                    + " is not supported (MGF1 with an MGF1ParameterSpec is)");
        }
        if (!(spec.getPSource() instanceof PSource.PSpecified label)) {
            throw new InvalidAlgorithmParameterException("OAEP label source " + spec.getPSource().getAlgorithm()
                    + " is not supported (PSpecified is)");
        }
        return new OaepParameters(Hash.byName(spec.getDigestAlgorithm()), Hash.byName(mgf.getDigestAlgorithm()),
                label.getValue());
    }

    OAEPParameterSpec spec() {
        return new OAEPParameterSpec(hash.jcaName, "MGF1", mgfHash.mgfSpec,
                label.length == 0 ? PSource.PSpecified.DEFAULT : new PSource.PSpecified(label));
    }

    /** Whether {@code context}'s {@code CKM_RSA_PKCS_OAEP} takes these parameters (by the quirk table; no token call). */
    boolean tokenTakes(TokenContext context) {
        if (!context.supports(CKM_RSA_PKCS_OAEP)) {
            return false;
        }
        return !context.has(Quirk.OAEP_SHA1_ONLY) || (hash == Hash.SHA1 && mgfHash == Hash.SHA1 && label.length == 0);
    }

    Mechanism mechanism() {
        return Mechanism.rsaOaep(hash.ckm, mgfHash.mgf1, label);
    }

    /** The longest message these parameters pad into {@code k} bytes (RFC 8017 7.1.1). */
    int maxMessage(int k) {
        return Math.max(0, k - 2 * hash.length - 2);
    }

    @Override
    public String toString() {
        return "OAEP(" + hash.jcaName + ", MGF1 " + mgfHash.jcaName + (label.length == 0 ? "" : ", a " + label.length
                + "-byte label") + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OaepParameters p && p.hash == hash && p.mgfHash == mgfHash && java.util.Arrays.equals(p.label, label);
    }

    @Override
    public int hashCode() {
        return hash.hashCode() * 31 + mgfHash.hashCode();
    }
}
