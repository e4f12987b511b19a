// The console sink's configuration, read from the validated config and range-checked.
#pragma once

#include <cstdint>
#include <zzprobe/plugin.hpp>

namespace zzp::console {

enum class OutputFormat { automatic, table, lines };
enum class OutputStream { standard_output, standard_error };

struct ConsoleSettings {
    int64_t window_ns = 5'000'000'000;
    int64_t refresh_ns = 1'000'000'000;
    OutputFormat format = OutputFormat::automatic;
    OutputStream output = OutputStream::standard_output;
};

// Missing keys keep the defaults above (the same as the schema's). Throws zzp::Error
// (ZZP_E_CONFIG) naming the key and what is accepted.
ConsoleSettings read_console_settings(const zzp::Config& config);

}  // namespace zzp::console
