// SPDX-License-Identifier: Apache-2.0
/**
 * ASN.1/DER and key-encoding conversions between the JCA and PKCS#11; Bouncy Castle does the DER.
 *
 * <p>The JCA and PKCS#11 disagree on how the same values are written down: an ECDSA signature is
 * a DER {@code SEQUENCE} of two {@code INTEGER}s in the JCA and raw {@code r‖s} in PKCS#11; an EC
 * curve is an {@link java.security.spec.ECParameterSpec} in the JCA and the DER of its OID in
 * {@code CKA_EC_PARAMS}; a public point is an {@link java.security.spec.ECPoint} in the JCA and a
 * DER {@code OCTET STRING} in {@code CKA_EC_POINT}; {@code CKM_RSA_PKCS} signs a DER
 * {@code DigestInfo} that the JCA's {@code SHA256withRSA} builds implicitly; RSASSA-PSS parameters
 * are a {@link java.security.spec.PSSParameterSpec} in the JCA and {@code CK_RSA_PKCS_PSS_PARAMS}
 * constants in PKCS#11.
 *
 * <p>Everything here is a pure function of its arguments: no token, no session, no state. The
 * classes parse untrusted input (signatures handed to {@code verify}, attribute values read from a
 * token) strictly, and their exception messages name the problem without ever quoting the bytes,
 * so that no key material or signature reaches a log. ASN.1 parsing and encoding is Bouncy
 * Castle's ({@code org.bouncycastle.asn1}); nothing here writes DER by hand.
 */
package io.p11j.provider.codec;
