// Test support: bands of free 127.0.0.1 ports that no other test process
// on the machine uses at the same time.
#ifndef YREB_TESTS_SUPPORT_PORTS_H_
#define YREB_TESTS_SUPPORT_PORTS_H_

namespace yreb::testing {

// A band of consecutive ports, held until destroyed. Test processes
// running at once coordinate through lock files in the temporary
// directory, so two of them never get the same band, and every port of a
// band was free when it was reserved. Bands lie below the kernel's
// ephemeral port range, from which outgoing connections take their local
// ports, so a connection cannot occupy a port between its check and its use.
class PortBand {
 public:
  // Reserves `count` (at most 100) ports. first() is 0 when no band was
  // free after a bounded number of attempts.
  explicit PortBand(int count);
  ~PortBand();
  PortBand(const PortBand&) = delete;
  PortBand& operator=(const PortBand&) = delete;

  int first() const { return first_; }

 private:
  int first_ = 0;
  int lock_fd_ = -1;
};

}  // namespace yreb::testing

#endif  // YREB_TESTS_SUPPORT_PORTS_H_
