#!/usr/bin/env bash
# Runs the whole test suite (the README's test command) and ends with one line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh test || exit 1
log=$(mktemp)
dotnet test Rlhf.Services.sln -c Release --nologo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# dotnet test prints one "Passed!|Failed! - Failed: a, Passed: b, Skipped: c, Total: d" line per test project.
read -r failed passed skipped < <(awk -F'[:,]' '/(Passed|Failed)! +- +Failed:/ {f+=$2; p+=$4; s+=$6} END {print f+0, p+0, s+0}' "$log")
rm -f "$log"
echo
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$rc" -eq 0 ] && [ "$passed" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
exit "$rc"
