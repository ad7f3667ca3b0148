#include "federation/refusals.h"

#include <algorithm>
#include <chrono>
#include <mutex>

namespace yreb::federation {
namespace {

constexpr size_t kMaxRefusals = 32;

std::mutex& Mutex() {
  static auto* mu = new std::mutex();
  return *mu;
}

std::vector<Refusal>& Refusals() {
  static auto* refusals = new std::vector<Refusal>();  // guarded by Mutex()
  return *refusals;
}

}  // namespace

void RecordRefusal(const std::string& common_name, const std::string& spki_sha256,
                   const std::string& reason) {
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::lock_guard<std::mutex> lock(Mutex());
  std::vector<Refusal>& refusals = Refusals();
  auto it = std::find_if(refusals.begin(), refusals.end(), [&](const Refusal& refusal) {
    return refusal.common_name == common_name && refusal.reason == reason;
  });
  if (it == refusals.end()) {
    if (refusals.size() == kMaxRefusals) {
      refusals.erase(std::min_element(refusals.begin(), refusals.end(),
                                      [](const Refusal& a, const Refusal& b) {
                                        return a.last_ms < b.last_ms;
                                      }));
    }
    refusals.push_back({common_name, spki_sha256, reason, 0, 0});
    it = refusals.end() - 1;
  }
  ++it->count;
  it->last_ms = now;
  if (spki_sha256 != "-") it->spki_sha256 = spki_sha256;
}

std::vector<Refusal> RecentRefusals() {
  std::lock_guard<std::mutex> lock(Mutex());
  std::vector<Refusal> copy = Refusals();
  std::sort(copy.begin(), copy.end(),
            [](const Refusal& a, const Refusal& b) { return a.last_ms > b.last_ms; });
  return copy;
}

}  // namespace yreb::federation
