// Test support: run yrebctl and start real yreb-node processes on this
// machine. Every wait is bounded; a test that waits too long fails instead of
// hanging.
#ifndef YREB_TESTS_SUPPORT_PROCESS_H_
#define YREB_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace yreb::testing {

// Returns the path of a built binary ("yreb-node", "yrebctl").
std::string BinaryPath(const std::string& name);
// Returns the project's testdata directory.
std::string TestdataDir();

// Creates a fresh directory under $TMPDIR (or /tmp) that is removed when the
// test binary exits, unless YREB_KEEP_TEST_DIRS is set.
std::string MakeTempDir(const std::string& prefix);

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs `args` (args[0] is a path) with `input` on stdin, waits at most
// `timeout`, and captures both outputs. `env` adds or replaces variables.
CommandResult RunCommand(const std::vector<std::string>& args, const std::string& input = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(60),
                         const std::map<std::string, std::string>& env = {});

// Runs yrebctl with --config `config` and the given arguments.
CommandResult Yrebctl(const std::string& config, const std::vector<std::string>& args,
                      const std::string& input = "",
                      std::chrono::milliseconds timeout = std::chrono::seconds(60),
                      const std::map<std::string, std::string>& env = {});

// A yreb-node child process. The destructor kills it with SIGKILL if it
// still runs.
class NodeProcess {
 public:
  NodeProcess() = default;
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;
  ~NodeProcess();

  // Starts yreb-node --config `config` plus `extra_args`, with stderr going to
  // `log_path` (appended). Returns false when the binary cannot start.
  bool Start(const std::string& config, const std::vector<std::string>& extra_args = {},
             const std::string& log_path = "",
             const std::map<std::string, std::string>& env = {});
  // Waits until `yrebctl status` succeeds; false after `timeout` or when the
  // process exited.
  bool WaitReady(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends `signal`; with SIGKILL or SIGTERM, also waits for the exit.
  void Signal(int signal);
  // Sends SIGTERM and waits up to `timeout`; returns the exit status, or -1
  // if it had to be killed.
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // Returns true while the process has not exited.
  bool Running();
  pid_t pid() const { return pid_; }
  const std::string& config() const { return config_; }

 private:
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::string config_;
};

}  // namespace yreb::testing

#endif  // YREB_TESTS_SUPPORT_PROCESS_H_
