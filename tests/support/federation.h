// Test support: a local federation made by `yrebctl federation init`, with
// real yreb-node processes on a band of free 127.0.0.1 ports.
#ifndef YREB_TESTS_SUPPORT_FEDERATION_H_
#define YREB_TESTS_SUPPORT_FEDERATION_H_

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/ports.h"
#include "tests/support/process.h"

namespace yreb::testing {

class Federation {
 public:
  // Creates the federation; `peer_config` adds lines to a member's [peer]
  // section (e.g. "skip_peers = [310000]"), `all_peer_config` to every one.
  Federation(const std::vector<uint32_t>& members, uint32_t lead,
             const std::map<uint32_t, std::string>& peer_config = {},
             const std::string& all_peer_config = "max_reconnect_delay = 1");
  ~Federation();

  bool Start(uint32_t id, const std::vector<std::string>& args = {});
  // Starts every member with `args` and waits until each accepts appends.
  bool StartAll(const std::vector<std::string>& args = {});
  void Stop(uint32_t id);
  void Kill(uint32_t id);
  // Sends `signal` to the node's process, e.g. SIGHUP to reload.
  void Signal(uint32_t id, int signal);
  bool Running(uint32_t id);

  std::string Dir(uint32_t id) const { return root_ + "/" + std::to_string(id); }
  std::string Config(uint32_t id) const { return Dir(id) + "/node.toml"; }
  const std::string& root() const { return root_; }
  const std::vector<uint32_t>& members() const { return members_; }
  int PeerPort(uint32_t id) const;

  CommandResult Ctl(uint32_t id, const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Runs `yrebctl --json ARGS` and parses the output; null on failure.
  nlohmann::json Json(uint32_t id, const std::vector<std::string>& args);
  nlohmann::json Status(uint32_t id) { return Json(id, {"status"}); }
  // Returns the version vector as origin -> sequence.
  std::map<uint32_t, uint64_t> Vector(uint32_t id);

  // Waits until every node in `ids` (default: all running) reports the same
  // non-empty version vector and accepts appends.
  bool WaitConverged(std::chrono::milliseconds timeout = std::chrono::seconds(60),
                     std::vector<uint32_t> ids = {});
  // Waits until `predicate(status)` holds for node `id`.
  bool WaitStatus(uint32_t id, const std::function<bool(const nlohmann::json&)>& predicate,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  std::vector<uint32_t> members_;
  std::string root_;
  PortBand ports_;
  std::map<uint32_t, std::unique_ptr<NodeProcess>> nodes_;
};

}  // namespace yreb::testing

#endif  // YREB_TESTS_SUPPORT_FEDERATION_H_
