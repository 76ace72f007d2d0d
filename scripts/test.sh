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
mvn -B verify
if [ -x scripts/bench.sh ]; then
  scripts/bench.sh --smoke --require-p11j
fi

# One closing line over every test report (unit and integration), for people and CI alike.
python3 - <<'PY'
import glob, xml.etree.ElementTree as ET
# Count <testcase> elements: a class with @Nested classes reports tests="0" on its own file.
passed = failed = skipped = 0
seen = set()
for path in glob.glob("target/surefire-reports/TEST-*.xml") + glob.glob("target/failsafe-reports/TEST-*.xml"):
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
