// SPDX-License-Identifier: Apache-2.0
package io.p11j.provider.keystore;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.attribute.Template;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;

import java.io.IOException;
import java.security.KeyStoreException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.LocalDate;
import java.util.Set;

import static io.p11j.sys.Pkcs11Constants.*;
import static io.p11j.wrapper.attribute.AttributeType.*;

/**
 * Writes X.509 certificate objects: {@code CKA_CLASS=CKO_CERTIFICATE},
 * {@code CKA_CERTIFICATE_TYPE=CKC_X_509}, the value, subject, issuer and serial number (DER, as
 * PKCS#11 specifies them), id, label, and {@code CKA_START_DATE} = the day it was stored (what
 * {@code KeyStore.getCreationDate} reports). Public token objects.
 */
final class CertificateObjects {

    /**
     * What tokens answer when the user may not set {@code CKA_TRUSTED} (SoftHSM2 reserves it to the
     * security officer: {@code CKR_ATTRIBUTE_READ_ONLY}): the certificate is then stored without it.
     */
    private static final Set<Long> TRUST_REFUSED = Set.of(CKR_ATTRIBUTE_READ_ONLY, CKR_ATTRIBUTE_TYPE_INVALID,
            CKR_ATTRIBUTE_VALUE_INVALID, CKR_TEMPLATE_INCONSISTENT, CKR_ACTION_PROHIBITED, CKR_USER_NOT_LOGGED_IN);

    private CertificateObjects() {
    }

    /** The template of a certificate object; {@code id} may be empty. */
    static Template template(X509Certificate cert, byte[] id, String label) throws KeyStoreException {
        byte[] value;
        byte[] serial;
        try {
            value = cert.getEncoded();
            serial = new ASN1Integer(cert.getSerialNumber()).getEncoded(ASN1Encoding.DER);
        } catch (CertificateEncodingException | IOException | RuntimeException e) {
            throw new KeyStoreException("cannot encode certificate " + cert.getSubjectX500Principal() + ": " + e.getMessage(), e);
        }
        return Template.builder().objectClass(CKO_CERTIFICATE).set(CERTIFICATE_TYPE, CKC_X_509).flag(TOKEN, true)
                .flag(PRIVATE, false).flag(MODIFIABLE, true).set(VALUE, value)
                .set(SUBJECT, cert.getSubjectX500Principal().getEncoded())
                .set(ISSUER, cert.getIssuerX500Principal().getEncoded()).set(SERIAL_NUMBER, serial)
                .id(id).label(label).date(START_DATE, LocalDate.now()).build();
    }

    /** Creates a certificate object. */
    static long create(Session s, X509Certificate cert, byte[] id, String label) throws Pkcs11Exception, KeyStoreException {
        return s.createObject(template(cert, id, label));
    }

    /** Creates a trusted certificate object: with {@code CKA_TRUSTED} where the token lets this user set it, else without. */
    static long createTrusted(Session s, X509Certificate cert, byte[] id, String label) throws Pkcs11Exception, KeyStoreException {
        Template t = template(cert, id, label);
        try {
            return s.createObject(t.with(Template.builder().flag(TRUSTED, true).build()));
        } catch (Pkcs11Exception e) {
            if (!TRUST_REFUSED.contains(e.rv())) {
                throw e;
            }
            return s.createObject(t);
        }
    }
}
