#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Per-call cost of the sys layer against the same loop in C, on SoftHSM2, side by side in one run:
#
#   1. the C loop (src/jmh/c/syscall_loop.c),
#   2. the JMH benchmark io.p11j.bench.SysCallBenchmark,
#   3. the C loop again, so that machine noise during the run shows as a difference between 1 and 3,
#
# then a table: C ns/op (median of repetitions), p11j ns/op (JMH score ± 99.9% error, and the median of
# its iterations), their ratio and difference; the bare-JNA row shows what the sys layer adds over JNA.
#
# Then signing (RSA-2048 SHA256_RSA_PKCS and ECDSA P-256, 1 KiB messages), the same way: the C loop
# src/jmh/c/sign_loop.c, the JMH benchmark io.p11j.bench.SignBenchmark with -prof gc (the wrapper from a
# SessionPool and on one Session, and the JDK's SunPKCS11, all with the same key on one token), the C
# loop again; and a second table: us/op of each path, the throughput ratios p11j/SunPKCS11 and p11j/C,
# and the bytes allocated per signature (gc.alloc.rate.norm).
#
# Usage: scripts/bench.sh [--smoke] [--no-build] [-- JMH options...]
#   --smoke     prove that everything builds and starts: one short JMH iteration per benchmark, tiny C
#               loops (several seconds plus the build); the numbers mean nothing
#   --no-build  use target/ as it is (after an earlier run) instead of running Maven
#   -- ...      further JMH options, appended last (e.g. -- -prof stack)
#
# Needs a JDK 17+, Maven, gcc, SoftHSM2 and p11-kit's PKCS#11 header; like test.sh it installs missing
# Debian packages when run as root (scripts/lib.sh) and otherwise names them. P11J_SOFTHSM2_MODULE
# overrides where the module is; C and Java both use that one module. Every token lives in a
# temporary directory that is deleted at exit. Exits non-zero on any failure.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
die() { echo "bench.sh: $*" >&2; exit 1; }
cd "$P11J_ROOT"

SMOKE=0
BUILD=1
EXTRA_JMH=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --no-build) BUILD=0 ;;
        --) shift; EXTRA_JMH=("$@"); break ;;
        -h|--help) sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown option: $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done

if [ "$SMOKE" = 1 ]; then
    JMH_OPTS=(-f 1 -wi 0 -i 1 -r 100ms)
    C_ARGS=(2000 5000 1)            # C_GenerateRandom iterations, C_GetSessionInfo iterations, repetitions
    C_SIGN_ARGS=(5 20 1)            # RSA signatures, ECDSA signatures, repetitions
else
    JMH_OPTS=(-f 2 -wi 3 -w 1s -i 10 -r 1s)  # two forks, many short iterations: a median that noise moves less
    C_ARGS=(500000 2000000 5)
    C_SIGN_ARGS=(2000 20000 5)      # about 1.2 s (RSA) and 1.1 s (ECDSA) per repetition on SoftHSM2
fi
SIGN_PIN=1234                       # the C token's user PIN (the Java side's token is the fixture's)

# ---- prerequisites ---------------------------------------------------------------------------------

# Installs what is missing when run as root (apt-get), else names the packages to install and stops.
p11j_ensure_packages
P11KIT_INCLUDE=/usr/include/p11-kit-1
[ -f "$P11KIT_INCLUDE/p11-kit/pkcs11.h" ] || die "no $P11KIT_INCLUDE/p11-kit/pkcs11.h: apt-get install libp11-kit-dev"

# The module, found as the test fixture (io.p11j.testing.SoftHsm) finds it.
MODULE=${P11J_SOFTHSM2_MODULE:-}
if [ -z "$MODULE" ]; then
    for c in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
             /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so /usr/lib64/pkcs11/libsofthsm2.so \
             /usr/lib/pkcs11/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so \
             /opt/homebrew/lib/softhsm/libsofthsm2.so; do
        if [ -f "$c" ]; then MODULE=$c; break; fi
    done
fi
if [ -z "$MODULE" ] || [ ! -f "$MODULE" ]; then
    die "no SoftHSM2 module${P11J_SOFTHSM2_MODULE:+ at $P11J_SOFTHSM2_MODULE}: apt-get install softhsm2, or set P11J_SOFTHSM2_MODULE"
fi
export P11J_SOFTHSM2_MODULE=$MODULE

# ---- private scratch directory ---------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/p11j-bench.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$WORK/c/tokens" "$WORK/java"

START=$(date +%s.%N)

# ---- build -----------------------------------------------------------------------------------------

if [ "$BUILD" = 1 ]; then
    echo "== build: mvn test-compile, test class path (log: target/build-classpath.log)"
    CLASSPATH_JMH=$(p11j_test_classpath) || die "the build failed"
else
    [ -f target/test-classpath.txt ] || die "--no-build, but there is no target/test-classpath.txt: run once without it"
    CLASSPATH_JMH="$P11J_ROOT/target/test-classes:$P11J_ROOT/target/classes:$(cat target/test-classpath.txt)"
fi
[ -f target/test-classes/META-INF/BenchmarkList ] || die "no JMH benchmarks in target/test-classes (META-INF/BenchmarkList): did the annotation processor run?"

echo "== build: gcc -O2 src/jmh/c/syscall_loop.c"
gcc -O2 -Wall -Wextra -Werror -std=c11 -I"$P11KIT_INCLUDE/p11-kit" \
    -o "$WORK/syscall_loop" src/jmh/c/syscall_loop.c -ldl
echo "== build: gcc -O2 src/jmh/c/sign_loop.c"
gcc -O2 -Wall -Wextra -Werror -std=c11 -I"$P11KIT_INCLUDE/p11-kit" \
    -o "$WORK/sign_loop" src/jmh/c/sign_loop.c -ldl

# ---- the C loop's token (the Java side makes its own through the fixture) --------------------------

cat > "$WORK/c/softhsm2.conf" <<EOF
directories.tokendir = $WORK/c/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
SOFTHSM2_CONF="$WORK/c/softhsm2.conf" softhsm2-util --module "$MODULE" \
    --init-token --free --label bench --so-pin 1234 --pin 1234 >"$WORK/c/init-token.log" 2>&1 \
    || { cat "$WORK/c/init-token.log" >&2; die "softhsm2-util --init-token failed"; }
# A second token for the signing loop, which generates its key pairs there on its first run.
SOFTHSM2_CONF="$WORK/c/softhsm2.conf" softhsm2-util --module "$MODULE" \
    --init-token --free --label bench-sign --so-pin 1234 --pin "$SIGN_PIN" >"$WORK/c/init-token-sign.log" 2>&1 \
    || { cat "$WORK/c/init-token-sign.log" >&2; die "softhsm2-util --init-token (bench-sign) failed"; }

run_c() { # $1: output file
    echo "== C loop ($1): $MODULE, ${C_ARGS[*]} (random iterations, session-info iterations, repetitions)"
    SOFTHSM2_CONF="$WORK/c/softhsm2.conf" "$WORK/syscall_loop" "$MODULE" bench "${C_ARGS[@]}" | tee "$WORK/$1"
    grep -q '^RESULT C_GenerateRandom(32) ' "$WORK/$1" && grep -q '^RESULT C_GetSessionInfo ' "$WORK/$1" \
        || die "the C loop printed no result"
}

# ---- side by side: C, JMH, C -----------------------------------------------------------------------

run_c c-before.txt

echo "== JMH: io.p11j.bench.SysCallBenchmark ${JMH_OPTS[*]} ${EXTRA_JMH[*]:-}"
# SoftHsm (the fixture) writes this configuration and its token directory itself; the forked JVM inherits it.
SOFTHSM2_CONF="$WORK/java/softhsm2.conf" java -Duser.language=en -Duser.country=US -cp "$CLASSPATH_JMH" \
    org.openjdk.jmh.Main 'io\.p11j\.bench\.SysCallBenchmark\.' \
    -foe true -rf csv -rff "$WORK/jmh.csv" "${JMH_OPTS[@]}" "${EXTRA_JMH[@]}" | tee "$WORK/jmh.log"

run_c c-after.txt

# ---- signing, side by side: C, JMH, C --------------------------------------------------------------

C_SIGN_RSA="C_Sign(RSA-2048,SHA256_RSA_PKCS,1KiB)"
C_SIGN_EC="C_Sign(EC-P256,ECDSA,32B)"
run_sign_c() { # $1: output file
    echo "== C signing loop ($1): $MODULE, ${C_SIGN_ARGS[*]} (RSA signatures, ECDSA signatures, repetitions)"
    SOFTHSM2_CONF="$WORK/c/softhsm2.conf" "$WORK/sign_loop" "$MODULE" bench-sign "$SIGN_PIN" "${C_SIGN_ARGS[@]}" \
        | tee "$WORK/$1"
    grep -qF "RESULT $C_SIGN_RSA " "$WORK/$1" && grep -qF "RESULT $C_SIGN_EC " "$WORK/$1" \
        || die "the C signing loop printed no result"
}

run_sign_c sign-c-before.txt

echo "== JMH: io.p11j.bench.SignBenchmark ${JMH_OPTS[*]} -prof gc ${EXTRA_JMH[*]:-}"
SOFTHSM2_CONF="$WORK/java/softhsm2.conf" java -Duser.language=en -Duser.country=US -cp "$CLASSPATH_JMH" \
    org.openjdk.jmh.Main 'io\.p11j\.bench\.SignBenchmark\.' \
    -foe true -rf csv -rff "$WORK/jmh-sign.csv" "${JMH_OPTS[@]}" -prof gc "${EXTRA_JMH[@]}" | tee "$WORK/jmh-sign.log"

run_sign_c sign-c-after.txt

# ---- summary ---------------------------------------------------------------------------------------

export LC_ALL=C
# "io.p11j.bench.SysCallBenchmark.generateRandom32","avgt",1,5,3896.687000,123.400000,"ns/op"
jmh_field() { # $1 benchmark method, $2 field (5 score, 6 error)
    awk -F, -v m="\"io.p11j.bench.SysCallBenchmark.$1\"" -v k="$2" '$1 == m { print $k; found = 1 } END { exit !found }' \
        "$WORK/jmh.csv" || die "no JMH result for $1"
}
median() { # numbers on stdin, one a line
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
jmh_median() { # $1 benchmark method: the median of its measurement iterations (all forks)
    awk -v m="io.p11j.bench.SysCallBenchmark.$1" '
        /^# Benchmark: / { b = $3 }
        /^Iteration +[0-9]+: / && b == m { print $3 + 0 }' "$WORK/jmh.log" | median || die "no JMH iterations for $1"
}
c_median() { # $1 call name, $2... output files: the median of every repetition of every run
    local name=$1; shift
    awk -v p="$name rep " 'index($0, p) == 1 { sub(/^.*: /, ""); print $1 + 0 }' "$@" | median
}
c_run_median() { # $1 call name, $2 output file
    awk -v p="RESULT $1 " 'index($0, p) == 1 { sub(/^.*median_ns_per_op=/, ""); print $1 + 0 }' "$2"
}

for m in generateRandom32 getSessionInfo rawJnaFunctionInvoke; do
    s=$(jmh_field "$m" 5)
    awk -v s="$s" 'BEGIN { exit !(s + 0 > 0) }' || die "JMH score of $m is not a positive number: $s"
done

row() { # $1 label, $2 C call name, $3 JMH method
    local cb ca cm score err med
    cb=$(c_run_median "$2" "$WORK/c-before.txt")
    ca=$(c_run_median "$2" "$WORK/c-after.txt")
    cm=$(c_median "$2" "$WORK/c-before.txt" "$WORK/c-after.txt")
    score=$(jmh_field "$3" 5)
    err=$(jmh_field "$3" 6)
    med=$(jmh_median "$3")
    awk -v l="$1" -v cb="$cb" -v ca="$ca" -v cm="$cm" -v s="$score" -v e="$err" -v md="$med" 'BEGIN {
        es = (e == "NaN" || e == "") ? "n/a" : sprintf("%.0f", e)
        printf "| %-28s | %6.0f | %6.0f | %6.0f | %6.0f ± %-5s | %6.0f | %5.2f | %+6.0f | %5.2f | %+6.0f |\n",
               l, cb, ca, cm, s, es, md, s / cm, s - cm, md / cm, md - cm
    }'
}

echo
echo "== per-call cost on SoftHSM2 ($MODULE), ns/op$([ "$SMOKE" = 1 ] && echo ' -- SMOKE RUN: these numbers mean nothing')"
echo "   C: median of the ${C_ARGS[2]} repetitions of ${C_ARGS[0]} (random) / ${C_ARGS[1]} (session info) calls before JMH, after it,"
echo "   and of both runs together ('C all', the reference for the ratios)."
echo "   Java: JMH avgt score ± 99.9% error, and the median of its measurement iterations (${JMH_OPTS[*]})."
echo
printf '| %-28s | %6s | %6s | %6s | %14s | %6s | %5s | %6s | %5s | %6s |\n' \
    "call" "C bef." "C aft." "C all" "Java score" "J med." "J/C" "J-C" "med/C" "med-C"
printf '|%s|--------|--------|--------|----------------|--------|-------|--------|-------|--------|\n' "$(printf -- '-%.0s' {1..30})"
row "GenerateRandom(32) p11j sys" "C_GenerateRandom(32)" generateRandom32
row "GenerateRandom(32) bare JNA" "C_GenerateRandom(32)" rawJnaFunctionInvoke
row "GetSessionInfo p11j sys"     "C_GetSessionInfo"     getSessionInfo
echo
awk -v a="$(jmh_field generateRandom32 5)" -v b="$(jmh_field rawJnaFunctionInvoke 5)" \
    -v am="$(jmh_median generateRandom32)" -v bm="$(jmh_median rawJnaFunctionInvoke)" \
    'BEGIN { printf "p11j sys over bare JNA (C_GenerateRandom): %+.0f ns/op by score (%.2fx), %+.0f ns/op by median (%.2fx)\n", a - b, a / b, am - bm, am / bm }'

# ---- signing summary -------------------------------------------------------------------------------

# "io.p11j.bench.SignBenchmark.p11jPoolRsa2048","avgt",1,20,612.3,4.5,"us/op"
# "io.p11j.bench.SignBenchmark.p11jPoolRsa2048:gc.alloc.rate.norm","avgt",1,20,1734.0,0.1,"B/op"  (JMH ends its CSV lines with CRLF)
sign_field() { # $1 benchmark method, $2 field (5 score, 6 error, 7 unit)
    awk -F, -v m="\"io.p11j.bench.SignBenchmark.$1\"" -v k="$2" '{ sub(/\r$/, "") } $1 == m { print $k; found = 1 }
        END { exit !found }' "$WORK/jmh-sign.csv" || die "no JMH result for SignBenchmark.$1"
}
sign_alloc() { # $1 benchmark method: its gc.alloc.rate.norm (bytes per operation), or n/a
    awk -F, -v m="\"io.p11j.bench.SignBenchmark.$1:" \
        'index($1, m) == 1 && $1 ~ /gc\.alloc\.rate\.norm"$/ { printf "%.0f\n", $5; found = 1 }
         END { if (!found) print "n/a" }' "$WORK/jmh-sign.csv"
}
SIGN_METHODS=(p11jPoolRsa2048 p11jSessionRsa2048 sunPkcs11Rsa2048 p11jPoolEcP256 p11jSessionEcP256 sunPkcs11EcP256)
for m in "${SIGN_METHODS[@]}"; do
    s=$(sign_field "$m" 5)
    awk -v s="$s" 'BEGIN { exit !(s + 0 > 0) }' || die "JMH score of SignBenchmark.$m is not a positive number: $s"
    [ "$(sign_field "$m" 7)" = '"us/op"' ] || die "SignBenchmark.$m is not in us/op (a -bm or -tu option?): the table needs avgt us/op"
done

sign_row() { # $1 label, $2 C op name, $3 pool method, $4 session method, $5 SunPKCS11 method
    local cm p s u
    cm=$(c_median "$2" "$WORK/sign-c-before.txt" "$WORK/sign-c-after.txt")
    p=$(sign_field "$3" 5)
    s=$(sign_field "$4" 5)
    u=$(sign_field "$5" 5)
    awk -v l="$1" -v c="$cm" -v p="$p" -v s="$s" -v u="$u" \
        -v pa="$(sign_alloc "$3")" -v sa="$(sign_alloc "$4")" -v ua="$(sign_alloc "$5")" 'BEGIN {
        c /= 1000 # ns -> us
        printf "| %-24s | %7.1f | %7.1f | %7.1f | %7.1f | %5.2f | %5.2f | %5.2f | %5.2f | %5.2f | %6s | %6s | %6s |\n",
               l, c, p, s, u, u / p, u / s, c / p, c / s, c / u, pa, sa, ua
    }'
}
sign_error() { # $1 benchmark method: its JMH 99.9% error, or n/a (one iteration)
    awk -v e="$(sign_field "$1" 6)" 'BEGIN { print (e == "NaN" || e == "") ? "n/a" : sprintf("%.1f", e) }'
}
sign_detail() { # $1 label, $2 C op name, $3 pool method, $4 session method, $5 SunPKCS11 method
    awk -v l="$1" -v cb="$(c_run_median "$2" "$WORK/sign-c-before.txt")" -v ca="$(c_run_median "$2" "$WORK/sign-c-after.txt")" \
        -v pe="$(sign_error "$3")" -v se="$(sign_error "$4")" -v ue="$(sign_error "$5")" 'BEGIN {
        printf "   %s: C before %.1f, after %.1f us/op; JMH 99.9%% error: pool ± %s, session ± %s, SunPKCS11 ± %s us/op\n",
               l, cb / 1000, ca / 1000, pe, se, ue
    }'
}

echo
echo "== signing on SoftHSM2 ($MODULE), us/op$([ "$SMOKE" = 1 ] && echo ' -- SMOKE RUN: these numbers mean nothing')"
echo "   C: median of the ${C_SIGN_ARGS[2]} repetitions of ${C_SIGN_ARGS[0]} (RSA) / ${C_SIGN_ARGS[1]} (ECDSA) C_SignInit + C_Sign before JMH and after it."
echo "   Java: JMH avgt score (${JMH_OPTS[*]}); pool = SessionPool.execute, sess. = one logged-in Session, Sun = SunPKCS11."
echo "   x/y: throughput of x over throughput of y (y's us/op / x's us/op): above 1.00, x signs faster."
echo "   B/op: bytes allocated on the Java heap per signature (-prof gc gc.alloc.rate.norm; native memory not counted)."
echo
printf '| %-24s | %7s | %7s | %7s | %7s | %5s | %5s | %5s | %5s | %5s | %6s | %6s | %6s |
' \
    "op (1 KiB message)" "C" "pool" "sess." "Sun" "p/Sun" "s/Sun" "p/C" "s/C" "Sun/C" "B pool" "B sess" "B Sun"
printf '|%s|---------|---------|---------|---------|-------|-------|-------|-------|-------|--------|--------|--------|\n' "$(printf -- '-%.0s' {1..26})"
sign_row "RSA-2048 SHA256_RSA_PKCS" "$C_SIGN_RSA" p11jPoolRsa2048 p11jSessionRsa2048 sunPkcs11Rsa2048
sign_row "ECDSA P-256 (SHA-256 J)"  "$C_SIGN_EC"  p11jPoolEcP256 p11jSessionEcP256 sunPkcs11EcP256
echo
sign_detail "RSA-2048" "$C_SIGN_RSA" p11jPoolRsa2048 p11jSessionRsa2048 sunPkcs11Rsa2048
sign_detail "ECDSA P-256" "$C_SIGN_EC" p11jPoolEcP256 p11jSessionEcP256 sunPkcs11EcP256
echo "   (ECDSA: Java hashes the 1 KiB message with SHA-256 and the token signs the digest with CKM_ECDSA; the C loop"
echo "   signs a fixed 32-byte digest, so C/Java includes Java's SHA-256 of 1 KiB. Provider targets: p/Sun >= 1.00,"
echo "   p/C >= 0.95, B pool <= 1024.)"
awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "bench.sh: done in %.1f s\n", e - s }'
