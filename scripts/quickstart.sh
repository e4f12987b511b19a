#!/usr/bin/env bash
# Quick start: install what is needed, build, and run the main job with the default pipeline
# (ICMP echo to 127.0.0.1 and ::1, a recording under ./recordings, a live console summary).
# Stops on Ctrl-C; `--duration 30s` (or any zzprobe run option) is passed through.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
cd "$root"
exec "${ZZP_BUILD_DIR:-$root/build}/bin/zzprobe" run -c "$root/configs/default.toml" "$@"
