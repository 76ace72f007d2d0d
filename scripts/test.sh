#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every test: unit tests (Surefire), integration tests against real SoftHSM2 and NSS softokn tokens and
# the C compiler's structure layouts (Failsafe), then a smoke run of the benchmarks. Installs what the
# tests need when it is missing (apt-get as root; a clear message otherwise).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
p11j_ensure_packages
cd "$P11J_ROOT"
# Generated code must match the headers on this machine.
python3 scripts/generate-constants.py --check
python3 scripts/generate-functions.py --check
python3 scripts/generate-structs.py --check
# The integration tests run on JDK 17 and again on the machine's Temurin 25 (P11J_JDK25_HOME names another).
jdk25="${P11J_JDK25_HOME:-}"
if [ -z "$jdk25" ]; then
  for d in /usr/lib/jvm/temurin-25*; do [ -x "$d/bin/java" ] && jdk25="$d" && break; done
fi
if [ -z "$jdk25" ] || [ ! -x "$jdk25/bin/java" ]; then
  echo "scripts/test.sh: no JDK 25 found (looked at \$P11J_JDK25_HOME and /usr/lib/jvm/temurin-25*);" >&2
  echo "  the integration tests run on JDK 17 and Temurin 25: install one, or point P11J_JDK25_HOME at it" >&2
  exit 1
fi
mvn -B verify -Dp11j.jdk25="$jdk25"
if [ -x scripts/bench.sh ]; then
  scripts/bench.sh --smoke --require-p11j
fi

# One closing line over every test report (unit and integration), for people and CI alike.
python3 - <<'PY'
import glob, xml.etree.ElementTree as ET
# Count <testcase> elements: a class with @Nested classes reports tests="0" on its own file.
passed = failed = skipped = 0
seen = set()
for path in glob.glob("target/surefire-reports/TEST-*.xml") + glob.glob("target/failsafe-reports/TEST-*.xml") + glob.glob("target/failsafe-reports-jdk25/TEST-*.xml"):
    for case in ET.parse(path).getroot().iter("testcase"):
        key = (path.split("/")[1], case.get("classname"), case.get("name"))
        if key in seen:
            continue
        seen.add(key)
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PY
