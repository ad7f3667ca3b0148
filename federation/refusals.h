// Peers the peer port refused, kept in memory for the status report: who
// presented what, why, how often and when last.
#ifndef YREB_FEDERATION_REFUSALS_H_
#define YREB_FEDERATION_REFUSALS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace yreb::federation {

struct Refusal {
  std::string common_name;  // as presented; "-" when unreadable
  std::string spki_sha256;  // "-" when unreadable
  std::string reason;
  uint64_t count = 0;
  int64_t last_ms = 0;  // Unix time in milliseconds
};

// Records a refused handshake or call. Thread-safe. Keeps the 32 most
// recently seen (name, reason) pairs.
void RecordRefusal(const std::string& common_name, const std::string& spki_sha256,
                   const std::string& reason);

// Returns the recorded refusals, most recent first.
std::vector<Refusal> RecentRefusals();

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_REFUSALS_H_
