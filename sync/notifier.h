// Wakes the senders of live streams when new entries are committed.
#ifndef YREB_SYNC_NOTIFIER_H_
#define YREB_SYNC_NOTIFIER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace yreb::sync {

class CommitNotifier {
 public:
  // Records that entries were committed and wakes every waiter.
  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++generation_;
    }
    changed_.notify_all();
  }

  uint64_t generation() const {
    std::lock_guard<std::mutex> lock(mu_);
    return generation_;
  }

  // Waits until the generation passes `seen`, Shutdown is called, or
  // `timeout` elapses. Returns the current generation.
  uint64_t WaitPast(uint64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, timeout, [&] { return generation_ != seen || shutdown_; });
    return generation_;
  }

  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    changed_.notify_all();
  }

  bool shut_down() const {
    std::lock_guard<std::mutex> lock(mu_);
    return shutdown_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  uint64_t generation_ = 0;  // guarded by mu_
  bool shutdown_ = false;    // guarded by mu_
};

}  // namespace yreb::sync

#endif  // YREB_SYNC_NOTIFIER_H_
