#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demonstration: makes a throwaway SoftHSM2 token with p11j's sys layer, generates an RSA, an EC and
# an AES key on it, and lists the module, the token, its mechanisms and its objects with their pkcs11:
# URIs; then, through the JCA, configures the P11J provider with a pkcs11: URI, generates a key pair on
# the token, keeps it in the PKCS11-URI KeyStore with a certificate chain, and signs with it. Then real
# tools use that key: the JDK's jarsigner signs a jar and verifies it (and refuses a tampered copy), and
# openssl s_client and curl complete TLS 1.3 handshakes with a JSSE HTTPS server that holds it. All in one
# JVM run, so the token lives while the tools use it (they inherit SOFTHSM2_CONF). Nothing outside a
# temporary directory is touched; it is deleted afterwards.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
p11j_ensure_packages
cp="$(p11j_test_classpath)"
work="$(mktemp -d -t p11j-demo.XXXXXX)"
trap 'rm -rf "$work"' EXIT
SOFTHSM2_CONF="$work/softhsm2.conf" java -cp "$cp" io.p11j.demo.SysDemo
