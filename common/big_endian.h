// Big-endian integers, the byte order of every key and hashed layout in
// yreb-sync (docs/FORMATS.md), so keys sort in numeric order.
#ifndef YREB_COMMON_BIG_ENDIAN_H_
#define YREB_COMMON_BIG_ENDIAN_H_

#include <cstdint>
#include <string>

namespace yreb {

// Appends the low `bytes` bytes of `value`, most significant first.
// REQUIRES: 0 <= bytes <= 8. One append: keys and entries are built of
// several of these, and a push_back per byte showed in import profiles.
inline void PutBigEndian(std::string* out, uint64_t value, int bytes) {
  char buffer[8];
  for (int i = bytes - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  out->append(buffer, bytes);
}

// Reads `bytes` bytes at `in`, most significant first.
inline uint64_t GetBigEndian(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = value << 8 | static_cast<uint8_t>(in[i]);
  return value;
}

}  // namespace yreb

#endif  // YREB_COMMON_BIG_ENDIAN_H_
