// The stream's shared secret, as the sink and the relay source take it from their config.
#pragma once

#include <memory>
#include <string>
#include <zzprobe/plugin.hpp>

#include "protocol/auth.hpp"

namespace zzp::stream {

// The key in the file named by `secret_file`: none when the key is absent or empty (no
// authentication); a config error naming `secret_file` when the file cannot be used.
inline std::shared_ptr<AuthKey> secret_from_config(const zzp::Config& c) {
    const std::string path = c.has("secret_file") ? c.string("secret_file") : "";
    if (path.empty()) return nullptr;
    try {
        return std::make_shared<AuthKey>(load_secret_file(path));
    } catch (const std::exception& e) {
        throw zzp::config_error("secret_file", e.what());
    }
}

}  // namespace zzp::stream
