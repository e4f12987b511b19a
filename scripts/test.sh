#!/usr/bin/env bash
# Run the whole test suite: install what is needed, build (with AddressSanitizer + UBSan unless
# ZZP_SANITIZE=OFF), then ctest, which prints its summary. Extra arguments go to ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
export ZZP_BUILD_DIR="${ZZP_BUILD_DIR:-$root/build-test}"
# -O1 -g1: what ASan recommends, and it keeps the sanitizer build within CI's time on 2 cores.
# Benchmarks are not built here (they run by hand, see bench/).
export ZZP_BUILD_TYPE="${ZZP_BUILD_TYPE:-Debug}"
"$root/scripts/build.sh" -DZZP_SANITIZE="${ZZP_SANITIZE:-ON}" -DZZP_BUILD_TESTS=ON -DZZP_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DCMAKE_C_FLAGS_DEBUG="-O1 -g1"
# Sanitizer settings: leaks are errors. (No fast_unwind_on_malloc=0: its slow unwinder deadlocks
# against llvmpipe registering JIT frames in the viewer tests.)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$ZZP_BUILD_DIR"
exec ctest --output-on-failure -j"$(nproc)" --timeout 600 "$@"
