#include "tests/support/ports.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace yreb::testing {
namespace {

constexpr int kBandSize = 100;
constexpr int kLowestPort = 10000;

// Returns the lowest port of the kernel's ephemeral range, or its usual
// default when it cannot be read.
int EphemeralLow() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  if (range >> low >> high && low > kLowestPort + kBandSize) return low;
  return 32768;
}

bool PortFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return free;
}

}  // namespace

PortBand::PortBand(int count) {
  if (count <= 0 || count > kBandSize) return;
  // Shared by every user of the machine's tests, like the directory itself.
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "yreb-test-ports";
  std::error_code error;
  if (std::filesystem::create_directory(dir, error)) ::chmod(dir.c_str(), 01777);

  std::vector<int> bands;
  const int ephemeral_low = EphemeralLow();
  for (int first = kLowestPort; first + kBandSize <= ephemeral_low; first += kBandSize) {
    bands.push_back(first);
  }
  std::mt19937 random(std::random_device{}());
  std::shuffle(bands.begin(), bands.end(), random);
  for (int first : bands) {
    std::string lock = (dir / (std::to_string(first) + ".lock")).string();
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    // Held until the band is given back or the process ends, even by a
    // crash.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      continue;
    }
    bool all_free = true;
    for (int port = first; port < first + count && all_free; ++port) all_free = PortFree(port);
    if (all_free) {
      first_ = first;
      lock_fd_ = fd;
      return;
    }
    ::close(fd);
  }
}

PortBand::~PortBand() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

}  // namespace yreb::testing
