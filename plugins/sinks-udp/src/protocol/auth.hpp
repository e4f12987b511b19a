// Datagram authentication for the stream protocol: HMAC-SHA256 (OpenSSL libcrypto) truncated
// to 128 bits, plus a sliding replay window over per-sender counters.
#pragma once

#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace zzp::stream {

constexpr size_t kMacBytes = 16;

// A shared secret ready to sign and verify. Immutable after construction, so one key may be
// used from several threads at once.
class AuthKey {
public:
    // Throws std::invalid_argument when the secret is shorter than kMinSecretBytes.
    explicit AuthKey(std::string_view secret);
    ~AuthKey();
    AuthKey(const AuthKey&) = delete;
    AuthKey& operator=(const AuthKey&) = delete;

    static constexpr size_t kMinSecretBytes = 16;

    // The 16-byte tag over `message`.
    std::string mac(std::string_view message) const;
    // Constant-time comparison of `tag` with the tag of `message`.
    bool verify(std::string_view message, std::string_view tag) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Reads a secret file: its bytes with trailing whitespace (a final newline) removed.
// Throws std::runtime_error with the path and what to do when it cannot be used.
std::string load_secret_file(const std::string& path);

// Accepts each counter value once. Counters start at 1 and mostly increase; values up to
// kWidth below the highest seen are accepted once (reordering), older ones are refused.
class ReplayWindow {
public:
    static constexpr uint64_t kWidth = 1024;
    // True (and remembers it) when `counter` was not seen and is inside the window.
    bool accept(uint64_t counter);
    uint64_t highest() const { return highest_; }

private:
    uint64_t highest_ = 0;
    std::bitset<kWidth> seen_;  // bit (c % kWidth) for counters in (highest_ - kWidth, highest_]
};

// Fill `out` with `n` bytes from the kernel's CSPRNG (getrandom).
void random_bytes(void* out, size_t n);
uint64_t random_u64();

}  // namespace zzp::stream
