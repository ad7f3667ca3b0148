#include "coordinator/merkle.h"

#include <string>

namespace yreb::coordinator {
namespace {

crypto::Hash Subtree(const std::vector<crypto::Hash>& leaves, size_t begin, size_t end) {
  size_t count = end - begin;
  if (count == 1) {
    std::string data(1, '\x00');
    data.append(crypto::AsBytes(leaves[begin]));
    return crypto::Sha256(data);
  }
  size_t split = 1;
  while (split * 2 < count) split *= 2;
  std::string data(1, '\x01');
  data.append(crypto::AsBytes(Subtree(leaves, begin, begin + split)));
  data.append(crypto::AsBytes(Subtree(leaves, begin + split, end)));
  return crypto::Sha256(data);
}

}  // namespace

crypto::Hash MerkleRoot(const std::vector<crypto::Hash>& leaves) {
  if (leaves.empty()) return crypto::Sha256("");
  return Subtree(leaves, 0, leaves.size());
}

}  // namespace yreb::coordinator
