// Test support: a Unix datagram socket that plays systemd's side of the
// sd_notify protocol, so tests observe READY=1, WATCHDOG=1 and STOPPING=1
// without systemd.
#ifndef YREB_TESTS_SUPPORT_NOTIFY_SOCKET_H_
#define YREB_TESTS_SUPPORT_NOTIFY_SOCKET_H_

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace yreb::testing {

class NotifySocket {
 public:
  // Binds `path`; point NOTIFY_SOCKET at it.
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
    bound_ = fd_ >= 0 && path.size() < sizeof(address.sun_path) &&
             ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool bound() const { return bound_; }

  // Waits up to `timeout` for an assignment equal to `expected` (e.g.
  // "READY=1"). Every assignment received meanwhile is kept in received().
  bool WaitFor(const std::string& expected, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      timeval wait{static_cast<time_t>(left.count() / 1000000),
                   static_cast<suseconds_t>(left.count() % 1000000)};
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
      char buffer[4096];
      ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) continue;
      // One datagram may carry several newline-separated assignments.
      std::stringstream lines(std::string(buffer, n));
      bool found = false;
      for (std::string line; std::getline(lines, line);) {
        received_.push_back(line);
        if (line == expected) found = true;
      }
      if (found) return true;
    }
    return false;
  }

  const std::vector<std::string>& received() const { return received_; }

  // Returns the assignments received so far on one line, for failure output.
  std::string ReceivedText() const {
    std::string text = "received:";
    for (const std::string& line : received_) text += " " + line;
    return text;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> received_;
};

}  // namespace yreb::testing

#endif  // YREB_TESTS_SUPPORT_NOTIFY_SOCKET_H_
