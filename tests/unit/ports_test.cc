// The port bands test federations run on.
#include "tests/support/ports.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace yreb::testing {
namespace {

// Binds `port` on 127.0.0.1 and returns the socket, or -1.
int Bind(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(PortBandTest, BandsHeldAtOnceDiffer) {
  PortBand a(11);
  PortBand b(11);
  ASSERT_NE(a.first(), 0);
  ASSERT_NE(b.first(), 0);
  EXPECT_GE(std::abs(a.first() - b.first()), 100);
  // Below the ephemeral range, whose low end is 32768 unless changed.
  int low = 32768, high = 0;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
  EXPECT_LE(a.first() + 11, low);
  EXPECT_GE(a.first(), 10000);
}

TEST(PortBandTest, PortsOfABandAreFree) {
  PortBand band(5);
  ASSERT_NE(band.first(), 0);
  for (int port = band.first(); port < band.first() + 5; ++port) {
    int fd = Bind(port);
    EXPECT_GE(fd, 0) << port;
    if (fd >= 0) ::close(fd);
  }
}

TEST(PortBandTest, BadCountReservesNothing) {
  EXPECT_EQ(PortBand(0).first(), 0);
  EXPECT_EQ(PortBand(101).first(), 0);
}

}  // namespace
}  // namespace yreb::testing
