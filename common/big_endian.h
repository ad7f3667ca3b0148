// Big-endian integers, the byte order of every key and hashed layout in
// yreb-sync (docs/FORMATS.md), so keys sort in numeric order.
#ifndef YREB_COMMON_BIG_ENDIAN_H_
#define YREB_COMMON_BIG_ENDIAN_H_

#include <cstdint>
#include <string>

namespace yreb {

// Appends the low `bytes` bytes of `value`, most significant first.
inline void PutBigEndian(std::string* out, uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// Reads `bytes` bytes at `in`, most significant first.
inline uint64_t GetBigEndian(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = value << 8 | static_cast<uint8_t>(in[i]);
  return value;
}

}  // namespace yreb

#endif  // YREB_COMMON_BIG_ENDIAN_H_
