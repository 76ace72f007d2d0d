// SPDX-License-Identifier: Apache-2.0
package io.p11j.wrapper;

import io.p11j.testing.SoftHsm;
import io.p11j.testing.SoftHsmExtension;
import io.p11j.testing.TestToken;
import io.p11j.uri.Pkcs11Uri;
import io.p11j.wrapper.attribute.AttributeType;
import io.p11j.wrapper.attribute.Template;
import io.p11j.wrapper.mechanism.Mechanism;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAPublicKeySpec;

import static io.p11j.sys.Pkcs11Constants.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The README's wrapper example, kept true: the same code, on a SoftHSM2 token. */
@ExtendWith(SoftHsmExtension.class)
class ReadmeExampleIT {

    @Test
    void theReadmeExampleWorks(TestToken fixture, @TempDir Path dir) throws Exception {
        Path pinFile = dir.resolve("token-pin");
        Files.writeString(pinFile, fixture.userPin() + "\n");
        Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-------"));
        byte[] data = "hello".getBytes(StandardCharsets.UTF_8);
        BigInteger[] publicKey = prepareKey(fixture);

        // --- as in README.md ---
        Pkcs11Uri uri = Pkcs11Uri.parse("pkcs11:token=" + fixture.label() + "?pin-source=file:" + pinFile);
        String printed;
        byte[] signature;
        try (Pkcs11Module module = Pkcs11Module.open(SoftHsm.get().modulePath());
             SessionPool pool = SessionPool.open(module.tokens(uri).get(0), PoolConfig.defaults(),
                     PinSupplier.fromUri(uri).orElseThrow())) {
            ObjectRef key = pool.execute(s -> pool.ref(s,
                    s.findAll(Pkcs11Uri.create("pkcs11:object=signing%20key;type=private")).get(0)));
            signature = pool.execute(s ->
                    s.sign(Mechanism.rsaPss(CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 32),
                            key.handle(s), data));
            printed = pool.execute(s -> s.uriOf(key.handle(s))).toString();
        }
        // ---

        assertThat(printed).startsWith("pkcs11:token=" + fixture.label()).endsWith(";object=signing%20key;type=private;id=%01");
        Signature pss = Signature.getInstance("RSASSA-PSS");
        pss.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
        pss.initVerify(KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(publicKey[0], publicKey[1])));
        pss.update(data);
        assertThat(pss.verify(signature)).isTrue();
    }

    private static BigInteger[] prepareKey(TestToken fixture) throws Exception {
        try (Pkcs11Module module = Pkcs11Module.open(SoftHsm.get().modulePath());
             Session s = module.slot(SoftHsmExtension.slotOf(module.functions(), fixture.label())).token().openSession(true)) {
            s.login(UserType.USER, fixture.userPinChars());
            KeyPairHandles kp = s.generateKeyPair(Mechanism.of(CKM_RSA_PKCS_KEY_PAIR_GEN),
                    Template.builder().set(AttributeType.TOKEN, true).set(AttributeType.MODULUS_BITS, 2048L)
                            .set(AttributeType.PUBLIC_EXPONENT, BigInteger.valueOf(65537)).label("signing key")
                            .id(new byte[] {1}).build(),
                    Template.builder().set(AttributeType.TOKEN, true).set(AttributeType.SIGN, true)
                            .set(AttributeType.PRIVATE, true).set(AttributeType.SENSITIVE, true).label("signing key")
                            .id(new byte[] {1}).build());
            var v = s.getAttributes(kp.publicKey(), AttributeType.MODULUS, AttributeType.PUBLIC_EXPONENT);
            return new BigInteger[] {v.require(AttributeType.MODULUS), v.require(AttributeType.PUBLIC_EXPONENT)};
        }
    }
}
