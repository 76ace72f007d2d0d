#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generates src/main/java/io/p11j/sys/Structs.java from the C structure definitions of the system
PKCS#11 headers.

Usage (from anywhere; paths default to the Debian locations):

    python3 scripts/generate-structs.py            # (re)write the Java file, print a summary
    python3 scripts/generate-structs.py --check    # exit 1 if the committed file is stale
    python3 scripts/generate-structs.py --help     # header / output / compiler overrides

Requirements (Debian / Ubuntu): apt-get install gcc libp11-kit-dev libnss3-dev

  * libnss3-dev: /usr/include/nss/pkcs11t.h, the source of every structure (PKCS#11 3.0).
    Structures that pkcs11t.h pulls in from pkcs11n.h (NSS vendor extensions) are not taken, nor
    anything after its "NSS Specific defines" tail, nor any name with NSS / NETSCAPE in it.
  * libp11-kit-dev: /usr/include/p11-kit-1/p11-kit/pkcs11.h (PKCS#11 2.40), which decides what
    is 2.40 and what is 3.0 (see below), and the source of CK_C_INITIALIZE_ARGS.

Python 3.8+ standard library only. The headers are only read, never copied into the repository.

Method: each header is run through `gcc -E` (NSS's with NSPR's include directory), which expands
CK_PTR, CK_CALLBACK_FUNCTION, p11-kit's CRYPTOKI_COMPAT renames and any macro in an array length;
its line markers tell which file each definition comes from. From the preprocessed text the script
parses every typedef (so CK_FLAGS, CK_MECHANISM_TYPE, CK_SP800_108_DKM_LENGTH_METHOD … are
resolved through their typedef chains, never from a hard-coded list) and every
`typedef struct CK_X { … } CK_X;` of pkcs11t.h. Members map to the StructDef kinds:

    CK_BYTE, CK_CHAR, CK_UTF8CHAR, CK_BBOOL (unsigned char)   -> byteMember
    CK_ULONG and every typedef of it (unsigned long)           -> ulong
    any pointer: T *, *_PTR, CK_VOID_PTR, function pointers    -> pointer
    CK_BYTE x[N] (N evaluated)                                 -> bytes(N)
    a nested structure (CK_VERSION, CK_SSL3_RANDOM_DATA …)     -> struct(member, CK_NESTED)

Anything else (a union, a bit-field, an int, an array of non-bytes) stops the generator.
Structures are emitted in header order, a nested structure before its first user.

PKCS#11 version of a structure (StructDef.since): the rule is the header difference -- a structure
p11-kit's 2.40 header declares is 2.40, one that only NSS's 3.0 header declares is 3.0 -- with
the exceptions of P11KIT_LACKS_2_40 below: p11-kit's pkcs11.h is not the OASIS 2.40 header but
p11-kit's own subset, and lacks most 2.40 mechanism parameter structures. Every structure the rule
calls 3.0 must also be listed in NEW_IN_3_0 (the PKCS#11 3.0 specification's list), so that a
structure a later NSS adds is never classified silently: the generator stops and asks.

Special cases: CK_C_INITIALIZE_ARGS is taken from p11-kit (NSS adds a member and renames one);
NSS's CK_GCM_PARAMS_V3 is the standard CK_GCM_PARAMS (see NSS_NAMES); the function lists
CK_FUNCTION_LIST and CK_FUNCTION_LIST_3_0 are not parsed but built from Pkcs11Function by the
template. Every structure both headers declare must have the same members in both.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_NSS = "/usr/include/nss/pkcs11t.h"
DEFAULT_P11KIT = "/usr/include/p11-kit-1/p11-kit/pkcs11.h"
DEFAULT_OUTPUT = REPO / "src/main/java/io/p11j/sys/Structs.java"
VERSION_NOTE = "// Debian packages:"

# Everything pkcs11t.h defines after this comment is NSS's own (it then includes pkcs11n.h).
NSS_SPECIFIC_MARKER = "NSS Specific defines"
VENDOR_WORDS = ("NSS", "NETSCAPE")
STANDARD_NAME = re.compile(r"^CK_[A-Z0-9_]+$")

# NSS spells a standard structure differently. pkcs11t.h declares the PKCS#11 3.0 (and normative
# 2.40 header) CK_GCM_PARAMS as CK_GCM_PARAMS_V3, and pkcs11n.h makes CK_GCM_PARAMS a typedef of it
# (or, with NSS_PCKS11_2_0_COMPAT, of CK_NSS_GCM_PARAMS, the 2.40 document's version without
# ulIvBits). The generator checks that the typedef is there.
NSS_NAMES = {"CK_GCM_PARAMS_V3": "CK_GCM_PARAMS"}

# Taken from p11-kit instead of NSS: NSS's CK_C_INITIALIZE_ARGS has a 7th member and calls the 6th
# LibraryParameters (CreateMutex … flags, LibraryParameters, pReserved); the standard, which
# p11-kit declares, ends with flags, pReserved.
FROM_P11KIT = {"CK_C_INITIALIZE_ARGS"}

# Not parsed: the function lists are built from Pkcs11Function by the template below.
SKIPPED = {"CK_FUNCTION_LIST", "CK_FUNCTION_LIST_3_0"}

# Exceptions to the header-difference rule: PKCS#11 2.40 structures that p11-kit's pkcs11.h does
# not declare. p11-kit 0.24's header is p11-kit's own (derived from GnuPG's), not the OASIS one: it
# declares only the ~20 structures p11-kit itself needs, so every other 2.40 mechanism parameter
# structure is missing from it. All of these are in the OASIS PKCS#11 2.40 pkcs11t.h.
P11KIT_LACKS_2_40 = {
    # The four the layout test has always known about (PKCS#11 2.40 mechanisms).
    "CK_CCM_PARAMS", "CK_RSA_AES_KEY_WRAP_PARAMS", "CK_ECDH_AES_KEY_WRAP_PARAMS",
    "CK_PKCS5_PBKD2_PARAMS",
    # Diffie-Hellman, ECMQV and KEA derivation (2.x).
    "CK_ECDH2_DERIVE_PARAMS", "CK_ECMQV_DERIVE_PARAMS", "CK_X9_42_DH1_DERIVE_PARAMS",
    "CK_X9_42_DH2_DERIVE_PARAMS", "CK_X9_42_MQV_DERIVE_PARAMS", "CK_KEA_DERIVE_PARAMS",
    # RC2, RC5, Skipjack, PBE, key wrap (2.x).
    "CK_RC2_CBC_PARAMS", "CK_RC2_MAC_GENERAL_PARAMS", "CK_RC5_PARAMS", "CK_RC5_CBC_PARAMS",
    "CK_RC5_MAC_GENERAL_PARAMS", "CK_SKIPJACK_PRIVATE_WRAP_PARAMS", "CK_SKIPJACK_RELAYX_PARAMS",
    "CK_PBE_PARAMS", "CK_KEY_WRAP_SET_OAEP_PARAMS",
    # Camellia, ARIA, SEED (2.20 amendments, 2.30).
    "CK_CAMELLIA_CTR_PARAMS", "CK_CAMELLIA_CBC_ENCRYPT_DATA_PARAMS",
    "CK_ARIA_CBC_ENCRYPT_DATA_PARAMS", "CK_SEED_CBC_ENCRYPT_DATA_PARAMS",
    # SSL 3, TLS (TLS 1.2 ones new in 2.40) and WTLS.
    "CK_SSL3_RANDOM_DATA", "CK_SSL3_MASTER_KEY_DERIVE_PARAMS", "CK_SSL3_KEY_MAT_OUT",
    "CK_SSL3_KEY_MAT_PARAMS", "CK_TLS_PRF_PARAMS", "CK_TLS12_MASTER_KEY_DERIVE_PARAMS",
    "CK_TLS12_KEY_MAT_PARAMS", "CK_TLS_KDF_PARAMS", "CK_TLS_MAC_PARAMS", "CK_WTLS_RANDOM_DATA",
    "CK_WTLS_MASTER_KEY_DERIVE_PARAMS", "CK_WTLS_PRF_PARAMS", "CK_WTLS_KEY_MAT_OUT",
    "CK_WTLS_KEY_MAT_PARAMS",
    # CMS signatures, KIP, DSA parameter generation, GOST R 34.10 (2.20 … 2.40).
    "CK_CMS_SIG_PARAMS", "CK_KIP_PARAMS", "CK_DSA_PARAMETER_GEN_PARAM",
    "CK_GOSTR3410_DERIVE_PARAMS", "CK_GOSTR3410_KEY_WRAP_PARAMS",
}

# The structures PKCS#11 3.0 introduced (OASIS PKCS#11 3.0 pkcs11t.h), as far as NSS declares them.
# Not a source of truth but a confirmation: the header-difference rule must reach the same answer.
# (The 3.0 IKE structures, CK_IKE2_PRF_PLUS_DERIVE_PARAMS, CK_IKE_PRF_DERIVE_PARAMS,
# CK_IKE1_PRF_DERIVE_PARAMS and CK_IKE1_EXTENDED_DERIVE_PARAMS, are absent from NSS's pkcs11t.h:
# NSS has vendor versions of them in pkcs11n.h. They cannot be generated from these headers.)
NEW_IN_3_0 = {
    "CK_INTERFACE",
    "CK_GCM_MESSAGE_PARAMS", "CK_CCM_MESSAGE_PARAMS",
    "CK_CHACHA20_PARAMS", "CK_SALSA20_PARAMS", "CK_SALSA20_CHACHA20_POLY1305_PARAMS",
    "CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS",
    "CK_HKDF_PARAMS",
    "CK_PRF_DATA_PARAM", "CK_SP800_108_COUNTER_FORMAT", "CK_SP800_108_DKM_LENGTH_FORMAT",
    "CK_DERIVED_KEY", "CK_SP800_108_KDF_PARAMS", "CK_SP800_108_FEEDBACK_KDF_PARAMS",
    "CK_PKCS5_PBKD2_PARAMS2",
    "CK_EDDSA_PARAMS", "CK_XEDDSA_PARAMS",
    "CK_X3DH_INITIATE_PARAMS", "CK_X3DH_RESPOND_PARAMS",
    "CK_X2RATCHET_INITIALIZE_PARAMS", "CK_X2RATCHET_RESPOND_PARAMS",
}

BYTE_TYPES = {("char",), ("unsigned", "char"), ("signed", "char")}
ULONG_TYPES = {("unsigned", "long"), ("unsigned", "long", "int"), ("long", "unsigned", "int"),
               ("long", "unsigned"), ("long", "int", "unsigned")}


def die(msg: str) -> "NoReturn":  # noqa: F821
    print(f"generate-structs: error: {msg}", file=sys.stderr)
    sys.exit(2)


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, check=False, text=True, capture_output=True, **kw)
    except FileNotFoundError:
        die(f"cannot run {cmd[0]!r}; install gcc (apt-get install gcc)")


def nspr_cflags() -> list:
    if shutil.which("pkg-config"):
        r = run(["pkg-config", "--cflags", "nspr"])
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.split()
    return ["-I/usr/include/nspr"]


def same_file(a: str, b: str) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except OSError:
        return a == b


# ---- the C side ------------------------------------------------------------------------------

@dataclass
class Tok:
    text: str
    file: str
    line: int


TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\f\v]+)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<num>(?:0[xX][0-9A-Fa-f]+|\d+)[uUlL]*)
  | (?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
  | (?P<punct>\.\.\.|->|<<|>>|[{}()\[\];,*=&|~!<>+\-/%^?:.])
""", re.X)


def tokenize(text: str) -> list:
    """The tokens of gcc -E output, each with the file and line it comes from (from line markers)."""
    toks = []
    file, line = "?", 0
    for raw in text.split("\n"):
        m = re.match(r'#\s*(\d+)\s+"((?:\\.|[^"\\])*)"', raw)
        if m:
            file, line = m.group(2), int(m.group(1))
            continue
        if raw.startswith("#"):  # #pragma, #ident: not C declarations
            line += 1
            continue
        pos = 0
        while pos < len(raw):
            m = TOKEN.match(raw, pos)
            if not m:
                die(f"cannot tokenise {file}:{line}: {raw[pos:pos + 40]!r}")
            pos = m.end()
            if m.lastgroup != "ws":
                toks.append(Tok(m.group(0), file, line))
        line += 1
    return toks


def declarations(toks: list) -> list:
    """Top-level declarations: token lists ending at a ';' outside braces and parentheses."""
    out, cur, depth = [], [], 0
    for t in toks:
        cur.append(t)
        if t.text in "{([":
            depth += 1
        elif t.text in "})]":
            depth -= 1
            if depth == 0 and t.text == "}" and cur[0].text not in ("typedef", "struct", "union", "enum"):
                out.append(cur)  # a function body
                cur = []
        elif t.text == ";" and depth == 0:
            out.append(cur)
            cur = []
    return out


def strip_attributes(toks: list) -> list:
    """Drops __attribute__((…)), __extension__, __restrict and friends (system headers only)."""
    out, i = [], 0
    while i < len(toks):
        t = toks[i].text
        if t in ("__attribute__", "__asm__", "__asm", "__declspec"):
            i += 1
            if i < len(toks) and toks[i].text == "(":
                depth = 0
                while i < len(toks):
                    depth += toks[i].text == "("
                    depth -= toks[i].text == ")"
                    i += 1
                    if depth == 0:
                        break
            continue
        if t in ("__extension__", "__restrict", "__restrict__", "restrict", "__inline", "inline",
                 "extern", "static", "const", "volatile", "__const"):
            i += 1
            continue
        out.append(toks[i])
        i += 1
    return out


class ParseError(Exception):
    pass


@dataclass
class CType:
    """A parsed type: base words (('unsigned', 'long') or ('CK_FLAGS',) or ('struct', 'TAG')),
    pointer depth, array lengths (C expressions), whether it is a function type."""
    base: tuple
    pointers: int = 0
    arrays: tuple = ()
    function: bool = False


@dataclass
class Member:
    name: str
    ctype: CType
    where: str


@dataclass
class StructBody:
    tag: str
    members: list
    file: str
    line: int


def split_body(toks: list) -> list:
    """The member declarations between a struct's braces (toks excludes the braces)."""
    out, cur, depth = [], [], 0
    for t in toks:
        if t.text in "{([":
            depth += 1
        elif t.text in "})]":
            depth -= 1
        if t.text == "{":
            raise ParseError("a nested struct or union definition")
        if t.text == ";" and depth == 0:
            out.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        raise ParseError("a member without ';'")
    return out


def parse_declarators(toks: list) -> tuple:
    """(base words, [(name, pointers, arrays, function)]) of `BASE decl, decl …`."""
    words = []
    i = 0
    if i < len(toks) and toks[i].text in ("struct", "union", "enum"):
        if i + 1 >= len(toks) or not re.match(r"[A-Za-z_]", toks[i + 1].text):
            raise ParseError(f"an anonymous {toks[i].text}")
        words = [toks[i].text, toks[i + 1].text]
        i += 2
    else:
        specifiers = {"unsigned", "signed", "char", "short", "int", "long", "float", "double",
                      "void", "_Bool"}
        while i < len(toks) and toks[i].text in specifiers:
            words.append(toks[i].text)
            i += 1
        if not words:
            if i < len(toks) and re.match(r"[A-Za-z_]\w*$", toks[i].text):
                words = [toks[i].text]  # a typedef name
                i += 1
            else:
                raise ParseError("no type")
    decls = []
    rest = toks[i:]
    parts, cur, depth = [], [], 0
    for t in rest:
        if t.text in "([":
            depth += 1
        elif t.text in ")]":
            depth -= 1
        if t.text == "," and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    parts.append(cur)
    for p in parts:
        decls.append(parse_declarator(p))
    return tuple(words), decls


def parse_declarator(toks: list) -> tuple:
    texts = [t.text for t in toks]
    if ":" in texts:
        raise ParseError("a bit-field")
    stars = 0
    i = 0
    while i < len(texts) and texts[i] == "*":
        stars += 1
        i += 1
    if i < len(texts) and texts[i] == "(":
        # ( * NAME ) ( params ) : a function pointer; ( NAME ) ( params ) would be a function type.
        j = i + 1
        inner = 0
        while j < len(texts) and texts[j] == "*":
            inner += 1
            j += 1
        if j + 1 >= len(texts) or texts[j + 1] != ")" or not re.match(r"[A-Za-z_]\w*$", texts[j]):
            raise ParseError("an unsupported declarator: " + " ".join(texts))
        if j + 2 >= len(texts) or texts[j + 2] != "(" or texts[-1] != ")":
            raise ParseError("an unsupported declarator: " + " ".join(texts))
        return texts[j], stars + inner, (), inner == 0
    if i >= len(texts) or not re.match(r"[A-Za-z_]\w*$", texts[i]):
        raise ParseError("no declarator name: " + " ".join(texts))
    name = texts[i]
    i += 1
    arrays = []
    while i < len(texts):
        if texts[i] != "[":
            if texts[i] == "(":
                return name, stars, (), True  # a function declaration
            raise ParseError("an unsupported declarator: " + " ".join(texts))
        j = texts.index("]", i)
        arrays.append(" ".join(texts[i + 1:j]))
        i = j + 1
    return name, stars, tuple(arrays), False


@dataclass
class Header:
    """What one preprocessed header declares."""
    label: str
    path: str
    typedefs: dict        # name -> CType
    structs: dict         # tag -> StructBody (defined in the header file itself)
    other_structs: set    # tags with a body in another file
    order: list           # struct tags of the header file, in definition order


def scan(label: str, path: str, cflags: list, gcc: str, tmp: Path) -> Header:
    if not os.path.isfile(path):
        die(f"{path} not found (apt-get install {'libnss3-dev' if label == 'NSS' else 'libp11-kit-dev'})")
    src = tmp / f"{label}.c"
    src.write_text(f'#include "{os.path.abspath(path)}"\n')
    r = run([gcc, "-E", *cflags, str(src)])
    if r.returncode != 0:
        die(f"gcc -E failed for {path}:\n{r.stderr}")
    nss_tail = None
    if label == "NSS":
        lines = Path(path).read_text(encoding="utf-8", errors="replace").split("\n")
        for n, l in enumerate(lines, 1):
            if NSS_SPECIFIC_MARKER in l:
                nss_tail = n
                break
    h = Header(label, path, {}, {}, set(), [])
    for decl in declarations(tokenize(r.stdout)):
        mine = same_file(decl[0].file, path)
        if mine and nss_tail is not None and decl[0].line >= nss_tail:
            continue  # NSS-specific tail of pkcs11t.h
        try:
            scan_declaration(h, strip_attributes(decl), mine)
        except ParseError as e:
            if mine:
                die(f"{decl[0].file}:{decl[0].line}: cannot parse ({e}): "
                    + " ".join(t.text for t in decl)[:300])
            # System and NSPR headers: only their typedef names matter, and none is used here.
    return h


def scan_declaration(h: Header, decl: list, mine: bool) -> None:
    if decl and decl[-1].text == ";":
        decl = decl[:-1]
    if not decl:
        return
    texts = [t.text for t in decl]
    is_typedef = texts[0] == "typedef"
    body_toks = decl[1:] if is_typedef else decl
    if "{" in texts:
        kw = body_toks[0].text
        if kw not in ("struct", "union", "enum"):
            return  # a function definition
        if kw == "union":
            if mine:
                raise ParseError("a union: StructDef has no unions")
            return
        if kw == "enum":
            if is_typedef and mine:
                raise ParseError("an enum typedef")
            return
        open_at = texts.index("{", 1 if is_typedef else 0)
        close_at = matching(texts, open_at)
        tag = body_toks[1].text if body_toks[1].text != "{" else None
        after = decl[close_at + 1:]
        if tag is None:
            if not is_typedef:
                return
            first = parse_declarators([Tok("int", "", 0)] + after)[1][0]
            tag = "<anonymous " + first[0] + ">"
        if mine:
            members = []
            for m in split_body(decl[open_at + 1:close_at]):
                base, ds = parse_declarators(m)
                for name, ptrs, arrays, fn in ds:
                    members.append(Member(name, CType(base, ptrs, arrays, fn), f"{m[0].file}:{m[0].line}"))
            h.structs[tag] = StructBody(tag, members, decl[open_at].file, decl[open_at].line)
            h.order.append(tag)
        else:
            h.other_structs.add(tag)
        if is_typedef and after:
            for name, ptrs, arrays, fn in parse_declarators([Tok("int", "", 0)] + after)[1]:
                h.typedefs[name] = CType(("struct", tag), ptrs, arrays, fn)
        return
    if not is_typedef:
        return  # a function prototype, a forward declaration, a variable
    base, ds = parse_declarators(body_toks)
    for name, ptrs, arrays, fn in ds:
        h.typedefs[name] = CType(base, ptrs, arrays, fn)


def matching(texts: list, at: int) -> int:
    depth = 0
    for i in range(at, len(texts)):
        depth += texts[i] == "{"
        depth -= texts[i] == "}"
        if depth == 0:
            return i
    raise ParseError("unbalanced braces")


def evaluate(expr: str, where: str) -> int:
    """An integer constant expression of the preprocessed header (an array length)."""
    py = re.sub(r"\b(0[xX][0-9A-Fa-f]+|\d+)[uUlL]+\b", r"\1", expr)
    try:
        tree = ast.parse(py, mode="eval")
    except SyntaxError:
        die(f"{where}: cannot evaluate array length {expr!r}")
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Add, ast.Sub, ast.Mult,
               ast.FloorDiv, ast.Div, ast.LShift, ast.RShift, ast.BitOr, ast.BitAnd, ast.USub, ast.UAdd)
    for node in ast.walk(tree):
        if not isinstance(node, allowed) or (isinstance(node, ast.Constant) and not isinstance(node.value, int)):
            die(f"{where}: cannot evaluate array length {expr!r}")
    tree = ast.fix_missing_locations(_IntDiv().visit(tree))
    return int(eval(compile(tree, "<array length>", "eval"), {"__builtins__": {}}))


class _IntDiv(ast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Div):
            node.op = ast.FloorDiv()
        return node


# ---- C types to StructDef members --------------------------------------------------------------

@dataclass
class JMember:
    name: str
    kind: str          # byte, ulong, pointer, bytes, struct
    count: int = 1
    struct: str = ""   # the nested structure's CK_ name


def resolve(h: Header, ctype: CType, where: str, tag_names: dict, seen=()) -> tuple:
    """(kind, nested tag) of a type: 'pointer', 'byte', 'ulong' or ('struct', tag)."""
    if ctype.pointers:
        return "pointer", None
    if ctype.function:
        die(f"{where}: a function type that is not a pointer")
    if ctype.arrays:
        die(f"{where}: an array typedef")  # handled by the caller for members
    base = ctype.base
    if base[0] == "struct":
        return "struct", base[1]
    if base in BYTE_TYPES:
        return "byte", None
    if base in ULONG_TYPES:
        return "ulong", None
    if len(base) == 1 and base[0] in h.typedefs:
        if base[0] in seen:
            die(f"{where}: typedef cycle through {base[0]}")
        td = h.typedefs[base[0]]
        if td.arrays:
            die(f"{where}: {base[0]} is an array typedef")
        return resolve(h, td, where, tag_names, seen + (base[0],))
    die(f"{where}: type {' '.join(base)} has no StructDef kind (expected a byte, CK_ULONG, pointer, "
        "byte array or structure)")


def java_members(h: Header, body: StructBody, tag_names: dict) -> list:
    out = []
    for m in body.members:
        where = f"{m.where} ({body.tag}.{m.name})"
        elem = CType(m.ctype.base, m.ctype.pointers, (), m.ctype.function)
        kind, tag = resolve(h, elem, where, tag_names)
        if m.ctype.arrays and kind != "pointer":
            if len(m.ctype.arrays) != 1 or kind != "byte":
                die(f"{where}: only one-dimensional byte arrays are supported")
            n = evaluate(m.ctype.arrays[0], where)
            if n <= 0:
                die(f"{where}: array length {n}")
            out.append(JMember(m.name, "bytes", n))
        elif m.ctype.arrays:
            die(f"{where}: an array of pointers")
        elif kind == "struct":
            if tag not in h.structs:
                die(f"{where}: nested struct {tag} is not defined in {h.path}")
            if tag not in tag_names:
                die(f"{where}: nested struct {tag} has no standard CK_ name")
            out.append(JMember(m.name, "struct", struct=tag_names[tag]))
        else:
            out.append(JMember(m.name, kind))
    return out


def ck_names(h: Header) -> dict:
    """tag -> the CK_ typedef name of a structure defined in the header (typedef struct TAG NAME)."""
    names: dict = {}
    for name, td in h.typedefs.items():
        if td.base[0] == "struct" and not td.pointers and not td.arrays and not td.function \
                and td.base[1] in h.structs and STANDARD_NAME.match(name):
            names.setdefault(td.base[1], []).append(name)
    out = {}
    for tag, ns in names.items():
        if tag in ns:
            out[tag] = tag
        elif len(ns) == 1:
            out[tag] = ns[0]
        else:
            die(f"{h.path}: struct {tag} has several CK_ names: {ns}")
    return out


@dataclass
class Struct:
    name: str
    members: list
    since: str
    notes: list
    order: int


def collect(nss: Header, p11: Header) -> tuple:
    nss_names = ck_names(nss)
    p11_names = ck_names(p11)
    p11_declared = {n: t for t, n in p11_names.items()}
    # NSS's own spellings of standard structures.
    for nss_name, std in NSS_NAMES.items():
        td = nss.typedefs.get(std)
        if nss_name not in nss.structs:
            die(f"NSS_NAMES: {nss_name} is not a structure of {nss.path}; review the table")
        if td is None or td.base != ("struct", nss_name) or td.pointers:
            die(f"NSS_NAMES: NSS does not declare typedef struct {nss_name} {std}; review the table")
        nss_names[nss_name] = std
    structs, skipped = [], []
    for i, tag in enumerate(nss.order):
        name = nss_names.get(tag)
        if name is None:
            skipped.append(f"{tag} (no standard CK_ typedef name)")
            continue
        if any(w in name for w in VENDOR_WORDS) or not STANDARD_NAME.match(name):
            skipped.append(f"{name} (vendor name)")
            continue
        if name in SKIPPED:
            skipped.append(f"{name} (built by the template)")
            continue
        body = nss.structs[tag]
        if not body.members:
            skipped.append(f"{name} (no members)")
            continue
        notes = []
        if name != tag:
            notes.append(f"NSS declares it as {{@code {tag}}}.")
        members = java_members(nss, body, nss_names)
        in_p11 = name in p11_declared
        if name in FROM_P11KIT:
            if not in_p11:
                die(f"FROM_P11KIT: {p11.path} does not declare {name}")
            members = java_members(p11, p11.structs[p11_declared[name]], p11_names)
            notes.append("The standard declaration, as in p11-kit's {@code pkcs11.h}: NSS's adds a"
                         " member and calls the sixth {@code LibraryParameters}.")
        elif in_p11:
            theirs = java_members(p11, p11.structs[p11_declared[name]], p11_names)
            if theirs != members:
                die(f"{name} differs between the headers:\n  NSS:     {fmt(members)}\n"
                    f"  p11-kit: {fmt(theirs)}")
        if in_p11:
            if name in P11KIT_LACKS_2_40:
                die(f"P11KIT_LACKS_2_40 lists {name}, which p11-kit declares; remove it")
            since = "2.40"
        elif name in P11KIT_LACKS_2_40:
            since = "2.40"
        else:
            since = "3.0"
            if name not in NEW_IN_3_0:
                die(f"{name} is only in NSS's header, so the rule says PKCS#11 3.0, but NEW_IN_3_0 does"
                    " not list it: add it to NEW_IN_3_0 if it is new in 3.0, to P11KIT_LACKS_2_40 if it"
                    " is a 2.40 structure p11-kit lacks (a later version than 3.0 needs a StructDef"
                    " change first)")
        if since == "2.40" and name in NEW_IN_3_0:
            die(f"{name} is in NEW_IN_3_0 but classified 2.40")
        structs.append(Struct(name, members, since, notes, i))
    names = {s.name for s in structs}
    for table, label in ((P11KIT_LACKS_2_40, "P11KIT_LACKS_2_40"), (NEW_IN_3_0, "NEW_IN_3_0"),
                         (FROM_P11KIT, "FROM_P11KIT")):
        stale = sorted(table - names)
        if stale:
            die(f"{label} names structures NSS does not declare: {stale}")
    p11_only = sorted(set(p11_declared) - names - SKIPPED)
    if p11_only:
        die(f"structures only p11-kit declares (not generated): {p11_only}")
    return order_nested_first(structs), skipped


def fmt(members: list) -> str:
    return ", ".join(f"{m.kind} {m.name}" + (f"[{m.count}]" if m.kind == "bytes" else "")
                     + (f" ({m.struct})" if m.struct else "") for m in members)


def order_nested_first(structs: list) -> list:
    """Header order, except that a nested structure comes before the first structure using it."""
    by_name = {s.name: s for s in structs}
    out, done, active = [], set(), set()

    def visit(s: Struct):
        if s.name in done:
            return
        if s.name in active:
            die(f"{s.name} contains itself")
        active.add(s.name)
        for m in s.members:
            if m.kind == "struct":
                if m.struct not in by_name:
                    die(f"{s.name}.{m.name}: nested {m.struct} is not generated")
                visit(by_name[m.struct])
        active.discard(s.name)
        done.add(s.name)
        out.append(s)

    for s in sorted(structs, key=lambda s: s.order):
        visit(s)
    return out


# ---- Java --------------------------------------------------------------------------------------

CLASS_DOC = """\
/**
 * Every PKCS#11 structure the bindings use: those the functions take, those that carry mechanism
 * parameters, and the function lists themselves. Member names are the C names (PKCS#11 standard
 * spelling), so {@code offsetof} in C and {@link StructLayout#field(String)} in Java name the same
 * thing. The layout test compares every entry of {@link #all()} with the C compiler.
 *
 * <p>Generated from the C definitions of NSS's {@code pkcs11t.h} (PKCS#11 3.0): every standard
 * structure it declares, in its order, except the NSS vendor ones. {@link StructDef#since()} is
 * {@code "3.0"} for the structures PKCS#11 3.0 introduced, {@code "2.40"} for the others.
 */"""

TEMPLATE_TAIL = """\
    // ---- function lists ----

    /** The 2.x function list: a version, then 68 function pointers. */
    public static final StructDef CK_FUNCTION_LIST = functionList("CK_FUNCTION_LIST", Pkcs11Function.COUNT_V2, false);

    /** The 3.0 function list: the 2.x list followed by 24 more function pointers. */
    public static final StructDef CK_FUNCTION_LIST_3_0 =
            functionList("CK_FUNCTION_LIST_3_0", Pkcs11Function.COUNT_V3_0, true);

    private static StructDef functionList(String name, int count, boolean v30) {
        StructDef.Builder b = (v30 ? struct30(name) : struct(name)).struct("version", CK_VERSION);
        Pkcs11Function[] all = Pkcs11Function.values();
        for (int i = 0; i < count; i++) {
            b.pointer(all[i].name());
        }
        return b.build();
    }
"""

WIDTH = 110      # code lines
DOC_WIDTH = 100  # comment lines


def member_call(m: JMember) -> str:
    if m.kind == "byte":
        return f'.byteMember("{m.name}")'
    if m.kind == "ulong":
        return f'.ulong("{m.name}")'
    if m.kind == "pointer":
        return f'.pointer("{m.name}")'
    if m.kind == "bytes":
        return f'.bytes("{m.name}", {m.count})'
    return f'.struct("{m.name}", {m.struct})'


def wrap(text: str, width: int) -> list:
    """textwrap.wrap that never breaks inside a Javadoc inline tag such as {@code A B}."""
    nbsp = "\u00a0"
    atomic = re.sub(r"\{@[^}]*\}", lambda m: m.group(0).replace(" ", nbsp), text)
    lines = textwrap.wrap(atomic, width=width, break_long_words=False, break_on_hyphens=False)
    return [line.replace(nbsp, " ") for line in lines]


def render_struct(s: Struct) -> list:
    out = []
    doc = (f"{{@code {s.name}}}, " + ("new in PKCS#11 3.0." if s.since == "3.0" else "PKCS#11 2.40 or earlier.")
           + "".join(" " + n for n in s.notes))
    one = f"    /** {doc} */"
    if len(one) <= DOC_WIDTH:
        out.append(one)
    else:
        out.append("    /**")
        out += ["     * " + l for l in wrap(doc, DOC_WIDTH - 7)]
        out.append("     */")
    ctor = "struct30" if s.since == "3.0" else "struct"
    head = f'    public static final StructDef {s.name} = {ctor}("{s.name}")'
    indent = " " * 12
    if len(head) > WIDTH:
        out.append(f"    public static final StructDef {s.name} =")
        head = f'{indent}{ctor}("{s.name}")'
        indent = " " * 20
    out.append(head)
    line = indent
    for c in [member_call(m) for m in s.members] + [".build();"]:
        if line.strip() and len(line) + len(c) > WIDTH:
            out.append(line)
            line = indent
        line += c
    out.append(line)
    return out


def render(structs: list, nss_path: str, p11_path: str, note: str) -> str:
    w = []
    w.append("// SPDX-License-Identifier: Apache-2.0")
    w.append(f"// GENERATED by scripts/generate-structs.py from {nss_path} and {p11_path} \u2014 do not edit.")
    if note:
        w.append(f"{VERSION_NOTE} {note}")
    w += ["package io.p11j.sys;", "", "import java.util.List;", "",
          "import static io.p11j.sys.StructDef.struct;", "import static io.p11j.sys.StructDef.struct30;", ""]
    w.append(CLASS_DOC)
    w += ["public final class Structs {", "", "    private Structs() {", "    }", ""]
    split = next((i for i, s in enumerate(structs) if s.name == "CK_C_INITIALIZE_ARGS"), -1)
    for i, s in enumerate(structs):
        if i == 0:
            w += ["    // ---- general ----", ""]
        if i == split + 1:
            w += ["    // ---- mechanism parameters ----", ""]
        w += render_struct(s)
        w.append("")
    w += TEMPLATE_TAIL.split("\n")
    names = [s.name for s in structs] + ["CK_FUNCTION_LIST", "CK_FUNCTION_LIST_3_0"]
    w.append("    private static final List<StructDef> ALL = List.of(")
    line = " " * 12
    for i, n in enumerate(names):
        item = n + (");" if i == len(names) - 1 else ",")
        if len(line) + len(item) + 1 > WIDTH and line.strip():
            w.append(line.rstrip())
            line = " " * 12
        line += item + " "
    w.append(line.rstrip())
    w += ["", "    /** Every structure declared here. */", "    public static List<StructDef> all() {",
          "        return ALL;", "    }", "}"]
    return "\n".join(w) + "\n"


def package_versions() -> str:
    if not shutil.which("dpkg-query"):
        return ""
    parts = []
    for pkg in ("libnss3-dev", "libp11-kit-dev"):
        r = run(["dpkg-query", "-W", "-f", "${Version}", pkg])
        if r.returncode == 0 and r.stdout.strip():
            parts.append(f"{pkg} {r.stdout.strip()}")
    return ", ".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nss", default=DEFAULT_NSS, help="NSS pkcs11t.h (every structure, PKCS#11 3.0)")
    ap.add_argument("--p11kit", default=DEFAULT_P11KIT, help="p11-kit pkcs11.h (the 2.40 set)")
    ap.add_argument("--output", default=str(DEFAULT_OUTPUT), help="Java file to write")
    ap.add_argument("--gcc", default=os.environ.get("CC", "gcc"), help="C compiler (gcc)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the output file differs from what would be generated")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="p11j-structs-") as td:
        tmp = Path(td)
        nss = scan("NSS", args.nss, [*nspr_cflags(), "-DNO_NSPR_10_SUPPORT"], args.gcc, tmp)
        p11 = scan("p11-kit", args.p11kit, [], args.gcc, tmp)
    structs, skipped = collect(nss, p11)
    java = render(structs, args.nss, args.p11kit, package_versions())

    out = Path(args.output)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else None

        def content(text):
            # The packages' versions are a note, not content.
            return None if text is None else [l for l in text.splitlines() if not l.startswith(VERSION_NOTE)]

        if content(current) != content(java):
            print(f"{out} is stale; run python3 scripts/generate-structs.py", file=sys.stderr)
            return 1
        print(f"{out} is up to date ({len(structs)} structures + 2 function lists)")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(java, encoding="utf-8")
    v30 = [s.name for s in structs if s.since == "3.0"]
    v240 = [s.name for s in structs if s.since == "2.40"]
    print(f"wrote {out}: {len(structs)} structures from {args.nss} + CK_FUNCTION_LIST, CK_FUNCTION_LIST_3_0")
    print(f"  PKCS#11 2.40 ({len(v240)}): " + " ".join(v240))
    print(f"  PKCS#11 3.0 ({len(v30)}): " + " ".join(v30))
    if skipped:
        print(f"  skipped ({len(skipped)}): " + "; ".join(skipped))
    vendor = sorted(t for t in nss.other_structs if t.startswith("CK_"))
    print(f"  not taken: {len(vendor)} NSS vendor structures of pkcs11n.h ({', '.join(vendor)})")
    print(f"  2.40 by the header difference (in p11-kit too): {sum(1 for s in structs if s.since == '2.40') - len(P11KIT_LACKS_2_40)}"
          f"; 2.40 by P11KIT_LACKS_2_40: {len(P11KIT_LACKS_2_40)}; 3.0 (NSS only, confirmed by NEW_IN_3_0): {len(v30)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
