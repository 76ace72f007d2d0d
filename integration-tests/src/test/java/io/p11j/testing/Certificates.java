// SPDX-License-Identifier: Apache-2.0
package io.p11j.testing;

import io.p11j.wrapper.Session;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import static io.p11j.sys.Pkcs11Constants.*;

/** Test certificates: a software CA that issues certificates for keys that live on a token (Bouncy Castle builds them). */
public final class Certificates {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A CA: its key pair (software) and self-signed certificate. */
    public record Ca(KeyPair keys, X509Certificate certificate) {

        /** A CA on P-256, named {@code CN=<name>}. */
        public static Ca create(String name) throws Exception {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair kp = g.generateKeyPair();
            X500Name dn = new X500Name("CN=" + name);
            X509v3CertificateBuilder b = builder(dn, dn, kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            return new Ca(kp, convert(b, "SHA256withECDSA", kp.getPrivate()));
        }

        /** An end-entity certificate {@code CN=<subject>} (with that name as a DNS SAN) for {@code key}, issued by this CA. */
        public X509Certificate issue(String subject, PublicKey key) throws Exception {
            X509v3CertificateBuilder b = builder(new X500Name(certificate.getSubjectX500Principal().getName()),
                    new X500Name("CN=" + subject), key)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(new GeneralName(GeneralName.dNSName, subject)));
            return convert(b, "SHA256withECDSA", keys.getPrivate());
        }
    }

    private Certificates() {
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, PublicKey key) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))), subject, key);
    }

    private static X509Certificate convert(X509v3CertificateBuilder b, String alg, PrivateKey signer) throws Exception {
        ContentSigner s = new JcaContentSignerBuilder(alg).setProvider("SunEC").build(signer);
        return new JcaX509CertificateConverter().getCertificate(b.build(s));
    }

    /** Writes {@code cert} as a token certificate object with {@code label} and {@code id}. */
    public static long store(Session session, X509Certificate cert, String label, byte[] id) throws Exception {
        Template.Builder t = Template.builder().objectClass(CKO_CERTIFICATE).ulong(CKA_CERTIFICATE_TYPE, CKC_X_509)
                .flag(AttributeType.TOKEN, true).flag(AttributeType.PRIVATE, false)
                .set(AttributeType.VALUE, cert.getEncoded())
                .set(AttributeType.SUBJECT, cert.getSubjectX500Principal().getEncoded())
                .set(AttributeType.ISSUER, cert.getIssuerX500Principal().getEncoded())
                .set(AttributeType.SERIAL_NUMBER, new org.bouncycastle.asn1.ASN1Integer(cert.getSerialNumber()).getEncoded());
        if (label != null) {
            t.label(label);
        }
        if (id != null) {
            t.id(id);
        }
        return session.createObject(t.build());
    }
}
