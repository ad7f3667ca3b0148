#include "node/watchdog.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace yreb::node {

std::unique_ptr<Watchdog> Watchdog::StartIfEnabled(
    std::function<bool(std::chrono::microseconds interval)> healthy) {
  uint64_t interval_usec = 0;
  int enabled = sd_watchdog_enabled(0, &interval_usec);
  if (enabled < 0) {
    spdlog::warn("watchdog disabled: invalid WATCHDOG_USEC or WATCHDOG_PID (error {})", enabled);
    return nullptr;
  }
  if (enabled == 0 || interval_usec == 0) return nullptr;

  auto interval = std::chrono::microseconds(interval_usec);
  spdlog::info("watchdog enabled: interval={}ms ping_every={}ms", interval.count() / 1000,
               interval.count() / 2000);
  return std::unique_ptr<Watchdog>(new Watchdog(interval, std::move(healthy)));
}

Watchdog::Watchdog(std::chrono::microseconds interval,
                   std::function<bool(std::chrono::microseconds interval)> healthy)
    : interval_(interval), healthy_(std::move(healthy)) {
  thread_ = std::thread([this] { Run(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::Run() {
  const auto period = interval_ / 2;
  bool was_healthy = true;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    bool healthy = healthy_(interval_);
    if (healthy) {
      sd_notify(0, "WATCHDOG=1");
    }
    // Log each change of state once, not every period.
    if (healthy != was_healthy) {
      if (healthy) {
        spdlog::info("watchdog: node healthy again; pings resumed");
      } else {
        spdlog::error("watchdog: node unhealthy; pings stopped, systemd restarts the node "
                      "after {}ms without one",
                      interval_.count() / 1000);
      }
      was_healthy = healthy;
    }
    lock.lock();
    stop_requested_.wait_for(lock, period, [this] { return stopping_; });
  }
}

}  // namespace yreb::node
