// What replication needs to know about the federation: who the members are,
// where to reach them, and which key may sign which part of a log. The
// federation module implements it from the newest root-signed manifest.
#ifndef YREB_SYNC_MEMBERSHIP_H_
#define YREB_SYNC_MEMBERSHIP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.h"

namespace yreb::sync {

struct PeerAddress {
  uint32_t node_id = 0;
  std::string address;  // host:port of the member's peer port
};

class Membership {
 public:
  virtual ~Membership() = default;

  // Returns the key allowed to sign heads of `origin` at `sequence`, or
  // nullopt when `origin` is not a member or no key covers that sequence.
  virtual std::optional<crypto::PublicKey> SigningKey(uint32_t origin,
                                                      uint64_t sequence) const = 0;
  // Returns every member's node id, this node included.
  virtual std::vector<uint32_t> Members() const = 0;
  // Returns the members this node dials, without itself.
  virtual std::vector<PeerAddress> Peers() const = 0;
};

// A membership of fixed members and keys, for tests and single-node use.
class StaticMembership : public Membership {
 public:
  struct Member {
    uint32_t node_id = 0;
    std::string address;
    crypto::PublicKey key;
  };
  StaticMembership(uint32_t self, std::vector<Member> members)
      : self_(self), members_(std::move(members)) {}

  std::optional<crypto::PublicKey> SigningKey(uint32_t origin, uint64_t) const override {
    for (const Member& member : members_) {
      if (member.node_id == origin) return member.key;
    }
    return std::nullopt;
  }
  std::vector<uint32_t> Members() const override {
    std::vector<uint32_t> ids;
    for (const Member& member : members_) ids.push_back(member.node_id);
    return ids;
  }
  std::vector<PeerAddress> Peers() const override {
    std::vector<PeerAddress> peers;
    for (const Member& member : members_) {
      if (member.node_id != self_ && !member.address.empty()) {
        peers.push_back({member.node_id, member.address});
      }
    }
    return peers;
  }

 private:
  uint32_t self_;
  std::vector<Member> members_;
};

}  // namespace yreb::sync

#endif  // YREB_SYNC_MEMBERSHIP_H_
