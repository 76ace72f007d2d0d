#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The benchmarks, each next to the same work written in C, on SoftHSM2, in one run; each C program runs
# before its JMH benchmark and after it, so that machine noise during the run shows as a difference
# between the two. Then a table per part, with the ratios from this run:
#
#   1. per-call cost of the sys layer: src/jmh/c/syscall_loop.c, io.p11j.bench.SysCallBenchmark;
#   2. signing, RSA-2048 (SHA256_RSA_PKCS), ECDSA P-256 and RSASSA-PSS, 1 KiB messages:
#      src/jmh/c/sign_loop.c, io.p11j.bench.SignBenchmark with -prof gc (the wrapper from a SessionPool
#      and on one Session, SunPKCS11, and the P11J provider by the JCA, all with one key on one token);
#      us/op, throughput ratios P11J/SunPKCS11, P11J/C, SunPKCS11/C, and bytes allocated per signature;
#   3. KeyStore load + aliases() + one getKey on a token of 1,000 objects: src/jmh/c/keystore_loop.c (the
#      minimal lazy enumeration and an eager one that reads every certificate), and
#      io.p11j.bench.KeyStoreLoadBenchmark (SunPKCS11 "PKCS11", P11J "PKCS11-URI"), all on the same token,
#      filled once (io.p11j.bench.KeyStoreTokens); us per load, ratios, and the token calls per load;
#   4. EC P-256 key pair generation (session objects): src/jmh/c/keygen_loop.c and
#      io.p11j.bench.KeyGenBenchmark (SunPKCS11 and P11J KeyPairGenerator "EC"); us/op, ratios, token calls;
#   5. the JCE services ("services"): AES-GCM 1 KiB and 1 MiB, AES-CBC 1 KiB, HMAC-SHA256 64 B, SHA-256
#      64 B and 1 MiB, SecureRandom 32 B, ECDH P-256: src/jmh/c/service_loop.c and
#      io.p11j.bench.ServiceBenchmark with -prof gc (SunPKCS11 and P11J by the JCA, same token, same keys);
#      us/op, ratios P11J/SunPKCS11, P11J/C, SunPKCS11/C against the targets of issue #5, token calls.
#
# P11J variants run where P11J offers the service (io.p11j.bench.P11jAvailability asks it first); the
# others are left out and marked "n/a" in the tables. In part 5 each one left out prints
# "P11J service <Type.Algorithm> not present yet: skipped"; --require-p11j makes that an error instead.
# Token calls per operation come from the counting module (src/jmh/c/counting_module.c, a PKCS#11
# module that forwards to SoftHSM2 and counts), through which the benchmarks' setups repeat one
# operation untimed.
#
# Usage: scripts/bench.sh [--smoke] [--no-build] [--require-p11j] [PATTERN...] [-- JMH options...]
#   --smoke     prove that everything builds and starts: one short JMH iteration per benchmark, tiny C
#               loops, a KeyStore token of 40 objects (several seconds plus the build); the numbers mean nothing
#   --no-build  use target/ as it is (after an earlier run) instead of running Maven
#   --require-p11j  fail, instead of skipping, when P11J lacks a service that part 5 measures
#   PATTERN     run only the parts whose name (sys, sign, keystore, keygen, services) or, for part 5, the
#               operations whose name (AesGcm1KiB, AesGcm1MiB, AesCbc1KiB, HmacSha256, Sha256_64B,
#               Sha256_1MiB, Random32B, EcdhP256) an extended regex matches, case-insensitively:
#               "scripts/bench.sh sign", "scripts/bench.sh gcm sha256", "scripts/bench.sh services"
#   -- ...      further JMH options, appended last to every JMH run (e.g. -- -prof stack)
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
REQUIRE_P11J=0
PATTERNS=()
EXTRA_JMH=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --no-build) BUILD=0 ;;
        --require-p11j) REQUIRE_P11J=1 ;;
        --) shift; EXTRA_JMH=("$@"); break ;;
        -h|--help) sed -n '3,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "bench.sh: unknown option: $1 (see --help)" >&2; exit 64 ;;
        *) PATTERNS+=("$1") ;;
    esac
    shift
done

# What runs: every part, or those a PATTERN names; part 5 also by its operations' names.
PARTS=(sys sign keystore keygen services)
SVC_ALL_OPS=(AesGcm1KiB AesGcm1MiB AesCbc1KiB HmacSha256 Sha256_64B Sha256_1MiB Random32B EcdhP256)
matches() { # $1 name: whether any PATTERN matches it (all do when there is none)
    local p
    [ ${#PATTERNS[@]} -eq 0 ] && return 0
    for p in "${PATTERNS[@]}"; do
        echo "$1" | grep -Eiq -- "$p" && return 0
    done
    return 1
}
SVC_OPS=()
if matches services; then
    SVC_OPS=("${SVC_ALL_OPS[@]}")
else
    for o in "${SVC_ALL_OPS[@]}"; do matches "$o" && SVC_OPS+=("$o"); done
fi
RUN_PARTS=()
for part in "${PARTS[@]}"; do
    if [ "$part" = services ]; then
        [ ${#SVC_OPS[@]} -gt 0 ] && RUN_PARTS+=("$part")
    elif matches "$part"; then
        RUN_PARTS+=("$part")
    fi
done
[ ${#RUN_PARTS[@]} -gt 0 ] || { echo "bench.sh: no part or operation matches ${PATTERNS[*]} (see --help)" >&2; exit 64; }
want() { [[ " ${RUN_PARTS[*]} " == *" $1 "* ]]; }

if [ "$SMOKE" = 1 ]; then
    SYS_JMH=(-f 1 -wi 0 -i 1 -r 100ms)
    SIGN_JMH=(-f 1 -wi 0 -i 1 -r 100ms)
    KS_JMH=(-f 1 -wi 0 -i 1 -r 100ms)
    KG_JMH=(-f 1 -wi 0 -i 1 -r 100ms)
    C_ARGS=(2000 5000 1)            # C_GenerateRandom iterations, C_GetSessionInfo iterations, repetitions
    C_SIGN_ARGS=(5 20 1)            # RSA (and PSS) signatures, ECDSA signatures, repetitions
    KS_OBJECTS=40
    C_KS_ARGS=(5 5 1)               # lazy loads, eager loads, repetitions
    C_KG_ARGS=(20 1)                # key pairs, repetitions
    SVC_JMH=(-f 0 -wi 0 -i 1 -r 100ms)  # all 16 in this JVM: a fork each would add some 2 s per benchmark
    C_SVC_ARGS=(5 1)                # milliseconds per repetition of each operation, repetitions
else
    # Two forks, short iterations, the median of many: noise moves it less. About 6 minutes on 2 cores
    # for parts 1-4 (7 once P11J offers every service measured), and 2.5 (4.5) more for part 5.
    SYS_JMH=(-f 2 -wi 2 -w 1s -i 6 -r 1s)
    SIGN_JMH=(-f 2 -wi 2 -w 1s -i 5 -r 1s)
    KS_JMH=(-f 2 -wi 1 -w 2s -i 3 -r 2s)   # a load of 1,000 objects takes 40-200 ms
    KG_JMH=(-f 2 -wi 2 -w 1s -i 5 -r 1s)
    C_ARGS=(500000 2000000 5)
    C_SIGN_ARGS=(2000 20000 3)      # about 1.2 s (RSA), 1.1 s (ECDSA), 1.2 s (PSS) per repetition on SoftHSM2
    KS_OBJECTS=1000
    C_KS_ARGS=(25 25 5)             # about 1 s (lazy) and 1.2 s (eager) per repetition
    C_KG_ARGS=(10000 5)             # about 1 s per repetition, each of the two timings
    # 16 benchmarks of about 8 s a fork (JVM, token, keys, counting, 5 s measured): about 4.5 minutes.
    SVC_JMH=(-f 2 -wi 1 -w 1s -i 4 -r 1s)
    C_SVC_ARGS=(300 3)              # each operation: 3 repetitions of about 300 ms
fi
SVC_PIN=1234                        # the C services token's user PIN
# JMH takes a machine-wide lock (/tmp/jmh.lock) so that two measurements do not disturb each other, and
# fails when another holds it. Smoke runs measure nothing and run in every test run of every checkout on
# the machine: they go on regardless (their tokens are private anyway).
JMH_JVM=()
[ "$SMOKE" = 0 ] || JMH_JVM=(-Djmh.ignoreLock=true)
SIGN_PIN=1234                       # the C signing token's user PIN (the Java side's token is the fixture's)
KG_PIN=1234
KS_PIN=1234                         # the KeyStore token's user PIN (C and Java share that token)

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
# c: the C programs' tokens; java*: the fixture's (one directory per JMH run: each fork empties it);
# ks: the KeyStore token that C and Java share (not named "tokens": the fixture empties that name).
mkdir -p "$WORK/c/tokens" "$WORK/java" "$WORK/java-probe" "$WORK/java-kg" "$WORK/java-svc" "$WORK/ks/store"

START=$(date +%s.%N)
LOAD_START=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo n/a)

# ---- build -----------------------------------------------------------------------------------------

if [ "$BUILD" = 1 ]; then
    echo "== build: mvn test-compile, test class path (log: target/build-classpath.log)"
    CLASSPATH_JMH=$(p11j_test_classpath) || die "the build failed"
else
    [ -f target/test-classpath.txt ] || die "--no-build, but there is no target/test-classpath.txt: run once without it"
    CLASSPATH_JMH="$P11J_ROOT/target/test-classes:$P11J_ROOT/target/classes:$(cat target/test-classpath.txt)"
fi
[ -f target/test-classes/META-INF/BenchmarkList ] || die "no JMH benchmarks in target/test-classes (META-INF/BenchmarkList): did the annotation processor run?"

for prog in syscall_loop sign_loop keystore_loop keygen_loop service_loop; do
    echo "== build: gcc -O2 src/jmh/c/$prog.c"
    gcc -O2 -Wall -Wextra -Werror -std=c11 -I"$P11KIT_INCLUDE/p11-kit" -o "$WORK/$prog" "src/jmh/c/$prog.c" -ldl
done
echo "== build: gcc -O2 -shared src/jmh/c/counting_module.c"
gcc -O2 -Wall -Wextra -Werror -std=c11 -shared -fPIC -I"$P11KIT_INCLUDE/p11-kit" \
    -o "$WORK/libp11j-counting.so" src/jmh/c/counting_module.c -ldl

# ---- tokens ----------------------------------------------------------------------------------------

softhsm_conf() { # $1: configuration file, $2: token directory
    cat > "$1" <<EOF
directories.tokendir = $2
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
}
init_token() { # $1: configuration, $2: label, $3: user PIN
    SOFTHSM2_CONF="$1" softhsm2-util --module "$MODULE" --init-token --free --label "$2" --so-pin 1234 --pin "$3" \
        >"$WORK/init-token-$2.log" 2>&1 || { cat "$WORK/init-token-$2.log" >&2; die "softhsm2-util --init-token ($2) failed"; }
}
softhsm_conf "$WORK/c/softhsm2.conf" "$WORK/c/tokens"
init_token "$WORK/c/softhsm2.conf" bench "$SIGN_PIN"
init_token "$WORK/c/softhsm2.conf" bench-sign "$SIGN_PIN" # the signing loop generates its key pairs there on its first run
init_token "$WORK/c/softhsm2.conf" bench-kg "$KG_PIN"
init_token "$WORK/c/softhsm2.conf" bench-svc "$SVC_PIN"

java_run() { # $1: SOFTHSM2_CONF, then the java arguments
    local conf=$1; shift
    SOFTHSM2_CONF="$conf" java -Duser.language=en -Duser.country=US -cp "$CLASSPATH_JMH" "$@"
}

# What P11J offers now: its benchmarks run where it has the service, and are marked n/a where it has not.
echo "== P11J services (io.p11j.bench.P11jAvailability)"
# Part 5's services, in the order of SVC_ALL_OPS (SecureRandom: any name; ECDH also needs the KeyPairGenerator).
SVC_SERVICES=("Cipher.AES/GCM/NoPadding" "Cipher.AES/GCM/NoPadding" "Cipher.AES/CBC/PKCS5Padding" "Mac.HmacSHA256"
              "MessageDigest.SHA-256" "MessageDigest.SHA-256" "SecureRandom.*" "KeyAgreement.ECDH")
PROBED=(KeyStore.PKCS11-URI KeyPairGenerator.EC Signature.SHA256withRSA Signature.SHA256withECDSA Signature.RSASSA-PSS
        Cipher.AES/GCM/NoPadding Cipher.AES/CBC/PKCS5Padding Mac.HmacSHA256 MessageDigest.SHA-256 SecureRandom.\*
        KeyAgreement.ECDH)
java_run "$WORK/java-probe/softhsm2.conf" io.p11j.bench.P11jAvailability "${PROBED[@]}" | tee "$WORK/p11j-services.txt"
p11j_has() { grep -qxF "P11J $1 yes" "$WORK/p11j-services.txt"; }
for s in "${PROBED[@]}"; do
    grep -qxF -e "P11J $s yes" -e "P11J $s no" "$WORK/p11j-services.txt" || die "P11jAvailability said nothing about $s"
done

# Part 5's JMH methods, decided now so that --require-p11j fails before anything is measured.
if want services; then
# sun<Op> for every operation chosen, p11j<Op> where P11J has what it needs.
SVC_METHODS=()
SVC_SKIPPED=()
for i in "${!SVC_ALL_OPS[@]}"; do
    op=${SVC_ALL_OPS[$i]}
    [[ " ${SVC_OPS[*]} " == *" $op "* ]] || continue
    SVC_METHODS+=("sun$op")
    needs=("${SVC_SERVICES[$i]}")
    case "$op" in
        Aes*|Hmac*) needs+=(KeyStore.PKCS11-URI) ;;     # the keys come from P11J's KeyStore, by label
        Ecdh*) needs+=(KeyPairGenerator.EC) ;;          # the private key from P11J's KeyPairGenerator
    esac
    missing=()
    for n in "${needs[@]}"; do p11j_has "$n" || missing+=("$n"); done
    if [ ${#missing[@]} -eq 0 ]; then
        SVC_METHODS+=("p11j$op")
        continue
    fi
    for n in "${missing[@]}"; do
        [ "$REQUIRE_P11J" = 0 ] || die "P11J service $n not present, and --require-p11j: ServiceBenchmark.p11j$op cannot run"
        echo "== P11J service $n not present yet: skipped (ServiceBenchmark.p11j$op)"
    done
    SVC_SKIPPED+=("$op")
done
fi

# The KeyStore token: filled once (EC key pairs, their certificates, CA certificates), read by C and Java.
if want keystore; then
    softhsm_conf "$WORK/ks/softhsm2.conf" "$WORK/ks/store"
    init_token "$WORK/ks/softhsm2.conf" bench-ks "$KS_PIN"
    (umask 077 && echo "$KS_PIN" > "$WORK/ks/pin")
    echo "== KeyStore token: $KS_OBJECTS objects (io.p11j.bench.KeyStoreTokens)"
    java_run "$WORK/ks/softhsm2.conf" io.p11j.bench.KeyStoreTokens bench-ks "$WORK/ks/pin" "$KS_OBJECTS"
fi

# ---- helpers ---------------------------------------------------------------------------------------

export LC_ALL=C
median() { # numbers on stdin, one a line
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
c_median() { # $1 op name, $2... output files: the median of every repetition of every run (ns/op)
    local name=$1; shift
    awk -v p="$name rep " 'index($0, p) == 1 { sub(/^.*: /, ""); print $1 + 0 }' "$@" | median \
        || die "no C repetitions of $name in $*"
}
c_run_median() { # $1 op name, $2 output file
    awk -v p="RESULT $1 " 'index($0, p) == 1 { sub(/^.*median_ns_per_op=/, ""); print $1 + 0 }' "$2"
}
run_c() { # $1 output file, $2 what, then the command (run with the C token configuration)
    local out=$1 what=$2; shift 2
    echo "== C: $what ($out)"
    SOFTHSM2_CONF="${C_CONF:-$WORK/c/softhsm2.conf}" "$@" | tee "$WORK/$out" || die "$what failed"
    grep -q '^RESULT ' "$WORK/$out" || die "$what printed no result"
}
run_jmh() { # $1 name (csv and log), $2 SOFTHSM2_CONF, then the JMH arguments
    local name=$1 conf=$2; shift 2
    echo "== JMH: $* ${EXTRA_JMH[*]:-}"
    java_run "$conf" "${JMH_JVM[@]}" org.openjdk.jmh.Main "$@" -foe true -rf csv -rff "$WORK/$name.csv" "${EXTRA_JMH[@]}" \
        | tee "$WORK/$name.log" || die "JMH ($name) failed"
}
# One result from a JMH CSV: "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit","Param: impl",...
# (JMH ends its CSV lines with CRLF). $1 csv name, $2 benchmark (Class.method[:secondary]), $3 impl param or "",
# $4 field: score, error or unit. Prints nothing when there is no such row.
jmh_value() {
    awk -F, -v b="io.p11j.bench.$2" -v impl="$3" -v f="$4" '
        { sub(/\r$/, ""); gsub(/"/, "") }
        NR == 1 { for (i = 1; i <= NF; i++) { col[$i] = i } next }
        $1 == b && (impl == "" || $(col["Param: impl"]) == impl) {
            v = f == "score" ? $(col["Score"]) : f == "error" ? $(col["Score Error (99.9%)"]) : $(col["Unit"])
            print v; exit
        }' "$WORK/$1.csv"
}
jmh_score() { # as jmh_value, the score; dies when missing
    local v; v=$(jmh_value "$1" "$2" "$3" score)
    [ -n "$v" ] || die "no JMH result for $2${3:+ impl=$3} in $1.csv"
    awk -v s="$v" 'BEGIN { exit !(s + 0 > 0) }' || die "JMH score of $2${3:+ impl=$3} is not a positive number: $v"
    echo "$v"
}
jmh_alloc() { # bytes per operation (gc.alloc.rate.norm) of $2 in csv $1 (impl $3), or n/a
    local v; v=$(jmh_value "$1" "$2:gc.alloc.rate.norm" "$3" score)
    if [ -n "$v" ]; then awk -v v="$v" 'BEGIN { printf "%.0f\n", v }'; else echo n/a; fi
}
score_error() { # $1 csv name, $2 benchmark, $3 impl: "score +- error" (99.9%; $4 decimals, default none), or nothing
    awk -v s="$(jmh_value "$1" "$2" "$3" score)" -v e="$(jmh_value "$1" "$2" "$3" error)" -v d="${4:-0}" 'BEGIN {
        if (s == "") exit; f = "%." d "f"; printf (e == "" || e == "NaN") ? f "\n" : f " +- " f "\n", s, e }'
}
iter_median() { # $1 log name, $2 benchmark (Class.method), $3 impl param or "": the median of its measurement
    # iterations over all forks, or nothing. A setup's output may come between "Iteration N:" and the score.
    awk -v m="io.p11j.bench.$2" -v impl="$3" '
        /^# Benchmark: / { b = $3; p = "" }
        /^# Parameters: / { p = $0 }
        /^Iteration +[0-9]+:/ { want = (b == m && (impl == "" || p ~ ("impl = " impl "[,)]"))) }
        want && / [0-9.]+ (ns|us|ms|s)\/op$/ && !/gc\./ { print $(NF - 1) + 0; want = 0 }' "$WORK/$1.log" | median 2>/dev/null || true
}
count_line() { # the first "COUNT <name> ..." line in the files $2...: its counters, or nothing
    local name=$1; shift
    grep -ho "COUNT $name [^ ].*" "$@" 2>/dev/null | head -1 | sed "s/^COUNT $name //"
}
counter() { # $1 counters (from count_line), $2 name: its value, or n/a
    awk -v c="$1" -v n="$2" 'BEGIN { k = split(c, a, " "); for (i = 1; i <= k; i++) { split(a[i], kv, "=");
        if (kv[1] == n) { print kv[2]; exit } } print "n/a" }'
}
ratio() { # throughput of x over y: y's time / x's time; n/a when either is
    awk -v x="$1" -v y="$2" 'BEGIN { if (x == "n/a" || y == "n/a" || x + 0 <= 0) print "n/a"; else printf "%.2f\n", y / x }'
}
SMOKE_NOTE=$([ "$SMOKE" = 1 ] && echo ' -- SMOKE RUN: these numbers mean nothing' || true)

# ---- 1. the sys layer, side by side: C, JMH, C -----------------------------------------------------
if want sys; then

SYS_C=("$WORK/syscall_loop" "$MODULE" bench "${C_ARGS[@]}")
run_c c-before.txt "syscall_loop ${C_ARGS[*]} (random iterations, session-info iterations, repetitions)" "${SYS_C[@]}"
# SoftHsm (the fixture) writes this configuration and its token directory itself; the forked JVM inherits it.
run_jmh jmh "$WORK/java/softhsm2.conf" 'io\.p11j\.bench\.SysCallBenchmark\.' "${SYS_JMH[@]}"
run_c c-after.txt "syscall_loop ${C_ARGS[*]}" "${SYS_C[@]}"
fi # sys

# ---- 2. signing, side by side: C, JMH, C -----------------------------------------------------------
if want sign; then

C_SIGN_RSA="C_Sign(RSA-2048,SHA256_RSA_PKCS,1KiB)"
C_SIGN_EC="C_Sign(EC-P256,ECDSA,32B)"
C_SIGN_PSS="C_Sign(RSA-2048,SHA256_RSA_PKCS_PSS,1KiB)"
SIGN_C=("$WORK/sign_loop" "$MODULE" bench-sign "$SIGN_PIN" "${C_SIGN_ARGS[@]}")
# P11J's Signature variants run only where P11J has the algorithm.
SIGN_EXCLUDE=()
for v in "p11jProviderRsa2048:SHA256withRSA" "p11jProviderEcP256:SHA256withECDSA" "p11jProviderPss:RSASSA-PSS"; do
    p11j_has "Signature.${v#*:}" || SIGN_EXCLUDE+=("${v%%:*}")
done
SIGN_EXCLUDE_ARGS=()
if [ ${#SIGN_EXCLUDE[@]} -gt 0 ]; then
    SIGN_EXCLUDE_ARGS=(-e "SignBenchmark\\.($(IFS='|'; echo "${SIGN_EXCLUDE[*]}"))\$")
    echo "== SignBenchmark: P11J has no Signature for ${SIGN_EXCLUDE[*]}: left out"
fi

run_c sign-c-before.txt "sign_loop ${C_SIGN_ARGS[*]} (RSA and PSS signatures, ECDSA signatures, repetitions)" "${SIGN_C[@]}"
run_jmh jmh-sign "$WORK/java/softhsm2.conf" 'io\.p11j\.bench\.SignBenchmark\.' "${SIGN_EXCLUDE_ARGS[@]}" \
    "${SIGN_JMH[@]}" -prof gc
run_c sign-c-after.txt "sign_loop ${C_SIGN_ARGS[*]}" "${SIGN_C[@]}"
fi # sign

# ---- 3. KeyStore load, side by side: C, JMH, C, all on the one filled token -------------------------
if want keystore; then

KS_IMPLS=sun
p11j_has KeyStore.PKCS11-URI && KS_IMPLS=sun,p11j || echo "== KeyStoreLoadBenchmark: P11J has no KeyStore PKCS11-URI: left out"
KS_C=("$WORK/keystore_loop" "$MODULE" bench-ks "$KS_PIN" "$KS_OBJECTS" "${C_KS_ARGS[@]}")
C_CONF="$WORK/ks/softhsm2.conf" run_c ks-c-before.txt "keystore_loop $KS_OBJECTS objects, ${C_KS_ARGS[*]} (lazy loads, eager loads, repetitions)" "${KS_C[@]}"
P11J_BENCH_KEYSTORE_TOKEN=bench-ks P11J_BENCH_KEYSTORE_PIN_FILE="$WORK/ks/pin" \
P11J_BENCH_COUNTING_MODULE="$WORK/libp11j-counting.so" P11J_COUNTING_TARGET="$MODULE" \
    run_jmh jmh-ks "$WORK/ks/softhsm2.conf" 'io\.p11j\.bench\.KeyStoreLoadBenchmark\.' -p impl="$KS_IMPLS" \
    -p objects="$KS_OBJECTS" "${KS_JMH[@]}" -prof gc
C_CONF="$WORK/ks/softhsm2.conf" run_c ks-c-after.txt "keystore_loop $KS_OBJECTS objects, ${C_KS_ARGS[*]}" "${KS_C[@]}"
fi # keystore

# ---- 4. EC key generation, side by side: C, JMH, C -------------------------------------------------
if want keygen; then

KG_IMPLS=sun
p11j_has KeyPairGenerator.EC && KG_IMPLS=sun,p11j || echo "== KeyGenBenchmark: P11J has no KeyPairGenerator EC: left out"
KG_C=("$WORK/keygen_loop" "$MODULE" bench-kg "$KG_PIN" "${C_KG_ARGS[@]}")
run_c kg-c-before.txt "keygen_loop ${C_KG_ARGS[*]} (key pairs, repetitions)" "${KG_C[@]}"
P11J_BENCH_COUNTING_MODULE="$WORK/libp11j-counting.so" P11J_COUNTING_TARGET="$MODULE" \
    run_jmh jmh-kg "$WORK/java-kg/softhsm2.conf" 'io\.p11j\.bench\.KeyGenBenchmark\.' -p impl="$KG_IMPLS" \
    "${KG_JMH[@]}" -prof gc
run_c kg-c-after.txt "keygen_loop ${C_KG_ARGS[*]}" "${KG_C[@]}"
fi # keygen

# ---- 5. the JCE services, side by side: C, JMH, C -------------------------------------------------
if want services; then
SVC_C=("$WORK/service_loop" "$MODULE" bench-svc "$SVC_PIN" "${C_SVC_ARGS[@]}" "$(IFS=,; echo "${SVC_OPS[*]}")")
run_c svc-c-before.txt "service_loop ${C_SVC_ARGS[*]} (ms per repetition, repetitions) ${SVC_OPS[*]}" "${SVC_C[@]}"
P11J_BENCH_COUNTING_MODULE="$WORK/libp11j-counting.so" P11J_COUNTING_TARGET="$MODULE" \
    run_jmh jmh-svc "$WORK/java-svc/softhsm2.conf" "io\\.p11j\\.bench\\.ServiceBenchmark\\.($(IFS='|'; echo "${SVC_METHODS[*]}"))\$" \
    "${SVC_JMH[@]}" -prof gc
run_c svc-c-after.txt "service_loop ${C_SVC_ARGS[*]} ${SVC_OPS[*]}" "${SVC_C[@]}"
fi # services

# ---- 1. summary: the sys layer ---------------------------------------------------------------------
if want sys; then

jmh_median() { # $1 benchmark method of SysCallBenchmark: the median of its measurement iterations (all forks)
    local v; v=$(iter_median jmh "SysCallBenchmark.$1" "")
    [ -n "$v" ] || die "no JMH iterations for $1"
    echo "$v"
}
row() { # $1 label, $2 C call name, $3 JMH method
    local cb ca cm score err med
    cb=$(c_run_median "$2" "$WORK/c-before.txt")
    ca=$(c_run_median "$2" "$WORK/c-after.txt")
    cm=$(c_median "$2" "$WORK/c-before.txt" "$WORK/c-after.txt")
    score=$(jmh_score jmh "SysCallBenchmark.$3" "")
    err=$(jmh_value jmh "SysCallBenchmark.$3" "" error)
    med=$(jmh_median "$3")
    awk -v l="$1" -v cb="$cb" -v ca="$ca" -v cm="$cm" -v s="$score" -v e="$err" -v md="$med" 'BEGIN {
        es = (e == "NaN" || e == "") ? "n/a" : sprintf("%.0f", e)
        printf "| %-28s | %6.0f | %6.0f | %6.0f | %6.0f ± %-5s | %6.0f | %5.2f | %+6.0f | %5.2f | %+6.0f |\n",
               l, cb, ca, cm, s, es, md, s / cm, s - cm, md / cm, md - cm
    }'
}

echo
echo "== 1. per-call cost on SoftHSM2 ($MODULE), ns/op$SMOKE_NOTE"
echo "   C: median of the ${C_ARGS[2]} repetitions of ${C_ARGS[0]} (random) / ${C_ARGS[1]} (session info) calls before JMH, after it,"
echo "   and of both runs together ('C all', the reference for the ratios)."
echo "   Java: JMH avgt score ± 99.9% error, and the median of its measurement iterations (${SYS_JMH[*]})."
echo
printf '| %-28s | %6s | %6s | %6s | %14s | %6s | %5s | %6s | %5s | %6s |\n' \
    "call" "C bef." "C aft." "C all" "Java score" "J med." "J/C" "J-C" "med/C" "med-C"
printf '|%s|--------|--------|--------|----------------|--------|-------|--------|-------|--------|\n' "$(printf -- '-%.0s' {1..30})"
row "GenerateRandom(32) p11j sys" "C_GenerateRandom(32)" generateRandom32
row "GenerateRandom(32) bare JNA" "C_GenerateRandom(32)" rawJnaFunctionInvoke
row "GetSessionInfo p11j sys"     "C_GetSessionInfo"     getSessionInfo
echo
awk -v a="$(jmh_score jmh SysCallBenchmark.generateRandom32 "")" -v b="$(jmh_score jmh SysCallBenchmark.rawJnaFunctionInvoke "")" \
    -v am="$(jmh_median generateRandom32)" -v bm="$(jmh_median rawJnaFunctionInvoke)" \
    'BEGIN { printf "p11j sys over bare JNA (C_GenerateRandom): %+.0f ns/op by score (%.2fx), %+.0f ns/op by median (%.2fx)\n", a - b, a / b, am - bm, am / bm }'
fi # sys

# ---- 2. summary: signing ---------------------------------------------------------------------------
if want sign; then

for m in p11jPoolRsa2048 p11jSessionRsa2048 sunPkcs11Rsa2048 p11jPoolEcP256 p11jSessionEcP256 sunPkcs11EcP256 \
         p11jPoolPss p11jSessionPss sunPkcs11Pss; do
    jmh_score jmh-sign "SignBenchmark.$m" "" >/dev/null
    [ "$(jmh_value jmh-sign "SignBenchmark.$m" "" unit)" = "us/op" ] \
        || die "SignBenchmark.$m is not in us/op (a -bm or -tu option?): the table needs avgt us/op"
done
sign_us() { # $1 method: the median of its iterations in us/op, or n/a when it was left out
    local v=
    [ -z "$(jmh_value jmh-sign "SignBenchmark.$1" "" score)" ] || v=$(iter_median jmh-sign "SignBenchmark.$1" "")
    echo "${v:-n/a}"
}
sign_row() { # $1 label, $2 C op name, $3 method suffix (Rsa2048, EcP256, Pss)
    local c p s u j
    c=$(awk -v n="$(c_median "$2" "$WORK/sign-c-before.txt" "$WORK/sign-c-after.txt")" 'BEGIN { print n / 1000 }')
    p=$(sign_us "p11jPool$3"); s=$(sign_us "p11jSession$3"); u=$(sign_us "sunPkcs11$3"); j=$(sign_us "p11jProvider$3")
    awk -v l="$1" -v c="$c" -v p="$p" -v s="$s" -v u="$u" -v j="$j" \
        -v jsun="$(ratio "$j" "$u")" -v jc="$(ratio "$j" "$c")" -v uc="$(ratio "$u" "$c")" \
        -v psun="$(ratio "$p" "$u")" -v pc="$(ratio "$p" "$c")" -v sc="$(ratio "$s" "$c")" 'BEGIN {
        js = j == "n/a" ? "n/a" : sprintf("%.1f", j)
        printf "| %-24s | %7.1f | %7.1f | %7.1f | %7.1f | %7s | %8s | %6s | %5s | %8s | %5s | %5s |\n",
               l, c, p, s, u, js, jsun, jc, uc, psun, pc, sc
    }'
}
alloc_row() { # $1 label, $2 method suffix
    printf '| %-24s | %7s | %7s | %7s | %7s |\n' "$1" "$(jmh_alloc jmh-sign "SignBenchmark.p11jPool$2" "")" \
        "$(jmh_alloc jmh-sign "SignBenchmark.p11jSession$2" "")" "$(jmh_alloc jmh-sign "SignBenchmark.sunPkcs11$2" "")" \
        "$(jmh_alloc jmh-sign "SignBenchmark.p11jProvider$2" "")"
}
sign_error() { # $1 method: its JMH score ± 99.9% error, or n/a
    awk -v s="$(jmh_value jmh-sign "SignBenchmark.$1" "" score)" -v e="$(jmh_value jmh-sign "SignBenchmark.$1" "" error)" \
        'BEGIN { print s == "" ? "n/a" : (e == "NaN" || e == "") ? sprintf("%.1f", s) : sprintf("%.1f ± %.1f", s, e) }'
}
sign_detail() { # $1 label, $2 C op name, $3 method suffix
    awk -v l="$1" -v cb="$(c_run_median "$2" "$WORK/sign-c-before.txt")" -v ca="$(c_run_median "$2" "$WORK/sign-c-after.txt")" \
        -v pe="$(sign_error "p11jPool$3")" -v se="$(sign_error "p11jSession$3")" -v ue="$(sign_error "sunPkcs11$3")" \
        -v je="$(sign_error "p11jProvider$3")" 'BEGIN {
        printf "   %s: C before %.1f, after %.1f us/op; JMH score ± 99.9%% error: pool %s, session %s, SunPKCS11 %s, P11J %s us/op\n",
               l, cb / 1000, ca / 1000, pe, se, ue, je
    }'
}

echo
echo "== 2. signing on SoftHSM2 ($MODULE), us/op$SMOKE_NOTE"
echo "   C: median of the ${C_SIGN_ARGS[2]} repetitions of ${C_SIGN_ARGS[0]} (RSA, PSS) / ${C_SIGN_ARGS[1]} (ECDSA) C_SignInit + C_Sign, before JMH and after it."
echo "   Java: median of the JMH avgt iterations (${SIGN_JMH[*]}); pool = wrapper SessionPool.execute, sess. = wrapper on one logged-in Session,"
echo "   Sun = SunPKCS11, P11J = the P11J provider (Signature by the JCA; n/a: P11J has no such Signature yet)."
echo "   x/y: throughput of x over throughput of y (y's us/op / x's us/op): above 1.00, x signs faster."
echo
printf '| %-24s | %7s | %7s | %7s | %7s | %7s | %8s | %6s | %5s | %8s | %5s | %5s |\n' \
    "op (1 KiB message)" "C" "pool" "sess." "Sun" "P11J" "P11J/Sun" "P11J/C" "Sun/C" "pool/Sun" "p/C" "s/C"
printf '|%s|---------|---------|---------|---------|---------|----------|--------|-------|----------|-------|-------|\n' "$(printf -- '-%.0s' {1..26})"
sign_row "RSA-2048 SHA256_RSA_PKCS" "$C_SIGN_RSA" Rsa2048
sign_row "ECDSA P-256 (SHA-256 J)"  "$C_SIGN_EC"  EcP256
sign_row "RSASSA-PSS SHA-256"       "$C_SIGN_PSS" Pss
echo
echo "   bytes allocated on the Java heap per signature (-prof gc gc.alloc.rate.norm; native memory not counted):"
echo
printf '| %-24s | %7s | %7s | %7s | %7s |\n' "op" "B pool" "B sess." "B Sun" "B P11J"
printf '|%s|---------|---------|---------|---------|\n' "$(printf -- '-%.0s' {1..26})"
alloc_row "RSA-2048 SHA256_RSA_PKCS" Rsa2048
alloc_row "ECDSA P-256 (SHA-256 J)"  EcP256
alloc_row "RSASSA-PSS SHA-256"       Pss
echo
sign_detail "RSA-2048" "$C_SIGN_RSA" Rsa2048
sign_detail "ECDSA P-256" "$C_SIGN_EC" EcP256
sign_detail "RSASSA-PSS" "$C_SIGN_PSS" Pss
echo "   (ECDSA: Java hashes the 1 KiB message with SHA-256 and the token signs the digest with CKM_ECDSA; the C loop"
echo "   signs a fixed 32-byte digest, so C/Java includes Java's SHA-256 of 1 KiB. PSS: C and the wrapper use"
echo "   CKM_SHA256_RSA_PKCS_PSS; Sun and P11J are the JCA's RSASSA-PSS, each picking its mechanism."
echo "   Targets for P11J: P11J/Sun >= 1.00, P11J/C >= 0.95, B P11J <= 1024.)"
fi # sign

# ---- 3. summary: KeyStore --------------------------------------------------------------------------
if want keystore; then

C_KS_LAZY="KeyStoreLoad(lazy,$KS_OBJECTS)"
C_KS_EAGER="KeyStoreLoad(eager,$KS_OBJECTS)"
KS_BENCH=KeyStoreLoadBenchmark.loadAliasesGetKey
jmh_score jmh-ks "$KS_BENCH" sun >/dev/null
[ "$KS_IMPLS" = sun ] || jmh_score jmh-ks "$KS_BENCH" p11j >/dev/null
KS_LAZY_US=$(awk -v n="$(c_median "$C_KS_LAZY" "$WORK/ks-c-before.txt" "$WORK/ks-c-after.txt")" 'BEGIN { print n / 1000 }')
KS_EAGER_US=$(awk -v n="$(c_median "$C_KS_EAGER" "$WORK/ks-c-before.txt" "$WORK/ks-c-after.txt")" 'BEGIN { print n / 1000 }')
KS_SUN_US=$(iter_median jmh-ks "$KS_BENCH" sun); [ -n "$KS_SUN_US" ] || die "no JMH iterations of $KS_BENCH (sun)"
KS_P11J_US=n/a
[ "$KS_IMPLS" = sun ] || KS_P11J_US=$(iter_median jmh-ks "$KS_BENCH" p11j)
[ -n "$KS_P11J_US" ] || die "no JMH iterations of $KS_BENCH (p11j)"
ks_row() { # $1 label, $2 us per load, $3 JMH score ± error, $4 counters, $5 B/op
    local calls attrs finds
    calls=$(counter "$4" C_GetAttributeValue); attrs=$(counter "$4" attributes); finds=$(counter "$4" C_FindObjects)
    awk -v l="$1" -v t="$2" -v e="${3:--}" -v sun="$(ratio "$2" "$KS_SUN_US")" -v lazy="$(ratio "$2" "$KS_LAZY_US")" \
        -v eager="$(ratio "$2" "$KS_EAGER_US")" -v calls="$calls" -v attrs="$attrs" -v finds="$finds" -v b="$5" 'BEGIN {
        ts = t == "n/a" ? "n/a" : sprintf("%.0f", t)
        printf "| %-20s | %7s | %16s | %6s | %7s | %8s | %10s | %10s | %8s | %9s |\n", l, ts, e, sun, lazy, eager, calls, attrs, finds, b
    }'
}
ks_count() { # $1 impl: the COUNT of its second load in a JVM (the steady state the benchmark measures)
    count_line "KeyStoreLoad($1,$KS_OBJECTS)" "$WORK/jmh-ks.log"
}
ks_first() { # $1 impl: a note when its first load in a JVM made other calls than the second
    local steady first
    steady=$(ks_count "$1")
    first=$(count_line "KeyStoreLoad($1,$KS_OBJECTS),first" "$WORK/jmh-ks.log")
    if [ -n "$first" ] && [ "$first" != "$steady" ]; then
        echo "   $1's first load in a JVM: $first"
    fi
}
echo
echo "== 3. KeyStore load + aliases() + one getKey, $KS_OBJECTS objects ($((KS_OBJECTS / 4)) EC key pairs with certificates, $((KS_OBJECTS / 4)) CA certificates), us per load$SMOKE_NOTE"
echo "   C lazy: find all + class/id/label of each (+ key type and EC params of the key); C eager: + CKA_VALUE of every"
echo "   certificate; median of ${C_KS_ARGS[2]} repetitions before and after JMH. Java: median of the JMH avgt iterations"
echo "   (${KS_JMH[*]}; and the JMH score ± 99.9% error), a fresh KeyStore per load."
echo "   x/y: throughput of the row over y (y's time / the row's). Calls: token calls of one load (the counting module;"
echo "   for Java the second load in a JVM). B/op: Java heap allocated per load."
echo
printf '| %-20s | %7s | %16s | %6s | %7s | %8s | %10s | %10s | %8s | %9s |\n' \
    "path" "us/load" "score +- error" "x/Sun" "x/Clazy" "x/Ceager" "GetAttrVal" "attributes" "FindObjs" "B/op"
printf '|%s|---------|------------------|--------|---------|----------|------------|------------|----------|-----------|\n' "$(printf -- '-%.0s' {1..22})"
ks_row "C lazy (minimal)" "$KS_LAZY_US" "" "$(grep -ho "COUNT $C_KS_LAZY .*" "$WORK/ks-c-before.txt" | head -1)" "-"
ks_row "C eager (all certs)" "$KS_EAGER_US" "" "$(grep -ho "COUNT $C_KS_EAGER .*" "$WORK/ks-c-before.txt" | head -1)" "-"
ks_row "SunPKCS11 PKCS11" "$KS_SUN_US" "$(score_error jmh-ks "$KS_BENCH" sun)" "$(ks_count sun)" "$(jmh_alloc jmh-ks "$KS_BENCH" sun)"
if [ "$KS_P11J_US" = n/a ]; then
    echo "| P11J PKCS11-URI      | n/a: P11J has no KeyStore PKCS11-URI yet |"
else
    ks_row "P11J PKCS11-URI" "$KS_P11J_US" "$(score_error jmh-ks "$KS_BENCH" p11j)" "$(ks_count p11j)" "$(jmh_alloc jmh-ks "$KS_BENCH" p11j)"
fi
echo
awk -v lb="$(c_run_median "$C_KS_LAZY" "$WORK/ks-c-before.txt")" -v la="$(c_run_median "$C_KS_LAZY" "$WORK/ks-c-after.txt")" \
    -v eb="$(c_run_median "$C_KS_EAGER" "$WORK/ks-c-before.txt")" -v ea="$(c_run_median "$C_KS_EAGER" "$WORK/ks-c-after.txt")" \
    'BEGIN { printf "   C before/after JMH: lazy %.0f / %.0f us, eager %.0f / %.0f us per load.\n", lb / 1000, la / 1000, eb / 1000, ea / 1000 }'

for i in ${KS_IMPLS//,/ }; do ks_first "$i"; done
echo "   (Target for P11J: x/Sun >= 3.00 -- about what the eager C program does.)"
fi # keystore

# ---- 4. summary: key generation --------------------------------------------------------------------
if want keygen; then

C_KG="C_GenerateKeyPair(EC-P256,session)+EC_POINT"
C_KG_LIFE="C_GenerateKeyPair(EC-P256,session)+EC_POINT+2xC_DestroyObject"
KG_BENCH=KeyGenBenchmark.generateEcP256
jmh_score jmh-kg "$KG_BENCH" sun >/dev/null
[ "$KG_IMPLS" = sun ] || jmh_score jmh-kg "$KG_BENCH" p11j >/dev/null
KG_C_US=$(awk -v n="$(c_median "$C_KG" "$WORK/kg-c-before.txt" "$WORK/kg-c-after.txt")" 'BEGIN { print n / 1000 }')
KG_LIFE_US=$(awk -v n="$(c_median "$C_KG_LIFE" "$WORK/kg-c-before.txt" "$WORK/kg-c-after.txt")" 'BEGIN { print n / 1000 }')
KG_SUN_US=$(iter_median jmh-kg "$KG_BENCH" sun); [ -n "$KG_SUN_US" ] || die "no JMH iterations of $KG_BENCH (sun)"
kg_row() { # $1 label, $2 us/op, $3 JMH score ± error, $4 counters, $5 B/op
    awk -v l="$1" -v t="$2" -v e="${3:--}" -v sun="$(ratio "$2" "$KG_SUN_US")" -v c="$(ratio "$2" "$KG_C_US")" \
        -v calls="$(counter "$4" C_GetAttributeValue)" -v attrs="$(counter "$4" attributes)" -v b="$5" 'BEGIN {
        ts = t == "n/a" ? "n/a" : sprintf("%.1f", t)
        printf "| %-32s | %6s | %15s | %6s | %5s | %10s | %10s | %7s |\n", l, ts, e, sun, c, calls, attrs, b
    }'
}
echo
echo "== 4. EC P-256 key pair generation, session objects, us/op$SMOKE_NOTE"
echo "   C: C_GenerateKeyPair + CKA_EC_POINT (P11J's templates), keys destroyed after the clock stops; lifecycle: with the"
echo "   two C_DestroyObject timed. Median of ${C_KG_ARGS[1]} repetitions of ${C_KG_ARGS[0]}, before and after JMH."
echo "   Java: generateKeyPair() + getPublic().getEncoded(), median of the JMH avgt iterations (${KG_JMH[*]}; and the"
echo "   JMH score ± 99.9% error); x/y as above, C = C generate."
echo "   GetAttrVal/attributes: token calls of one operation (the counting module); B/op: Java heap per key pair."
echo
printf '| %-32s | %6s | %15s | %6s | %5s | %10s | %10s | %7s |\n' "path" "us/op" "score +- error" "x/Sun" "x/C" "GetAttrVal" "attributes" "B/op"
printf '|%s|--------|-----------------|--------|-------|------------|------------|---------|\n' "$(printf -- '-%.0s' {1..34})"
kg_row "C generate (+EC_POINT)" "$KG_C_US" "" "C_GetAttributeValue=1 attributes=1" "-"
kg_row "C lifecycle (+2 C_DestroyObject)" "$KG_LIFE_US" "" "C_GetAttributeValue=1 attributes=1" "-"
kg_row "SunPKCS11 KeyPairGenerator EC" "$KG_SUN_US" "$(score_error jmh-kg "$KG_BENCH" sun 1)" \
    "$(count_line "KeyGen(sun)" "$WORK/jmh-kg.log")" "$(jmh_alloc jmh-kg "$KG_BENCH" sun)"
if [ "$KG_IMPLS" = sun ]; then
    echo "| P11J KeyPairGenerator EC         | n/a: P11J has no KeyPairGenerator EC |"
else
    kg_row "P11J KeyPairGenerator EC" "$(iter_median jmh-kg "$KG_BENCH" p11j)" "$(score_error jmh-kg "$KG_BENCH" p11j 1)" \
        "$(count_line "KeyGen(p11j)" "$WORK/jmh-kg.log")" "$(jmh_alloc jmh-kg "$KG_BENCH" p11j)"
fi
echo
awk -v b="$(c_run_median "$C_KG" "$WORK/kg-c-before.txt")" -v a="$(c_run_median "$C_KG" "$WORK/kg-c-after.txt")" \
    -v lb="$(c_run_median "$C_KG_LIFE" "$WORK/kg-c-before.txt")" -v la="$(c_run_median "$C_KG_LIFE" "$WORK/kg-c-after.txt")" \
    'BEGIN { printf "   C before/after JMH: generate %.1f / %.1f us, lifecycle %.1f / %.1f us.\n", b / 1000, a / 1000, lb / 1000, la / 1000 }'

echo "   (Target for P11J: x/Sun >= 1.50.)"
fi # keygen

# ---- 5. summary: the JCE services ------------------------------------------------------------------
if want services; then
svc_c_name() { # $1 op: the name of its C RESULT lines
    case "$1" in
        AesGcm1KiB) echo "C_EncryptInit+C_Encrypt(AES-GCM,1KiB)" ;;
        AesGcm1MiB) echo "C_EncryptInit+C_Encrypt(AES-GCM,1MiB)" ;;
        AesCbc1KiB) echo "C_EncryptInit+C_Encrypt(AES-CBC-PAD,1KiB)" ;;
        HmacSha256) echo "C_SignInit+C_Sign(SHA256-HMAC,64B)" ;;
        Sha256_64B) echo "C_DigestInit+C_Digest(SHA256,64B)" ;;
        Sha256_1MiB) echo "C_DigestInit+C_Digest(SHA256,1MiB)" ;;
        Random32B) echo "C_GenerateRandom(32)" ;;
        EcdhP256) echo "C_DeriveKey(ECDH1,P-256)+C_GetAttributeValue+C_DestroyObject" ;;
    esac
}
svc_c_calls() { # $1 op: the token calls of one operation of the C loop (what an ideal caller makes)
    case "$1" in
        Aes*) echo "EncryptInit=1 Encrypt=1" ;;
        Hmac*) echo "SignInit=1 Sign=1" ;;
        Sha*) echo "DigestInit=1 Digest=1" ;;
        Random*) echo "GenerateRandom=1" ;;
        Ecdh*) echo "GetAttributeValue=1 DestroyObject=1 DeriveKey=1" ;;
    esac
}
svc_label() { # $1 op: the table's name for it
    case "$1" in
        AesGcm1KiB) echo "AES-GCM encrypt 1 KiB" ;;
        AesGcm1MiB) echo "AES-GCM encrypt 1 MiB" ;;
        AesCbc1KiB) echo "AES-CBC/PKCS5 enc 1 KiB" ;;
        HmacSha256) echo "HMAC-SHA256 64 B" ;;
        Sha256_64B) echo "SHA-256 64 B" ;;
        Sha256_1MiB) echo "SHA-256 1 MiB" ;;
        Random32B) echo "SecureRandom 32 B" ;;
        EcdhP256) echo "ECDH P-256 derive" ;;
    esac
}
svc_target() { # $1 op: issue #5's target for P11J, as "<minimum P11J/Sun> <minimum P11J/C or 0>"
    case "$1" in
        AesGcm1KiB) echo "1.50 0" ;;
        Sha256_64B) echo "2.00 0" ;;
        AesGcm1MiB|Sha256_1MiB) echo "1.00 0.95" ;;   # bulk: also within 5% of the C loop
        *) echo "1.00 0" ;;
    esac
}
svc_us() { # $1 method: the median of its JMH iterations in us/op, or n/a when it did not run
    local v=
    [ -z "$(jmh_value jmh-svc "ServiceBenchmark.$1" "" score)" ] || v=$(iter_median jmh-svc "ServiceBenchmark.$1" "")
    echo "${v:-n/a}"
}
svc_calls() { # $1 op, $2 impl: the nonzero token calls of one operation (the counting module), or n/a
    local c; c=$(count_line "Service($1,$2)" "$WORK/jmh-svc.log")
    [ -n "$c" ] || { echo n/a; return; }
    echo "$c" | tr ' ' '\n' | awk -F= '$1 != "attributes" && $1 != "handles" && $2 != 0 { sub(/^C_/, "", $1); printf "%s%s=%s", sep, $1, $2; sep = " " } END { print "" }'
}
for op in "${SVC_OPS[@]}"; do
    jmh_score jmh-svc "ServiceBenchmark.sun$op" "" >/dev/null
    [ "$(jmh_value jmh-svc "ServiceBenchmark.sun$op" "" unit)" = "us/op" ] \
        || die "ServiceBenchmark.sun$op is not in us/op (a -bm or -tu option?): the table needs avgt us/op"
done
svc_cpu() { # $1 op: the C loop's CPU time per operation (us), the median of its two runs' medians
    local name; name=$(svc_c_name "$1")
    awk -v p="CPU $name " 'index($0, p) == 1 { sub(/^.*median_cpu_ns_per_op=/, ""); print $1 / 1000 }' \
        "$WORK/svc-c-before.txt" "$WORK/svc-c-after.txt" | median || echo n/a
}
svc_row() { # $1 op
    local c u j t
    c=$(awk -v n="$(c_median "$(svc_c_name "$1")" "$WORK/svc-c-before.txt" "$WORK/svc-c-after.txt")" 'BEGIN { print n / 1000 }')
    u=$(svc_us "sun$1"); j=$(svc_us "p11j$1"); t=$(svc_target "$1")
    awk -v l="$(svc_label "$1")" -v c="$c" -v u="$u" -v j="$j" -v jsun="$(ratio "$j" "$u")" -v jc="$(ratio "$j" "$c")" \
        -v uc="$(ratio "$u" "$c")" -v tsun="${t% *}" -v tc="${t#* }" -v bu="$(jmh_alloc jmh-svc "ServiceBenchmark.sun$1" "")" \
        -v bj="$(jmh_alloc jmh-svc "ServiceBenchmark.p11j$1" "")" -v cpu="$(svc_cpu "$1")" 'BEGIN {
        js = j == "n/a" ? "n/a" : sprintf("%.1f", j)
        target = "P11J/Sun >= " tsun (tc + 0 > 0 ? ", P11J/C >= " tc : "")
        met = jsun == "n/a" ? "n/a" : (jsun + 0 >= tsun + 0 && (tc + 0 == 0 || jc + 0 >= tc + 0)) ? "yes" : "NO"
        printf "| %-23s | %8.1f | %8.1f | %8.1f | %8s | %8s | %6s | %5s | %-32s | %3s | %7s | %7s |\n",
               l, c, cpu, u, js, jsun, jc, uc, target, met, bu, bj
    }'
}
echo
echo "== 5. the JCE services on SoftHSM2 ($MODULE), us/op$SMOKE_NOTE"
echo "   C: service_loop, the calls an ideal caller makes per message (below), median of the ${C_SVC_ARGS[1]} repetitions of about"
echo "   ${C_SVC_ARGS[0]} ms of each, before JMH and after it. Java: median of the JMH avgt iterations (${SVC_JMH[*]}) of"
echo "   io.p11j.bench.ServiceBenchmark, SunPKCS11 and P11J by the JCA on one token with the same token keys (AES-256, a 32-byte"
echo "   HMAC key: token objects found through each provider's KeyStore by label; ECDH: a P-256 session key pair from each"
echo "   provider's KeyPairGenerator). GCM and CBC: init with a fresh counter IV + doFinal per message."
echo "   C cpu: the C loop's CPU time per operation (user + system): what the token's work costs when nothing else runs;"
echo "   on a busy machine C and Java, wall-clock times both, are above it. The ratios use C, not C cpu."
echo "   x/y: throughput of x over throughput of y (y's us/op / x's us/op). B: Java heap bytes per operation (-prof gc)."
echo
printf '| %-23s | %8s | %8s | %8s | %8s | %8s | %6s | %5s | %-32s | %3s | %7s | %7s |\n' \
    "operation" "C" "C cpu" "Sun" "P11J" "P11J/Sun" "P11J/C" "Sun/C" "target (issue #5)" "met" "B Sun" "B P11J"
printf '|%s|----------|----------|----------|----------|----------|--------|-------|----------------------------------|-----|---------|---------|\n' "$(printf -- '-%.0s' {1..25})"
for op in "${SVC_OPS[@]}"; do svc_row "$op"; done
echo
echo "   token calls per operation (the counting module; Java: one operation after a first, untimed):"
echo
{
    echo "operation|C (ideal)|SunPKCS11|P11J"
    for op in "${SVC_OPS[@]}"; do
        echo "$(svc_label "$op")|$(svc_c_calls "$op")|$(svc_calls "$op" sun)|$(svc_calls "$op" p11j)"
    done
} | awk -F'|' '{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } } END {
    for (r = 1; r <= NR; r++) {
        line = "|"; for (i = 1; i <= 4; i++) line = line sprintf(" %-" w[i] "s |", cell[r, i]); print line
        if (r == 1) { line = "|"; for (i = 1; i <= 4; i++) { d = ""; for (k = 0; k < w[i] + 2; k++) d = d "-"; line = line d "|" } print line }
    }
}'
echo
for op in "${SVC_OPS[@]}"; do
    awk -v l="$(svc_label "$op")" -v b="$(c_run_median "$(svc_c_name "$op")" "$WORK/svc-c-before.txt")" \
        -v a="$(c_run_median "$(svc_c_name "$op")" "$WORK/svc-c-after.txt")" -v u="$(score_error jmh-svc "ServiceBenchmark.sun$op" "" 1)" \
        -v j="$(score_error jmh-svc "ServiceBenchmark.p11j$op" "" 1)" 'BEGIN {
        printf "   %s: C before %.1f, after %.1f us/op; JMH score +- 99.9%% error: SunPKCS11 %s, P11J %s us/op\n",
               l, b / 1000, a / 1000, u, j == "" ? "n/a" : j }'
done
svc_sun_c() { # $1 op: SunPKCS11/C of this run, or n/a when the op did not run
    [[ " ${SVC_OPS[*]} " == *" $1 "* ]] || { echo n/a; return; }
    ratio "$(svc_us "sun$1")" "$(awk -v n="$(c_median "$(svc_c_name "$1")" "$WORK/svc-c-before.txt" "$WORK/svc-c-after.txt")" 'BEGIN { print n / 1000 }')"
}
echo "   SunPKCS11/C here: AES-GCM 1 KiB $(svc_sun_c AesGcm1KiB) (issue #5 measured 0.54), SHA-256 64 B $(svc_sun_c Sha256_64B) (0.40)."
[ ${#SVC_SKIPPED[@]} -eq 0 ] || echo "   P11J n/a: not present yet, skipped: ${SVC_SKIPPED[*]}"
echo "   (The AES and HMAC keys are SoftHSM2 token objects, as keys found by a KeyStore are: SoftHSM2's file store then"
echo "   checks the key's object file at every C_*Init, about 13 us of CPU, mostly system time, that the C loop pays too.)"
fi # services

# The machine may be shared: how busy it was says how far to trust the numbers.
awk -v s="$START" -v e="$(date +%s.%N)" -v l0="$LOAD_START" -v l1="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo n/a)" \
    -v n="$(nproc 2>/dev/null || echo '?')" 'BEGIN { printf "bench.sh: done in %.1f s; load average %s at the start, %s at the end, on %s cores\n", e - s, l0, l1, n }'
