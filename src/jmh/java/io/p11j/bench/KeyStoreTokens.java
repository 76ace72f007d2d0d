// SPDX-License-Identifier: Apache-2.0
package io.p11j.bench;

import io.p11j.sys.Pkcs11Exception;
import io.p11j.testing.ProviderFixture;
import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.KeyPairHandles;
import io.p11j.wrapper.Pkcs11Module;
import io.p11j.wrapper.Session;
import io.p11j.wrapper.Token;
import io.p11j.wrapper.UserType;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static io.p11j.sys.Pkcs11Constants.CKC_X_509;
import static io.p11j.sys.Pkcs11Constants.CKK_EC;
import static io.p11j.sys.Pkcs11Constants.CKM_ECDSA;
import static io.p11j.sys.Pkcs11Constants.CKM_EC_KEY_PAIR_GEN;
import static io.p11j.sys.Pkcs11Constants.CKO_CERTIFICATE;
import static io.p11j.sys.Pkcs11Constants.CKO_PRIVATE_KEY;
import static io.p11j.sys.Pkcs11Constants.CKO_PUBLIC_KEY;

/**
 * The token a KeyStore benchmark loads: {@code objects} token objects, a quarter each of
 *
 * <ul>
 *   <li>EC P-256 private keys and</li>
 *   <li>their public keys, labelled {@code ks-key-NNNN} with a 20-byte {@code CKA_ID} ({@link #id}),</li>
 *   <li>a self-signed X.509 certificate per key pair (same label and id; signed by the token key, so
 *       it verifies: a KeyStore that checks its chains may), and</li>
 *   <li>X.509 certificates without a key on the token ({@code ks-ca-NNNN}, ids of their own), as CA
 *       certificates are kept, signed by a software key.</li>
 * </ul>
 *
 * <p>{@code scripts/bench.sh} fills one such token once per run ({@link #main}: a SoftHSM2 token
 * directory of its own) and points the benchmark JVMs ({@link #TOKEN_ENV}, {@link #PIN_FILE_ENV}) and
 * {@code src/jmh/c/keystore_loop.c} at it, so that the C and Java loads read the very same objects
 * and the forks do not each spend seconds filling a token. Without those variables (JMH run by
 * hand) {@link #open} fills a fresh fixture token in the fork itself.
 */
final class KeyStoreTokens {

    /** The label of a filled token to use instead of making one (SOFTHSM2_CONF must be its configuration). */
    static final String TOKEN_ENV = "P11J_BENCH_KEYSTORE_TOKEN";
    /** A file holding that token's user PIN. */
    static final String PIN_FILE_ENV = "P11J_BENCH_KEYSTORE_PIN_FILE";

    /** A filled token: its label, slot, user PIN and a file holding the PIN (for P11J's {@code pin-source}). */
    record Filled(String label, long slotId, char[] pin, Path pinFile) {
    }

    /** Kept open for the JVM's life when the token was filled elsewhere (the fixture holds its own). */
    private static Pkcs11Module module;

    /**
     * The token a benchmark loads: the filled one the environment names ({@link #TOKEN_ENV}), checked to
     * hold {@code objects} objects, or else a fresh fixture token labelled {@code fixtureLabel}, filled here.
     */
    static Filled open(int objects, String fixtureLabel) throws Exception {
        String label = System.getenv(TOKEN_ENV);
        if (label == null || label.isBlank()) {
            TestToken token = SoftHsmExtension.createToken(fixtureLabel);
            Token t = SoftHsm.get().module().slot(token.slotId()).token();
            try (Session rw = t.openSession(true)) {
                rw.login(UserType.USER, token.userPinChars());
                fill(rw, objects);
            }
            return new Filled(token.label(), token.slotId(), token.userPinChars(),
                    ProviderFixture.pinFile(token, BenchProviders.dir()));
        }
        // Not through the fixture: SoftHsm.get() would empty the token directory next to SOFTHSM2_CONF.
        String pinFile = System.getenv(PIN_FILE_ENV);
        if (pinFile == null || pinFile.isBlank()) {
            throw new IllegalStateException(TOKEN_ENV + " is set but " + PIN_FILE_ENV + " is not");
        }
        Path pinPath = Path.of(pinFile);
        char[] pin = Files.readString(pinPath, StandardCharsets.UTF_8).strip().toCharArray();
        Token token = find(label);
        int found;
        try (Session s = token.openSession(false)) {
            s.login(UserType.USER, pin);
            found = s.findAll(Template.empty()).size();
        }
        if (found != objects) {
            throw new IllegalStateException("token '" + label + "' holds " + found + " objects, not " + objects
                    + ": fill it for the same -p objects (io.p11j.bench.KeyStoreTokens " + label + " PIN_FILE " + objects + ")");
        }
        return new Filled(label, token.slot().id(), pin, pinPath);
    }

    private static synchronized Token find(String label) throws Exception {
        if (module == null) {
            module = Pkcs11Module.open(SoftHsm.findModule());
        }
        List<Token> tokens = module.tokens(Pkcs11Uri.create("pkcs11:token="
                + URLEncoder.encode(label, StandardCharsets.UTF_8).replace("+", "%20")));
        if (tokens.size() != 1) {
            throw new IllegalStateException(tokens.size() + " tokens labelled '" + label + "' in " + System.getenv("SOFTHSM2_CONF"));
        }
        return tokens.get(0);
    }

    /**
     * Fills the (initialized, empty) token labelled {@code args[0]}, user PIN in the file {@code args[1]},
     * with {@code args[2]} objects; a token that already holds exactly that many is left as it is.
     * SoftHSM2 reads {@code SOFTHSM2_CONF}; the module is the fixture's ({@code P11J_SOFTHSM2_MODULE}).
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: KeyStoreTokens TOKEN_LABEL PIN_FILE OBJECTS");
            System.exit(64);
        }
        int objects = Integer.parseInt(args[2]);
        char[] pin = Files.readString(Path.of(args[1]), StandardCharsets.UTF_8).strip().toCharArray();
        try (Pkcs11Module m = Pkcs11Module.open(SoftHsm.findModule())) {
            module = m;
            Token token = find(args[0]);
            try (Session rw = token.openSession(true)) {
                rw.login(UserType.USER, pin);
                int found = rw.findAll(Template.empty()).size();
                if (found == 0) {
                    fill(rw, objects);
                } else if (found != objects) {
                    throw new IllegalStateException("token '" + args[0] + "' already holds " + found + " objects, not " + objects);
                } else {
                    System.out.println("KeyStoreTokens: token '" + args[0] + "' already holds " + objects + " objects");
                }
            } finally {
                module = null;
            }
        }
    }

    static final byte[] P256_OID = SignBenchmark.P256_OID;
    static final int ID_LENGTH = 20;

    private KeyStoreTokens() {
    }

    static String keyLabel(int i) {
        return String.format(Locale.ROOT, "ks-key-%04d", i);
    }

    static String caLabel(int i) {
        return String.format(Locale.ROOT, "ks-ca-%04d", i);
    }

    /** The label of the key a KeyStore benchmark asks for with {@code getKey}: the middle of the key pairs. */
    static String chosenKeyLabel(int objects) {
        return keyLabel(objects / 8);
    }

    /** The 20-byte {@code CKA_ID} of key pair ({@code 'K'}) or CA certificate ({@code 'C'}) {@code i}, as in keystore_loop.c. */
    static byte[] id(char kind, int i) {
        byte[] id = new byte[ID_LENGTH];
        id[0] = (byte) kind;
        id[1] = (byte) (i >> 8);
        id[2] = (byte) i;
        for (int j = 3; j < ID_LENGTH; j++) {
            id[j] = (byte) (j * 37 + i);
        }
        return id;
    }

    /**
     * Fills the token of {@code rw} (a logged-in read-write session) with {@code objects} objects, a
     * multiple of 4; prints how long it took and the median certificate length.
     */
    static void fill(Session rw, int objects) throws Exception {
        if (objects < 8 || objects % 4 != 0) {
            throw new IllegalArgumentException("objects must be a multiple of 4, at least 8: " + objects);
        }
        int pairs = objects / 4;
        long t0 = System.nanoTime();
        int[] lengths = new int[2 * pairs];
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        Mechanism ecdsa = Mechanism.of(CKM_ECDSA);
        for (int i = 0; i < pairs; i++) {
            String label = keyLabel(i);
            byte[] id = id('K', i);
            KeyPairHandles kp = rw.generateKeyPair(Mechanism.of(CKM_EC_KEY_PAIR_GEN),
                    Template.builder().objectClass(CKO_PUBLIC_KEY).keyType(CKK_EC).set(AttributeType.TOKEN, true)
                            .set(AttributeType.VERIFY, true).set(AttributeType.EC_PARAMS, P256_OID).label(label).id(id).build(),
                    Template.builder().objectClass(CKO_PRIVATE_KEY).keyType(CKK_EC).set(AttributeType.TOKEN, true)
                            .set(AttributeType.PRIVATE, true).set(AttributeType.SIGN, true).set(AttributeType.SENSITIVE, true)
                            .set(AttributeType.EXTRACTABLE, false).label(label).id(id).build());
            byte[] spki = SelfSignedCertificate.p256PublicKeyInfo(point(rw, kp.publicKey()));
            byte[] cert = SelfSignedCertificate.create(label, BigInteger.valueOf(0x4000 + i), spki,
                    SelfSignedCertificate.ECDSA_WITH_SHA256,
                    tbs -> SelfSignedCertificate.ecdsaDer(rw.sign(ecdsa, kp.privateKey(), sha256.digest(tbs))));
            lengths[i] = storeCertificate(rw, label, id, cert);
        }
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ca = kpg.generateKeyPair();
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(ca.getPrivate());
        for (int i = 0; i < pairs; i++) {
            String label = caLabel(i);
            byte[] cert = SelfSignedCertificate.create(label, BigInteger.valueOf(0x4000 + pairs + i), ca.getPublic().getEncoded(),
                    SelfSignedCertificate.ECDSA_WITH_SHA256, tbs -> {
                        signer.update(tbs);
                        return signer.sign();
                    });
            lengths[pairs + i] = storeCertificate(rw, label, id('C', i), cert);
        }
        Arrays.sort(lengths);
        System.out.printf(Locale.ROOT, "KeyStoreTokens: %d objects (%d EC P-256 key pairs, %d certificates with them, %d without)"
                        + " in %.1f s; certificates of %d to %d bytes, median %d%n",
                objects, pairs, pairs, pairs, (System.nanoTime() - t0) / 1e9, lengths[0], lengths[lengths.length - 1],
                lengths[lengths.length / 2]);
    }

    private static byte[] point(Session s, long publicKey) throws Pkcs11Exception {
        byte[] point = s.getAttributes(publicKey, AttributeType.EC_POINT).require(AttributeType.EC_POINT);
        if (point.length == 67 && point[0] == 0x04 && point[1] == 65) {
            point = Arrays.copyOfRange(point, 2, point.length); // DER OCTET STRING around 04 || X || Y
        }
        return point;
    }

    /** Stores {@code der} as a certificate object with the subject, issuer and serial a KeyStore may search by. */
    private static int storeCertificate(Session rw, String label, byte[] id, byte[] der) throws Exception {
        X509Certificate x509 = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        rw.createObject(Template.builder().objectClass(CKO_CERTIFICATE)
                .set(AttributeType.CERTIFICATE_TYPE, CKC_X_509).set(AttributeType.TOKEN, true)
                .label(label).id(id)
                .set(AttributeType.SUBJECT, x509.getSubjectX500Principal().getEncoded())
                .set(AttributeType.ISSUER, x509.getIssuerX500Principal().getEncoded())
                .set(AttributeType.SERIAL_NUMBER, SelfSignedCertificate.integer(x509.getSerialNumber()))
                .set(AttributeType.VALUE, der).build());
        return der.length;
    }
}
