// The node configuration file (TOML), read strictly: an unknown key, a value
// of the wrong type or a missing required key fails with the file, line and
// the fix. Every key is documented in deploy/node.example.toml.
#ifndef YREB_NODE_CONFIG_H_
#define YREB_NODE_CONFIG_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace yreb::node {

struct Config {
  std::string path;        // the file this was read from
  uint32_t node_id = 0;    // GB/T 2260 province code of a member
  std::string data_dir;    // RocksDB directory; absolute after loading
  std::string key_file;    // Ed25519 private key (PEM, mode 0600)
  std::string public_key_file;
  std::string admin_socket;  // Unix socket of the admin API
  std::string log_level = "info";
  uint64_t head_interval = 1024;
  bool sync_writes = true;

  // [federation]: present on every node of a federation. Absent, the node
  // runs alone (single-node mode) and holds no statements.
  struct Federation {
    bool enabled = false;
    std::string root_public_key;  // Ed25519 root public key (PEM); required
    // The federation CA certificate and this node's TLS certificate and key
    // (mode 0600); required with [peer], otherwise all set or all empty.
    std::string ca_cert;
    std::string tls_cert;
    std::string tls_key;
    // Signed manifest applied at start when the node holds no manifest yet;
    // empty when not set.
    std::string manifest;
  } federation;

  // [peer]: the mutual-TLS gRPC port for other members. Absent, the node
  // serves no peer port.
  struct Peer {
    bool enabled = false;
    std::string listen;  // host:port, e.g. "127.0.0.1:7301"
    // Members this node does not dial; their data still arrives by relay.
    std::set<uint32_t> skip_peers;
    // Upper bound of the randomized reconnect backoff, in seconds.
    int max_reconnect_delay_seconds = 30;
    // Entries per second sent to each subscriber; 0 sends as fast as the
    // link takes them.
    uint64_t send_rate_limit = 0;
  } peer;

  // [metrics]: the Prometheus scrape endpoint (HTTP, path /metrics).
  // Absent, the node serves no metrics.
  struct Metrics {
    bool enabled = false;
    std::string listen;  // host:port, e.g. "127.0.0.1:9464"
  } metrics;

  // [status_page]: the HTTP status page and its JSON (/api/status). Absent,
  // the node serves no page.
  struct StatusPage {
    bool enabled = false;
    std::string listen;  // host:port, e.g. "127.0.0.1:8080"
  } status_page;
};

// Reads and checks `path`. Relative paths in the file are resolved against
// the file's own directory.
absl::StatusOr<Config> LoadConfig(const std::string& path);

// Returns the text of a commented node.toml with defaults for `node_id`,
// with paths relative to the file's directory. With `peer_listen` empty the
// [federation] and [peer] sections are present only as comments (single-node
// mode); otherwise they are active, name the files yrebctl federation init
// writes (root.pub, ca.crt, tls.crt, tls.key, manifest.stmt) and listen on
// `peer_listen`.
std::string DefaultConfigText(uint32_t node_id, std::string_view peer_listen = "");

// Returns true when `node_id` is one of the eleven member provinces.
bool IsMemberProvince(uint32_t node_id);
// Returns the Chinese name of a member province, or "" when not a member.
std::string_view MemberProvinceName(uint32_t node_id);

}  // namespace yreb::node

#endif  // YREB_NODE_CONFIG_H_
