#include "auth.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>

namespace zzp::stream {

// Every tag covers this label first, so a tag made for another use of the same secret never
// verifies here.
static constexpr std::string_view kDomainLabel = "zzprobe-stream-v1";

struct AuthKey::Impl {
    EVP_MAC* mac = nullptr;
    EVP_MAC_CTX* keyed = nullptr;  // initialised with the key; duplicated per message
    ~Impl() {
        EVP_MAC_CTX_free(keyed);
        EVP_MAC_free(mac);
    }
};

AuthKey::AuthKey(std::string_view secret) : impl_(std::make_unique<Impl>()) {
    if (secret.size() < kMinSecretBytes)
        throw std::invalid_argument("the shared secret has " + std::to_string(secret.size()) +
                                    " bytes; use at least " + std::to_string(kMinSecretBytes) +
                                    " (e.g. `head -c 32 /dev/urandom | base64 > stream.secret`)");
    impl_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!impl_->mac) throw std::runtime_error("OpenSSL offers no HMAC");
    impl_->keyed = EVP_MAC_CTX_new(impl_->mac);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
    if (!impl_->keyed ||
        !EVP_MAC_init(impl_->keyed, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params) ||
        !EVP_MAC_update(impl_->keyed, reinterpret_cast<const unsigned char*>(kDomainLabel.data()), kDomainLabel.size()))
        throw std::runtime_error("could not initialise HMAC-SHA256");
}

AuthKey::~AuthKey() = default;

std::string AuthKey::mac(std::string_view message) const {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(impl_->keyed);
    if (!ctx) throw std::bad_alloc();
    unsigned char full[EVP_MAX_MD_SIZE];
    size_t len = 0;
    bool ok = EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size()) &&
              EVP_MAC_final(ctx, full, &len, sizeof full);
    EVP_MAC_CTX_free(ctx);
    if (!ok || len < kMacBytes) throw std::runtime_error("HMAC-SHA256 failed");
    return std::string(reinterpret_cast<const char*>(full), kMacBytes);
}

bool AuthKey::verify(std::string_view message, std::string_view tag) const {
    if (tag.size() != kMacBytes) return false;
    std::string expected = mac(message);
    return CRYPTO_memcmp(expected.data(), tag.data(), kMacBytes) == 0;
}

std::string load_secret_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read the secret file '" + path + "': " + std::strerror(errno) +
                                 "; create it (e.g. `head -c 32 /dev/urandom | base64 > " + path +
                                 "; chmod 600 " + path + "`) or remove secret_file");
    std::ostringstream buf;
    buf << in.rdbuf();
    std::string secret = buf.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ' ||
                               secret.back() == '\t'))
        secret.pop_back();
    if (secret.size() < AuthKey::kMinSecretBytes)
        throw std::runtime_error("the secret file '" + path + "' holds " + std::to_string(secret.size()) +
                                 " bytes; it needs at least " + std::to_string(AuthKey::kMinSecretBytes) +
                                 " (e.g. `head -c 32 /dev/urandom | base64 > " + path + "`)");
    return secret;
}

bool ReplayWindow::accept(uint64_t counter) {
    if (counter == 0) return false;
    if (counter > highest_) {
        uint64_t advance = counter - highest_;
        if (advance >= kWidth) {
            seen_.reset();
        } else {
            for (uint64_t c = highest_ + 1; c < counter; ++c) seen_.reset(c % kWidth);
        }
        highest_ = counter;
        seen_.set(counter % kWidth);
        return true;
    }
    if (highest_ - counter >= kWidth) return false;
    if (seen_.test(counter % kWidth)) return false;
    seen_.set(counter % kWidth);
    return true;
}

void random_bytes(void* out, size_t n) {
    auto* p = static_cast<unsigned char*>(out);
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
        }
        p += got;
        n -= static_cast<size_t>(got);
    }
}

uint64_t random_u64() {
    uint64_t v = 0;
    while (v == 0) random_bytes(&v, sizeof v);
    return v;
}

}  // namespace zzp::stream
