// Rate limit for repeated log lines, so a peer that stays down or keeps
// sending bad ranges produces a few lines a minute, not one per retry.
#ifndef YREB_COMMON_LOG_LIMITER_H_
#define YREB_COMMON_LOG_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace yreb {

class LogLimiter {
 public:
  // Lets through at most `burst` events of each key per `window`.
  LogLimiter(uint64_t burst, std::chrono::steady_clock::duration window)
      : burst_(burst), window_(window) {}

  // Returns true when an event of `key` may be logged now, and sets
  // `*suppressed` to the number of events of `key` dropped since the last one
  // let through.
  bool Allow(std::string_view key, uint64_t* suppressed) {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    State& state = states_[std::string(key)];
    if (now - state.window_start >= window_) {
      state.window_start = now;
      state.allowed = 0;
    }
    if (state.allowed >= burst_) {
      ++state.suppressed;
      return false;
    }
    ++state.allowed;
    *suppressed = state.suppressed;
    state.suppressed = 0;
    return true;
  }

 private:
  struct State {
    std::chrono::steady_clock::time_point window_start{};
    uint64_t allowed = 0;
    uint64_t suppressed = 0;
  };

  const uint64_t burst_;
  const std::chrono::steady_clock::duration window_;
  std::mutex mu_;
  std::map<std::string, State, std::less<>> states_;  // guarded by mu_
};

}  // namespace yreb

#endif  // YREB_COMMON_LOG_LIMITER_H_
