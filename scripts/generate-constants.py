#!/usr/bin/env python3
"""Generate src/main/java/io/p11j/sys/Pkcs11Constants.java from the system PKCS#11 headers.

Usage (from anywhere; paths default to the Debian locations):

    python3 scripts/generate-constants.py            # (re)write the Java file, print a summary
    python3 scripts/generate-constants.py --check    # exit 1 if the committed file is stale
    python3 scripts/generate-constants.py --help     # header / output / compiler overrides

Requirements (Debian / Ubuntu):

    apt-get install gcc libp11-kit-dev libnss3-dev   # libnss3-dev pulls in libnspr4-dev

  * libp11-kit-dev: /usr/include/p11-kit-1/p11-kit/pkcs11.h, the primary source (PKCS#11 2.40 plus
    a few 3.0 names; it defaults to CRYPTOKI_COMPAT, which gives the standard CK*_ names).
  * libnss3-dev: /usr/include/nss/pkcs11t.h, the secondary source (PKCS#11 3.0). Only standard
    names that p11-kit lacks are taken from it; NSS vendor names (anything containing NSS or
    NETSCAPE, and everything defined in pkcs11n.h / pkcs11u.h / pkcs11p.h, which pkcs11t.h
    includes itself) are skipped.
  * libnspr4-dev: prtypes.h, needed to compile pkcs11t.h (located with `pkg-config --cflags nspr`
    when available, else /usr/include/nspr).

The headers are only read, never copied into the repository. Python 3.8+ standard library only.

Method (robust to expression-valued macros such as `(CKM_VENDOR_DEFINED|0x...)`, casts, `~0UL`):

  1. `gcc -E -dM` lists the macros each header leaves defined; `gcc -E -dD` (with line markers)
     gives the declaration order and the file each macro is defined in.
  2. Candidates: names with a `CK<letters>_` family prefix (CKA_, CKM_, CKR_, ...), the `CK_`
     sub-families (CK_OTP_, CK_SP800_108_, CK_SECURITY_DOMAIN_, CK_CERTIFICATE_CATEGORY_), the
     special values CK_UNAVAILABLE_INFORMATION, CK_EFFECTIVELY_INFINITE, CK_INVALID_HANDLE,
     CK_TRUE, CK_FALSE, and CRYPTOKI_VERSION_*. Function-like macros are dropped, and a probe
     compile (`_Static_assert(((NAME) | 0UL) || 1, "")`) drops anything that is not an integer
     constant expression (types, pointers, strings).
  3. A generated C program prints every value as `unsigned long` (`printf("%s %lu\\n", ...)`);
     it is compiled and run with gcc on an LP64 host, once per header (the two headers cannot be
     included together).
  4. The Java file lists p11-kit's names first, then NSS-only additions, per family, each in
     header declaration order. A name the two headers give different values must be listed in
     CONFLICTS (below) with the header whose value wins; the generator stops on any other
     conflict. Conflicts are printed and noted in the Javadoc of the constant. (p11-kit 0.24.1
     has wrong values for five 2.40 CKR_ codes; NSS's, the OASIS values, are used for those.)

Canonical names (for Pkcs11Constants.name / rvName / ...): within a family, the first name in
declaration order with that value, except that spellings the headers mark as deprecated or as an
alias (a macro defined as another constant's name, e.g. `#define CKF_EC_NAMEDCURVE CKF_EC_OID`)
rank after every other spelling. See DEPRECATED below.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_P11KIT = "/usr/include/p11-kit-1/p11-kit/pkcs11.h"
DEFAULT_NSS = "/usr/include/nss/pkcs11t.h"
DEFAULT_OUTPUT = REPO / "src/main/java/io/p11j/sys/Pkcs11Constants.java"
JAVA_PACKAGE = "io.p11j.sys"
JAVA_CLASS = "Pkcs11Constants"

# CK_-prefixed constant families (longest match wins); any other CK_ name that is not one of the
# SPECIALS (e.g. CK_PTR, CK_NULL_PTR, CK_SPEC) is not a constant and is skipped.
CK_SUBFAMILIES = ("CK_OTP_", "CK_SP800_108_", "CK_SECURITY_DOMAIN_", "CK_CERTIFICATE_CATEGORY_")
SPECIALS = ("CK_UNAVAILABLE_INFORMATION", "CK_EFFECTIVELY_INFINITE", "CK_INVALID_HANDLE",
            "CK_TRUE", "CK_FALSE")
FAMILY_RE = re.compile(r"^CK[A-Z]+_")          # CKA_, CKM_, CKOTP_, ... (letters only)
VERSION_RE = re.compile(r"^CRYPTOKI_VERSION_[A-Z]+$")
VENDOR_WORDS = ("NSS", "NETSCAPE")
# NSS's pkcs11t.h ends with a section of NSS-specific names that lack NSS in their spelling
# (CKK_INVALID_KEY_TYPE); everything #defined after this comment in the NSS header is skipped.
NSS_SPECIFIC_MARKER = "NSS Specific defines"

# Spellings the headers mark as deprecated, mapped to the preferred spelling. Aliases defined as
# another constant's name (`#define A B`) are detected automatically and need no entry here.
DEPRECATED = {
    # nss/pkcs11t.h: "CKK_ECDSA is deprecated in v2.11, CKK_EC is preferred."
    "CKK_ECDSA": "CKK_EC",
    # nss/pkcs11t.h: "CKK_CAST5 is deprecated in v2.11, CKK_CAST128 is preferred."
    "CKK_CAST5": "CKK_CAST128",
    # nss/pkcs11t.h: "CKA_ECDSA_PARAMS is deprecated in v2.11, CKA_EC_PARAMS is preferred."
    "CKA_ECDSA_PARAMS": "CKA_EC_PARAMS",
    # nss/pkcs11t.h: "CKM_ECDSA_KEY_PAIR_GEN is deprecated in v2.11, CKM_EC_KEY_PAIR_GEN is
    # preferred"
    "CKM_ECDSA_KEY_PAIR_GEN": "CKM_EC_KEY_PAIR_GEN",
    # The CAST5 mechanism spellings follow CKK_CAST5's deprecation ("Note that CAST128 and CAST5
    # are the same algorithm"); both headers declare the CAST5 spelling first.
    "CKM_CAST5_KEY_GEN": "CKM_CAST128_KEY_GEN",
    "CKM_CAST5_ECB": "CKM_CAST128_ECB",
    "CKM_CAST5_CBC": "CKM_CAST128_CBC",
    "CKM_CAST5_MAC": "CKM_CAST128_MAC",
    "CKM_CAST5_MAC_GENERAL": "CKM_CAST128_MAC_GENERAL",
    "CKM_CAST5_CBC_PAD": "CKM_CAST128_CBC_PAD",
    "CKM_PBE_MD5_CAST5_CBC": "CKM_PBE_MD5_CAST128_CBC",
    "CKM_PBE_SHA1_CAST5_CBC": "CKM_PBE_SHA1_CAST128_CBC",
}

# Every name the two headers give different values must be listed here with the header whose
# value is used and why; an unlisted conflict stops the generator so that it gets reviewed.
_P11KIT_CKR_BUG = ("that is not the value of the OASIS headers (PKCS#11 2.40 errata 01 and 3.0),"
                   " which is what modules return")
CONFLICTS = {
    # p11-kit 0.24.1 (Debian 12) declares these 0x1C0..0x1C4. The OASIS pkcs11t.h of PKCS#11
    # 2.40 errata 01 and 3.0, NSS, and other bindings use 0x1B5..0x1B9, which is what tokens
    # return; p11-kit's values are a bug in its header.
    "CKR_EXCEEDED_MAX_ITERATIONS": ("nss", _P11KIT_CKR_BUG),
    "CKR_FIPS_SELF_TEST_FAILED": ("nss", _P11KIT_CKR_BUG),
    "CKR_LIBRARY_LOAD_FAILED": ("nss", _P11KIT_CKR_BUG),
    "CKR_PIN_TOO_WEAK": ("nss", _P11KIT_CKR_BUG),
    "CKR_PUBLIC_KEY_INVALID": ("nss", _P11KIT_CKR_BUG),
    # The version of the primary header (2.40); NSS's pkcs11t.h says 3.0.
    "CRYPTOKI_VERSION_MAJOR": ("p11-kit", "version of the primary header"),
    "CRYPTOKI_VERSION_MINOR": ("p11-kit", "version of the primary header"),
}

ULONG_MAX = (1 << 64) - 1


@dataclass
class Macro:
    name: str
    body: str
    order: int
    file: str


@dataclass
class Constant:
    name: str
    value: int
    source: str                 # "p11-kit" or "nss"
    body: str                   # macro body as the header spells it (after -dM normalisation)
    order: int
    family: str = ""
    alias_of: str | None = None  # preferred spelling if this one is deprecated / an alias
    alias_reason: str = ""
    note: str = ""              # extra Javadoc (conflicts)
    value_from: str = ""        # header whose value is used, if not `source` (conflicts)


@dataclass
class HeaderScan:
    label: str
    header: str
    constants: "OrderedDict[str, Constant]" = field(default_factory=OrderedDict)
    skipped_vendor: list = field(default_factory=list)
    skipped_other_file: list = field(default_factory=list)
    skipped_function_like: list = field(default_factory=list)
    skipped_non_integer: list = field(default_factory=list)
    skipped_ck_other: list = field(default_factory=list)
    name_aliases: dict = field(default_factory=dict)  # name -> name it is #defined as


def die(msg: str) -> "NoReturn":  # noqa: F821
    print(f"generate-constants: error: {msg}", file=sys.stderr)
    sys.exit(2)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, check=False, text=True, capture_output=True, **kw)
    except FileNotFoundError:
        die(f"cannot run {cmd[0]!r}; install gcc (apt-get install gcc)")


def nspr_cflags() -> list[str]:
    if shutil.which("pkg-config"):
        r = run(["pkg-config", "--cflags", "nspr"])
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.split()
    return ["-I/usr/include/nspr"]


def family_of(name: str) -> str | None:
    """The lookup family of a constant name, or None if it is not a constant name."""
    if name.startswith("CK_"):
        for sub in sorted(CK_SUBFAMILIES, key=len, reverse=True):
            if name.startswith(sub):
                return sub
        return "CK_" if name in SPECIALS else None
    if VERSION_RE.match(name):
        return "CRYPTOKI_VERSION_"
    m = FAMILY_RE.match(name)
    return m.group(0) if m else None


def parse_defines(text: str) -> list[tuple[str, str, bool]]:
    """(name, body, function_like) for each #define line of gcc -dM / -dD output."""
    out = []
    for line in text.splitlines():
        m = re.match(r"#define\s+([A-Za-z_]\w*)(\()?\s*(.*)$", line)
        if m:
            out.append((m.group(1), m.group(3).strip(), m.group(2) is not None))
    return out


def preprocess(src: Path, cflags: list[str], gcc: str) -> tuple[str, str]:
    dm = run([gcc, "-E", "-dM", *cflags, str(src)])
    if dm.returncode != 0:
        die(f"gcc -E -dM failed for {src}:\n{dm.stderr}")
    dd = run([gcc, "-E", "-dD", *cflags, str(src)])
    if dd.returncode != 0:
        die(f"gcc -E -dD failed for {src}:\n{dd.stderr}")
    return dm.stdout, dd.stdout


def declaration_order(dd_text: str) -> dict[str, tuple[int, str]]:
    """name -> (first definition index, defining file) from gcc -E -dD output with line markers."""
    result: dict[str, tuple[int, str]] = {}
    current = ""
    for line in dd_text.splitlines():
        m = re.match(r'# \d+ "([^"]*)"', line)
        if m:
            current = m.group(1)
            continue
        m = re.match(r"#define\s+([A-Za-z_]\w*)", line)
        if m and m.group(1) not in result:
            result[m.group(1)] = (len(result), current)
    return result


def same_file(a: str, b: str) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except OSError:
        return a == b


def probe_integer(names: list[str], prelude: str, cflags: list[str], gcc: str,
                  tmp: Path) -> tuple[list[str], list[str]]:
    """Split names into integer constant expressions and everything else (one compile per pass)."""
    good = list(names)
    bad: list[str] = []
    for _ in range(len(names) + 1):
        lines = [prelude]
        first = prelude.count("\n") + 2
        for n in good:
            lines.append(f'_Static_assert((({n}) | 0UL) || 1, "{n}");')
        src = tmp / "probe.c"
        src.write_text("\n".join(lines) + "\n")
        r = run([gcc, "-std=c11", "-fsyntax-only", "-w", *cflags, str(src)])
        if r.returncode == 0:
            return good, bad
        failing = set()
        for m in re.finditer(r"probe\.c:(\d+):", r.stderr):
            idx = int(m.group(1)) - first
            if 0 <= idx < len(good):
                failing.add(good[idx])
        if not failing:
            die(f"probe compile failed outside the candidate lines:\n{r.stderr}")
        bad.extend(n for n in good if n in failing)
        good = [n for n in good if n not in failing]
    return good, bad


def evaluate(names: list[str], prelude: str, cflags: list[str], gcc: str,
             tmp: Path) -> dict[str, int]:
    lines = [prelude, "#include <stdio.h>", "",
             "int main(void) {",
             '    if (sizeof(unsigned long) != 8) { fputs("not LP64\\n", stderr); return 3; }']
    for n in names:
        lines.append(f'    printf("%s %lu\\n", "{n}", (unsigned long)({n}));')
    lines += ["    return 0;", "}", ""]
    src = tmp / "values.c"
    exe = tmp / "values"
    src.write_text("\n".join(lines))
    r = run([gcc, "-std=c11", "-O0", "-w", *cflags, "-o", str(exe), str(src)])
    if r.returncode != 0:
        die(f"compiling the value printer failed:\n{r.stderr}")
    r = run([str(exe)])
    if r.returncode != 0:
        die(f"the value printer failed ({r.returncode}): {r.stderr.strip()}"
            " -- this generator needs an LP64 host (64-bit unsigned long)")
    values = {}
    for line in r.stdout.splitlines():
        name, val = line.split()
        values[name] = int(val)
    missing = set(names) - values.keys()
    if missing:
        die(f"no value printed for {sorted(missing)}")
    return values


def scan(label: str, header: str, prelude: str, cflags: list[str], gcc: str,
         tmp: Path) -> HeaderScan:
    if not os.path.isfile(header):
        die(f"{header} not found ({'libp11-kit-dev' if label == 'p11-kit' else 'libnss3-dev'})")
    res = HeaderScan(label, header)
    src = tmp / f"{label}-pp.c"
    src.write_text(prelude + "\n")
    dm_text, dd_text = preprocess(src, cflags, gcc)
    order = declaration_order(dd_text)
    vendor_section: set[str] = set()
    if label == "nss":
        text = Path(header).read_text(encoding="utf-8", errors="replace")
        at = text.find(NSS_SPECIFIC_MARKER)
        if at >= 0:
            vendor_section = set(re.findall(r"^\s*#\s*define\s+(\w+)", text[at:], re.M))

    candidates: list[Macro] = []
    for name, body, function_like in parse_defines(dm_text):
        fam = family_of(name)
        if fam is None:
            if name.startswith("CK_"):
                res.skipped_ck_other.append(name)
            continue
        idx, file = order.get(name, (1 << 30, "?"))
        if not same_file(file, header):
            res.skipped_other_file.append(name)
            continue
        if any(w in name for w in VENDOR_WORDS) or name in vendor_section:
            res.skipped_vendor.append(name)
            continue
        if function_like:
            res.skipped_function_like.append(name)
            continue
        candidates.append(Macro(name, body, idx, file))
    candidates.sort(key=lambda m: m.order)

    names = [m.name for m in candidates]
    good, bad = probe_integer(names, prelude, cflags, gcc, tmp)
    res.skipped_non_integer = bad
    values = evaluate(good, prelude, cflags, gcc, tmp)
    goodset = set(good)
    for m in candidates:
        if m.name not in goodset:
            continue
        res.constants[m.name] = Constant(m.name, values[m.name], label, m.body, m.order,
                                         family_of(m.name))
        # `#define A B` or `#define A (B)` with B in the same family: A is an alias spelling of B.
        target = re.fullmatch(r"\(?\s*([A-Z_][A-Z0-9_]*)\s*\)?(?:\s*/\*.*\*/)?", m.body)
        if (target and target.group(1) != m.name
                and family_of(target.group(1)) == family_of(m.name)):
            res.name_aliases[m.name] = target.group(1)
    return res


def java_hex(v: int) -> str:
    if v < 0 or v > ULONG_MAX:
        raise ValueError(v)
    return f"0x{v:08X}L" if v <= 0xFFFFFFFF else f"0x{v:016X}L"


def wrap(text: str, width: int) -> list[str]:
    """textwrap.wrap that never breaks inside a Javadoc inline tag such as {@link #a(B, c)}."""
    nbsp = "\u00a0"
    atomic = re.sub(r"\{@[^}]*\}", lambda m: m.group(0).replace(" ", nbsp), text)
    lines = textwrap.wrap(atomic, width=width, break_long_words=False, break_on_hyphens=False)
    return [line.replace(nbsp, " ") for line in lines]


def javadoc(text: str, indent: str = "    ", width: int = 100) -> list[str]:
    one = f"{indent}/** {text} */"
    if len(one) <= width:
        return [one]
    body = wrap(text, width - len(indent) - 3)
    return [f"{indent}/**"] + [f"{indent} * {line}" for line in body] + [f"{indent} */"]


def doc_block(paragraphs: list[str], tags: list[str], indent: str = "    ",
              width: int = 100) -> list[str]:
    """A multi-line Javadoc comment: paragraphs (the 2nd and later get <p>), then block tags."""
    out = [f"{indent}/**"]
    for i, para in enumerate(paragraphs):
        if i:
            out.append(f"{indent} *")
        out += [f"{indent} * {line}" for line in wrap(("<p>" if i else "") + para,
                                                      width - len(indent) - 3)]
    if tags:
        out.append(f"{indent} *")
        for tag in tags:
            lines = wrap(tag, width - len(indent) - 3)
            out.append(f"{indent} * {lines[0]}")
            out += [f"{indent} *     {line}" for line in lines[1:]]
    out.append(f"{indent} */")
    return out


def holder_name(family: str) -> str:
    return "T_" + family.rstrip("_")


def merge(p11: HeaderScan, nss: HeaderScan):
    """Merged, per-family ordered constants plus a report."""
    conflicts = []
    unresolved = []
    nss_only = []
    for name, c in nss.constants.items():
        if name in p11.constants:
            p = p11.constants[name]
            if p.value != c.value:
                winner, why = CONFLICTS.get(name, (None, ""))
                conflicts.append((name, p.value, c.value, winner))
                if winner == "nss":
                    p.note = (f"p11-kit pkcs11.h declares {{@code {p.body}}}, but {why}.")
                    p.value, p.body, p.value_from = c.value, c.body, "nss"
                elif winner == "p11-kit":
                    p.note = (f"NSS pkcs11t.h declares {{@code {c.body}}}; the p11-kit value is"
                              f" used ({why}).")
                else:
                    unresolved.append(f"{name}: p11-kit {p.value:#x}, NSS {c.value:#x}")
        else:
            nss_only.append(c)
    if unresolved:
        die("value conflicts between the headers; review them and add them to CONFLICTS:\n  "
            + "\n  ".join(unresolved))
    p11_only = [c for n, c in p11.constants.items() if n not in nss.constants]

    families: "OrderedDict[str, list[Constant]]" = OrderedDict()
    for c in list(p11.constants.values()) + nss_only:
        families.setdefault(c.family, [])
    for fam in families:
        families[fam] = ([c for c in p11.constants.values() if c.family == fam]
                         + [c for c in nss_only if c.family == fam])

    everything = {c.name: c for cs in families.values() for c in cs}
    aliases = {**p11.name_aliases, **nss.name_aliases}
    for name, target in aliases.items():
        if name in everything and target in everything:
            everything[name].alias_of = target
            src = "NSS pkcs11t.h" if name in nss.name_aliases else "p11-kit pkcs11.h"
            everything[name].alias_reason = f"{src} defines it as {target}"
    problems = []
    for name, target in DEPRECATED.items():
        if name not in everything or target not in everything:
            problems.append(f"DEPRECATED entry {name} -> {target}: name missing from the headers")
            continue
        if everything[name].value != everything[target].value:
            problems.append(f"DEPRECATED entry {name} -> {target}: values differ")
            continue
        if everything[name].alias_of is None:
            everything[name].alias_of = target
            everything[name].alias_reason = "deprecated spelling"
    for c in everything.values():
        if c.alias_of and everything[c.alias_of].family != c.family:
            problems.append(f"alias {c.name} -> {c.alias_of} crosses families")
        if c.alias_of and everything[c.alias_of].alias_of:
            problems.append(f"alias {c.name} -> {c.alias_of} points at another alias")
    return families, conflicts, nss_only, p11_only, problems


def lookup_order(consts: list[Constant]) -> list[Constant]:
    """Declaration order, with deprecated / alias spellings after all preferred ones."""
    return [c for c in consts if not c.alias_of] + [c for c in consts if c.alias_of]


VENDOR_SUFFIX = "VENDOR_DEFINED"


def render_java(families, p11: HeaderScan, nss: HeaderScan, header_note: str) -> str:
    out: list[str] = []
    w = out.append
    w(f"// GENERATED by scripts/generate-constants.py from {p11.header} and {nss.header}"
      " \u2014 do not edit.")
    if header_note:
        w(f"// {header_note}")
    w(f"package {JAVA_PACKAGE};")
    w("")
    w("import java.util.ArrayList;")
    w("import java.util.Collections;")
    w("import java.util.HashMap;")
    w("import java.util.List;")
    w("import java.util.Locale;")
    w("import java.util.Map;")
    w("import java.util.Objects;")
    w("")
    w("/**")
    w(" * Every PKCS#11 constant of the system headers, with its exact C name, and name lookup.")
    w(" *")
    w(" * <p>The constants come from p11-kit's {@code pkcs11.h} (PKCS#11 2.40 plus a few 3.0 names),")
    w(" * completed with the standard PKCS#11 3.0 names that only NSS's {@code pkcs11t.h} declares.")
    w(" * NSS vendor names ({@code *NSS*}, {@code *NETSCAPE*}, {@code pkcs11n.h}) are not included.")
    w(" * Within each family the p11-kit names come first, then the NSS-only additions, each in")
    w(" * header declaration order.")
    w(" *")
    w(" * <p>Values are the LP64 values: each constant holds the 64-bit C {@code unsigned long} value")
    w(" * as a Java {@code long}, so {@code ~0UL} ({@link #CK_UNAVAILABLE_INFORMATION}) is")
    w(" * {@code 0xFFFFFFFFFFFFFFFFL}, that is {@code -1L}. On platforms whose {@code CK_ULONG} is")
    w(" * 4 bytes (Windows, 32-bit systems) the all-ones sentinel is {@code 0xFFFFFFFF} on the wire;")
    w(" * the sys layer maps it, see {@link io.p11j.sys.Abi}. Every other constant fits in 32 bits.")
    w(" *")
    w(" * <p>Families are the name prefixes up to and including the first underscore ({@code \"CKA_\"},")
    w(" * {@code \"CKM_\"}, {@code \"CKR_\"}, ...; {@code CKO_} and a hypothetical {@code CKOTP_} are")
    w(" * distinct families), except for names starting with {@code CK_}: the special values")
    w(" * ({@code CK_UNAVAILABLE_INFORMATION}, {@code CK_EFFECTIVELY_INFINITE},")
    w(" * {@code CK_INVALID_HANDLE}, {@code CK_TRUE}, {@code CK_FALSE}) form family {@code \"CK_\"},")
    para = ("and " + ", ".join("{@code \"" + s + "\"}" for s in CK_SUBFAMILIES)
            + " are families of their own; {@code CRYPTOKI_VERSION_*} is family"
            " {@code \"CRYPTOKI_VERSION_\"}. A family may hold several C enumerations that share"
            " values (all {@code CKF_} flag sets, for example), so a value can have several names:"
            " {@link #names(String, long)} returns all of them, {@link #name(String, long)} the"
            " canonical one, which is the first declared, except that spellings the headers mark as"
            " deprecated or define as an alias of another name (for example"
            " {@link #CKA_ECDSA_PARAMS}, {@link #CKM_ECDSA_KEY_PAIR_GEN}) are never preferred.")
    for line in wrap(para, 96):
        w(" * " + line)
    w(" */")
    w(f"public final class {JAVA_CLASS} {{")
    w("")
    w(f"    private {JAVA_CLASS}() {{")
    w("    }")

    for fam, consts in families.items():
        w("")
        w(f"    // ---- {fam} " + "-" * max(3, 87 - len(fam)))
        shown_nss = False
        for c in consts:
            if c.source == "nss" and not shown_nss:
                shown_nss = True
                if any(x.source == "p11-kit" for x in consts):
                    w("")
                w(f"    // {fam}: standard names declared only in NSS pkcs11t.h")
            where = ("p11-kit pkcs11.h" if (c.value_from or c.source) == "p11-kit"
                     else "NSS pkcs11t.h")
            doc = [f"Defined as {{@code {c.body}}} in {where}."]
            if c.alias_of:
                doc.append(f"Alias of {{@link #{c.alias_of}}} ({c.alias_reason}), which is the"
                           " canonical name of this value.")
            if c.note:
                doc.append(c.note)
            out.extend(javadoc(" ".join(doc)))
            w(f"    public static final long {c.name} = {java_hex(c.value)};")

    # Lookup API.
    w("")
    w("    // ---- name lookup " + "-" * (100 - 24))
    w("")
    w("    /** The families known to the lookup methods, in declaration order. */")
    w("    private static final List<String> PREFIXES = List.of(")
    fams = list(families)
    for i, fam in enumerate(fams):
        w(f"            \"{fam}\"" + ("," if i + 1 < len(fams) else ");"))
    w("")
    w("    /**")
    w("     * The family prefixes accepted by {@link #name(String, long)} and")
    w("     * {@link #names(String, long)}, for example {@code \"CKR_\"}.")
    w("     *")
    w("     * @return the prefixes, in header declaration order (immutable)")
    w("     */")
    w("    public static List<String> prefixes() {")
    w("        return PREFIXES;")
    w("    }")
    w("")
    w("    /**")
    w("     * The canonical name of a value within a family.")
    w("     *")
    w("     * <p>For example {@code name(\"CKR_\", 0xA0)} is {@code \"CKR_PIN_INCORRECT\"}. The")
    w("     * canonical name is the first declared name with that value, preferring spellings that")
    w("     * the headers do not mark as deprecated or alias.")
    w("     *")
    w("     * @param prefix a family prefix such as {@code \"CKR_\"}, see {@link #prefixes()}")
    w("     * @param value the LP64 value")
    w("     * @return the name, or {@code null} if the family has no constant with that value or")
    w("     *     the prefix is not a family")
    w("     */")
    w("    public static String name(String prefix, long value) {")
    w("        Family f = family(prefix);")
    w("        return f == null ? null : f.name(value);")
    w("    }")
    w("")
    w("    /**")
    w("     * All names of a value within a family: aliases, deprecated spellings, and the flags of")
    w("     * different flag sets that share a bit. The canonical name ({@link #name(String, long)})")
    w("     * comes first, then the others in declaration order, deprecated spellings last.")
    w("     *")
    w("     * @param prefix a family prefix such as {@code \"CKA_\"}, see {@link #prefixes()}")
    w("     * @param value the LP64 value")
    w("     * @return the names (immutable), empty if none or if the prefix is not a family")
    w("     */")
    w("    public static List<String> names(String prefix, long value) {")
    w("        Family f = family(prefix);")
    w("        return f == null ? List.of() : f.names(value);")
    w("    }")
    w("")
    w("    /**")
    w("     * A printable name for a value of a family, never {@code null}: the canonical name if")
    w("     * known; otherwise, for a value from the family's {@code *_VENDOR_DEFINED} constant up to")
    w("     * {@code 0xFFFFFFFF}, {@code PREFIX + \"VENDOR_DEFINED+0x\" + hex(value - VENDOR_DEFINED)}")
    w("     * (e.g. {@code \"CKM_VENDOR_DEFINED+0x1234\"}); otherwise {@code PREFIX + \"0x\" + hex}")
    w("     * (e.g. {@code \"CKR_0x1234\"}). Hex digits are upper case.")
    w("     *")
    w("     * @param prefix a family prefix such as {@code \"CKM_\"}, see {@link #prefixes()}")
    w("     * @param value the LP64 value")
    w("     * @return the name or its formatted stand-in")
    w("     */")
    w("    public static String format(String prefix, long value) {")
    w("        Family f = family(prefix);")
    w("        String n = f == null ? null : f.name(value);")
    w("        if (n != null) {")
    w("            return n;")
    w("        }")
    w("        if (f != null && f.hasVendorDefined")
    w("                && Long.compareUnsigned(value, f.vendorDefined) >= 0")
    w("                && Long.compareUnsigned(value, 0xFFFFFFFFL) <= 0) {")
    w("            return prefix + \"VENDOR_DEFINED+0x\" + hex(value - f.vendorDefined);")
    w("        }")
    w("        return prefix + \"0x\" + hex(value);")
    w("    }")
    convenience = [
        ("rvName", "CKR_", "rv", "return value ({@code CK_RV})",
         "rvName(0xA0)} is {@code \"CKR_PIN_INCORRECT\"}"),
        ("mechanismName", "CKM_", "mechanism", "mechanism type ({@code CK_MECHANISM_TYPE})",
         "mechanismName(0x40)} is {@code \"CKM_SHA256_RSA_PKCS\"}"),
        ("attributeName", "CKA_", "attribute", "attribute type ({@code CK_ATTRIBUTE_TYPE})",
         "attributeName(0x11)} is {@code \"CKA_VALUE\"}"),
        ("keyTypeName", "CKK_", "keyType", "key type ({@code CK_KEY_TYPE})",
         "keyTypeName(0x1F)} is {@code \"CKK_AES\"}"),
        ("objectClassName", "CKO_", "objectClass", "object class ({@code CK_OBJECT_CLASS})",
         "objectClassName(3)} is {@code \"CKO_PRIVATE_KEY\"}"),
    ]
    for meth, fam, param, what, example in convenience:
        if fam not in families:
            die(f"family {fam} missing")
        w("")
        out.extend(doc_block(
            [f"The name of {'an' if what[0] in 'aeiou' else 'a'} {what}, never {{@code null}}.",
             f"For example {{@code {example}. An unknown value from {{@link #{fam}VENDOR_DEFINED}}"
             f" up to {{@code 0xFFFFFFFF}} gives {{@code \"{fam}VENDOR_DEFINED+0x...\"}}, any other"
             f" unknown value {{@code \"{fam}0x...\"}}; see {{@link #format(String, long)}}."],
            [f"@param {param} the LP64 value",
             f"@return the canonical {fam} name, or a formatted stand-in"]))
        w(f"    public static String {meth}(long {param}) {{")
        w(f"        return format(\"{fam}\", {param});")
        w("    }")
    w("")
    w("    private static String hex(long v) {")
    w("        return Long.toHexString(v).toUpperCase(Locale.ROOT);")
    w("    }")
    w("")
    w("    private static Family family(String prefix) {")
    w("        Objects.requireNonNull(prefix, \"prefix\");")
    w("        switch (prefix) {")
    for fam in families:
        w(f"            case \"{fam}\":")
        w(f"                return {holder_name(fam)}.FAMILY;")
    w("            default:")
    w("                return null;")
    w("        }")
    w("    }")
    w("")
    w("    /** One family's names and values; its map is built when the family is first used. */")
    w("    private static final class Family {")
    w("        final boolean hasVendorDefined;")
    w("        final long vendorDefined;")
    w("        private final Map<Long, List<String>> byValue;")
    w("")
    w("        Family(String[] names, long[] values, boolean hasVendorDefined, long vendorDefined) {")
    w("            this.hasVendorDefined = hasVendorDefined;")
    w("            this.vendorDefined = vendorDefined;")
    w("            Map<Long, List<String>> m = new HashMap<>(names.length * 2);")
    w("            for (int i = 0; i < names.length; i++) {")
    w("                m.computeIfAbsent(values[i], k -> new ArrayList<>(1)).add(names[i]);")
    w("            }")
    w("            m.replaceAll((k, v) -> Collections.unmodifiableList(v));")
    w("            this.byValue = m;")
    w("        }")
    w("")
    w("        String name(long value) {")
    w("            List<String> l = byValue.get(value);")
    w("            return l == null ? null : l.get(0);")
    w("        }")
    w("")
    w("        List<String> names(long value) {")
    w("            return byValue.getOrDefault(value, List.of());")
    w("        }")
    w("    }")
    w("")
    w("    // One holder class per family keeps every static initializer small and loads a family's")
    w("    // table only when it is first looked up. Arrays are in declaration order, except that")
    w("    // deprecated / alias spellings come after all preferred spellings.")
    for fam, consts in families.items():
        ordered = lookup_order(consts)
        vendor = fam + VENDOR_SUFFIX
        has_vendor = any(c.name == vendor for c in consts)
        w("")
        w(f"    private static final class {holder_name(fam)} {{")
        w("        static final Family FAMILY = new Family(new String[] {")
        for c in ordered:
            w(f"                \"{c.name}\",")
        w("            }, new long[] {")
        for c in ordered:
            w(f"                {c.name},")
        w(f"            }}, {'true' if has_vendor else 'false'}, {vendor if has_vendor else '0L'});")
        w("    }")
    w("}")
    return "\n".join(out) + "\n"


def package_versions() -> str:
    if not shutil.which("dpkg-query"):
        return ""
    parts = []
    for pkg in ("libp11-kit-dev", "libnss3-dev"):
        r = run(["dpkg-query", "-W", "-f", "${Version}", pkg])
        if r.returncode == 0 and r.stdout.strip():
            parts.append(f"{pkg} {r.stdout.strip()}")
    return ("Debian packages: " + ", ".join(parts)) if parts else ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--p11kit", default=DEFAULT_P11KIT, help="p11-kit pkcs11.h (primary)")
    ap.add_argument("--nss", default=DEFAULT_NSS, help="NSS pkcs11t.h (secondary)")
    ap.add_argument("--output", default=str(DEFAULT_OUTPUT), help="Java file to write")
    ap.add_argument("--gcc", default=os.environ.get("CC", "gcc"), help="C compiler (gcc)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the output file differs from what would be generated")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every skipped name")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="p11j-constants-") as td:
        tmp = Path(td)
        p11 = scan("p11-kit", args.p11kit, f'#include "{os.path.abspath(args.p11kit)}"', [],
                   args.gcc, tmp)
        nss = scan("nss", args.nss, f'#include "{os.path.abspath(args.nss)}"', nspr_cflags(),
                   args.gcc, tmp)

    families, conflicts, nss_only, p11_only, problems = merge(p11, nss)
    if problems:
        die("\n  ".join(["inconsistent deprecation data:"] + problems))
    java = render_java(families, p11, nss, package_versions())

    out = Path(args.output)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else None

        def content(text):
            # The packages' versions are a note, not content: a security update of libnss3-dev
            # changes that line without changing a single constant.
            return None if text is None else [l for l in text.splitlines() if not l.startswith("// Debian packages:")]

        if content(current) != content(java):
            print(f"{out} is stale; run python3 scripts/generate-constants.py", file=sys.stderr)
            return 1
        print(f"{out} is up to date")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(java, encoding="utf-8")

    # Summary.
    total = sum(len(v) for v in families.values())
    print(f"wrote {out} ({total} constants; {len(p11.constants)} from {p11.header}, "
          f"{len(nss_only)} NSS-only from {nss.header})")
    print("constants per family (p11-kit + NSS-only = total):")
    for fam, consts in families.items():
        a = sum(1 for c in consts if c.source == "p11-kit")
        b = len(consts) - a
        print(f"  {fam:<26} {a:4d} + {b:4d} = {len(consts):4d}")
    print(f"value conflicts between the headers: {len(conflicts)}")
    for name, pv, nv, winner in conflicts:
        print(f"  {name}: p11-kit {pv} (0x{pv:X}), NSS {nv} (0x{nv:X}) -> {winner} value used")
    for name in CONFLICTS:
        if name not in {c[0] for c in conflicts}:
            print(f"  (CONFLICTS entry {name} no longer conflicts; it can be removed)")
    print(f"names only in p11-kit ({len(p11_only)}): " + " ".join(c.name for c in p11_only))
    print("NSS-only names that re-spell a p11-kit value in the same family (non-flag families):")
    for c in nss_only:
        if c.family == "CKF_":
            continue
        same = [p.name for p in p11.constants.values()
                if p.family == c.family and p.value == c.value]
        if same:
            print(f"  {c.name} = {' = '.join(same)} = 0x{c.value:X}")
    print("non-preferred spellings (canonical name given after the arrow):")
    for consts in families.values():
        for c in consts:
            if c.alias_of:
                print(f"  {c.name} -> {c.alias_of} ({c.alias_reason})")
    for scan_ in (p11, nss):
        print(f"skipped in {scan_.header}: {len(scan_.skipped_vendor)} vendor (NSS/NETSCAPE/NSS-specific section), "
              f"{len(scan_.skipped_other_file)} defined in other files, "
              f"{len(scan_.skipped_function_like)} function-like, "
              f"{len(scan_.skipped_non_integer)} non-integer, "
              f"{len(scan_.skipped_ck_other)} other CK_ macros")
        detail = [("non-integer", scan_.skipped_non_integer),
                  ("function-like", scan_.skipped_function_like),
                  ("other CK_", scan_.skipped_ck_other)]
        if args.verbose:
            detail += [("vendor", scan_.skipped_vendor), ("other files", scan_.skipped_other_file)]
        for what, names in detail:
            if names:
                print(f"  {what}: {' '.join(sorted(names))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
