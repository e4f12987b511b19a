#!/usr/bin/env bash
# Run the whole test suite: install what is needed, build (with AddressSanitizer + UBSan unless
# ZZP_SANITIZE=OFF), then ctest, which prints its summary. Extra arguments go to ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
export ZZP_BUILD_DIR="${ZZP_BUILD_DIR:-$root/build-test}"
"$root/scripts/build.sh" -DZZP_SANITIZE="${ZZP_SANITIZE:-ON}" -DZZP_BUILD_TESTS=ON
# Sanitizer settings: leaks are errors; plugins are dlclose'd, so keep symbolization working.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$ZZP_BUILD_DIR"
exec ctest --output-on-failure -j"$(nproc)" --timeout 600 "$@"
