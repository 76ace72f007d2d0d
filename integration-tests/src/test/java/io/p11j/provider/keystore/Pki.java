// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** Software CAs for the tests (Bouncy Castle writes the certificates; the JDK's providers sign). */
final class Pki {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A CA: its software key pair and certificate. */
    record Ca(KeyPair keys, X509Certificate cert) {

        /** A certificate for {@code subject}'s key, issued by this CA. */
        X509Certificate issue(PublicKey subject, String cn) throws Exception {
            return Pki.issue(this, subject, cn, false);
        }

        /** A subordinate CA. */
        Ca subordinate(String cn) throws Exception {
            KeyPair kp = ecKeyPair();
            return new Ca(kp, Pki.issue(this, kp.getPublic(), cn, true));
        }
    }

    private Pki() {
    }

    static KeyPair ecKeyPair() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    /** A self-signed root CA. */
    static Ca root(String cn) throws Exception {
        KeyPair kp = ecKeyPair();
        return new Ca(kp, sign(new X500Name("CN=" + cn), kp.getPublic(), new X500Name("CN=" + cn), kp, true));
    }

    /** A self-signed end-entity certificate for {@code keys}. */
    static X509Certificate selfSigned(KeyPair keys, String cn) throws Exception {
        return sign(new X500Name("CN=" + cn), keys.getPublic(), new X500Name("CN=" + cn), keys, false);
    }

    static X509Certificate issue(Ca ca, PublicKey subject, String cn, boolean isCa) throws Exception {
        return sign(X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded()), subject, new X500Name("CN=" + cn),
                ca.keys(), isCa);
    }

    private static X509Certificate sign(X500Name issuer, PublicKey subjectKey, X500Name subject, KeyPair signer, boolean isCa)
            throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM).add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))), subject, subjectKey);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(isCa ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
        String alg = signer.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(signer.getPrivate())));
    }
}
