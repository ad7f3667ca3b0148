#include "tests/support/federation.h"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace yreb::testing {
namespace {

const std::map<std::string, std::string> kEnglish = {{"LANGUAGE", "en"}, {"LC_ALL", "C.UTF-8"}};

}  // namespace

Federation::Federation(const std::vector<uint32_t>& members, uint32_t lead,
                       const std::map<uint32_t, std::string>& peer_config,
                       const std::string& all_peer_config)
    : members_(members), ports_(static_cast<int>(members.size())) {
  root_ = MakeTempDir("federation") + "/fed";
  if (ports_.first() == 0) throw std::runtime_error("no free band of 127.0.0.1 ports");
  std::string list;
  for (uint32_t id : members) list += (list.empty() ? "" : ",") + std::to_string(id);
  CommandResult init = RunCommand(
      {BinaryPath("yrebctl"), "federation", "init", "--members", list, "--lead",
       std::to_string(lead), "--out", root_, "--base-port", std::to_string(ports_.first())},
      "", std::chrono::seconds(60), kEnglish);
  if (init.exit_code != 0) {
    throw std::runtime_error("federation init failed: " + init.out + init.err);
  }
  for (uint32_t id : members) {
    std::ofstream config(Config(id), std::ios::app);
    // [peer] is the last section of the generated config.
    config << "\n" << all_peer_config << "\n";
    if (auto it = peer_config.find(id); it != peer_config.end()) config << it->second << "\n";
    nodes_[id] = std::make_unique<NodeProcess>();
  }
}

Federation::~Federation() {
  for (auto& [id, node] : nodes_) {
    if (node->Running()) node->Stop(std::chrono::seconds(10));
  }
}

int Federation::PeerPort(uint32_t id) const {
  auto it = std::find(members_.begin(), members_.end(), id);
  return ports_.first() + static_cast<int>(it - members_.begin());
}

bool Federation::Start(uint32_t id, const std::vector<std::string>& args) {
  NodeProcess& node = *nodes_.at(id);
  if (!node.Start(Config(id), args, Dir(id) + "/node.log", kEnglish)) return false;
  return node.WaitReady();
}

bool Federation::StartAll(const std::vector<std::string>& args) {
  for (uint32_t id : members_) {
    if (!nodes_.at(id)->Start(Config(id), args, Dir(id) + "/node.log", kEnglish)) return false;
  }
  for (uint32_t id : members_) {
    if (!nodes_.at(id)->WaitReady()) return false;
  }
  // With every member up, each node's start-up majority check passes; wait
  // for it so that tests can write at once.
  for (uint32_t id : members_) {
    if (!WaitStatus(
            id, [](const nlohmann::json& status) { return status["append_allowed"].get<bool>(); },
            std::chrono::seconds(30))) {
      return false;
    }
  }
  return true;
}

void Federation::Stop(uint32_t id) { nodes_.at(id)->Stop(); }

void Federation::Kill(uint32_t id) { nodes_.at(id)->Signal(SIGKILL); }

void Federation::Signal(uint32_t id, int signal) { nodes_.at(id)->Signal(signal); }

bool Federation::Running(uint32_t id) { return nodes_.at(id)->Running(); }

CommandResult Federation::Ctl(uint32_t id, const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout) {
  return Yrebctl(Config(id), args, "", timeout, kEnglish);
}

nlohmann::json Federation::Json(uint32_t id, const std::vector<std::string>& args) {
  std::vector<std::string> full = {"--json"};
  full.insert(full.end(), args.begin(), args.end());
  CommandResult result = Ctl(id, full);
  if (result.exit_code != 0 || result.out.empty()) return nullptr;
  return nlohmann::json::parse(result.out, nullptr, false);
}

std::map<uint32_t, uint64_t> Federation::Vector(uint32_t id) {
  std::map<uint32_t, uint64_t> vector;
  nlohmann::json status = Status(id);
  if (status.is_null()) return vector;
  for (const nlohmann::json& tip : status["version_vector"]) {
    vector[tip["origin"].get<uint32_t>()] = tip["sequence"].get<uint64_t>();
  }
  return vector;
}

bool Federation::WaitConverged(std::chrono::milliseconds timeout, std::vector<uint32_t> ids) {
  if (ids.empty()) {
    for (uint32_t id : members_) {
      if (nodes_.at(id)->Running()) ids.push_back(id);
    }
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool same = true;
    std::map<uint32_t, uint64_t> first;
    for (size_t i = 0; i < ids.size() && same; ++i) {
      nlohmann::json status = Status(ids[i]);
      if (status.is_null() || !status["append_allowed"].get<bool>()) {
        same = false;
        break;
      }
      std::map<uint32_t, uint64_t> vector;
      for (const nlohmann::json& tip : status["version_vector"]) {
        vector[tip["origin"].get<uint32_t>()] = tip["sequence"].get<uint64_t>();
      }
      if (i == 0) {
        first = vector;
        same = !first.empty();
      } else {
        same = vector == first;
      }
    }
    if (same) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool Federation::WaitStatus(uint32_t id,
                            const std::function<bool(const nlohmann::json&)>& predicate,
                            std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    nlohmann::json status = Status(id);
    if (!status.is_null() && predicate(status)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace yreb::testing
