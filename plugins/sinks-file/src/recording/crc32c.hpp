// CRC-32C (Castagnoli), the checksum of every record (docs/FORMAT.md).
#pragma once

#include <cstddef>
#include <cstdint>

namespace zzp::rec {

// Continue a CRC-32C over `size` bytes; start with crc = 0.
uint32_t crc32c(uint32_t crc, const void* data, size_t size);

}  // namespace zzp::rec
