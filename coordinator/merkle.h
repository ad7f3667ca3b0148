// Merkle tree hash of RFC 6962 (Certificate Transparency), section 2.1:
// leaves hashed as SHA-256(0x00 || leaf), inner nodes as
// SHA-256(0x01 || left || right), split at the largest power of two smaller
// than the leaf count; the empty tree is SHA-256 of nothing.
#ifndef YREB_COORDINATOR_MERKLE_H_
#define YREB_COORDINATOR_MERKLE_H_

#include <vector>

#include "crypto/crypto.h"

namespace yreb::coordinator {

// Returns the root over `leaves` in the given order; each leaf's data is its
// 32 bytes.
crypto::Hash MerkleRoot(const std::vector<crypto::Hash>& leaves);

}  // namespace yreb::coordinator

#endif  // YREB_COORDINATOR_MERKLE_H_
