// What the viewer pays to open a recording: open every file, answer a whole-span 1000-column
// LOD query per target, and measure time, CPU and resident memory. Run in a fresh process
// (`zzp-bench-recorder --open-only DIR`) so the memory figures are the viewer's, not the
// benchmark's, and after dropping the recording from the page cache for a cold open.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zzp::bench {

// Print one line of figures for opening `dir`; returns 0, or 2 when it cannot be read.
int open_probe(const std::string& dir, const std::string& label);

// Evict the files from the page cache (POSIX_FADV_DONTNEED; they are written and synced) and
// return the share of their pages that is still resident afterwards (0..1), checked with mincore.
double drop_from_page_cache(const std::vector<std::string>& files);

// Run this executable again with `args`; returns its exit status.
int run_self(const std::vector<std::string>& args);

}  // namespace zzp::bench
