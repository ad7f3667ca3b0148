// The systemd service watchdog: while the node is healthy, a thread sends
// WATCHDOG=1 to systemd at half the interval that the unit's WatchdogSec sets.
// When the health check fails, the pings stop and systemd restarts the node
// once the interval runs out.
#ifndef YREB_NODE_WATCHDOG_H_
#define YREB_NODE_WATCHDOG_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace yreb::node {

class Watchdog {
 public:
  // Returns a running watchdog when systemd enabled one for this process
  // (WATCHDOG_USEC set, and WATCHDOG_PID unset or this process), else
  // nullptr. `healthy` runs on the watchdog thread before each ping and
  // receives the watchdog interval; it must be cheap and must not block.
  static std::unique_ptr<Watchdog> StartIfEnabled(
      std::function<bool(std::chrono::microseconds interval)> healthy);

  // Stops the thread; no ping is sent after the destructor returns.
  ~Watchdog();

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  Watchdog(std::chrono::microseconds interval,
           std::function<bool(std::chrono::microseconds interval)> healthy);
  void Run();

  const std::chrono::microseconds interval_;
  const std::function<bool(std::chrono::microseconds interval)> healthy_;

  std::mutex mu_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace yreb::node

#endif  // YREB_NODE_WATCHDOG_H_
