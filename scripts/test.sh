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
mvn -B verify
if [ -x scripts/bench.sh ]; then
  scripts/bench.sh --smoke
fi
