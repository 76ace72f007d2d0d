#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared by the README's commands (demo.sh, test.sh) and bench.sh: checks that what the build and the
# tests need is installed, installs the missing Debian packages when run as root, and builds the
# class path of the test-scope programs. Source it; do not run it.

P11J_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# "what to check:Debian package" — a path (a glob matches any multiarch directory) or a command per package.
P11J_REQUIREMENTS=(
  "cmd:java:openjdk-17-jdk-headless"
  "cmd:javac:openjdk-17-jdk-headless"
  # KeytoolIT and JarsignerIT run the JDK's own tools: keytool and jarsigner on JDK 17 (this package) and on
  # Temurin 25, which no Debian bookworm package provides: the machine image ships it in /usr/lib/jvm
  # (P11J_JDK25_HOME names another), and those tests fail, never skip, without it.
  "cmd:jarsigner:openjdk-17-jdk-headless"
  "cmd:mvn:maven"
  "cmd:gcc:gcc"
  "file:/usr/include/stdio.h:libc6-dev"
  "cmd:softhsm2-util:softhsm2"
  "file:/usr/include/p11-kit-1/p11-kit/pkcs11.h:libp11-kit-dev"
  "file:/usr/include/nss/pkcs11t.h:libnss3-dev"
  "cmd:certutil:libnss3-tools"
  "cmd:python3:python3"
  # P11KitServerRecoveryForkedIT: a p11-kit server (run in its own session by setsid) and its client module.
  "cmd:p11-kit:p11-kit"
  "file:/usr/lib/*/pkcs11/p11-kit-client.so:p11-kit-modules"
  "cmd:setsid:util-linux"
  # The KeyStore tests read keys and certificates that OpenSC's pkcs11-tool wrote.
  "cmd:pkcs11-tool:opensc"
  # OpensslVerifyIT: signatures made through P11J verify with the openssl command.
  "cmd:openssl:openssl"
  # TlsIT: curl fetches a page from a JSSE server whose key is on the token.
  "cmd:curl:curl"
  # P11jKeysInOpensslIT: OpenSSL signs with P11J's keys through libp11's engine, by P11J's URIs.
  "file:/usr/lib/*/engines-3/pkcs11.so:libengine-pkcs11-openssl"
)

p11j_missing_packages() {
  local req kind what pkg missing=()
  for req in "${P11J_REQUIREMENTS[@]}"; do
    IFS=: read -r kind what pkg <<<"$req"
    case "$kind" in
      cmd) command -v "$what" >/dev/null 2>&1 || missing+=("$pkg") ;;
      file) compgen -G "$what" >/dev/null || missing+=("$pkg") ;;
    esac
  done
  # NSS's softokn (PKCS#11 3.0 tests) comes with libnss3.
  local f found=
  for f in /usr/lib/*/libsoftokn3.so /usr/lib64/libsoftokn3.so /usr/lib/libsoftokn3.so; do
    [ -e "$f" ] && found=1
  done
  [ -n "$found" ] || missing+=("libnss3")
  printf '%s\n' "${missing[@]}" | sort -u | grep -v '^$' || true
}

p11j_ensure_packages() {
  local missing
  missing="$(p11j_missing_packages | tr '\n' ' ')"
  [ -z "${missing// /}" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing missing packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
  else
    echo "p11j needs these Debian packages, which are missing: $missing" >&2
    echo "install them as root:  apt-get install -y $missing" >&2
    exit 1
  fi
}

# Compiles main and test classes (no tests run) and prints the test-scope class path.
# Maven's output is kept in a log and shown only when the build fails.
p11j_test_classpath() {
  local log="$P11J_ROOT/target/build-classpath.log"
  mkdir -p "$P11J_ROOT/target"
  if ! (cd "$P11J_ROOT" && mvn -q -B -DskipTests test-compile \
        && mvn -q -B dependency:build-classpath -Dmdep.includeScope=test \
             -Dmdep.outputFile=target/test-classpath.txt) >"$log" 2>&1; then
    cat "$log" >&2
    echo "build failed (log: $log)" >&2
    return 1
  fi
  echo "$P11J_ROOT/target/test-classes:$P11J_ROOT/target/classes:$(cat "$P11J_ROOT/target/test-classpath.txt")"
}
