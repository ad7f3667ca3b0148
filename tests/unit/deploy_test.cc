// The shipped production configuration: deploy/node.example.toml must load
// with the paths the systemd unit deploy/yreb-node.service sets up.
#include <gtest/gtest.h>

#include "node/config.h"

namespace yreb {
namespace {

TEST(DeployExampleTest, ExampleConfigLoads) {
  absl::StatusOr<node::Config> config =
      node::LoadConfig(std::string(YREB_SOURCE_DIR) + "/deploy/node.example.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node_id, 320000u);
  EXPECT_EQ(config->data_dir, "/var/lib/yreb-sync/data");
  EXPECT_EQ(config->key_file, "/etc/yreb-sync/node.key");
  EXPECT_EQ(config->public_key_file, "/etc/yreb-sync/node.pub");
  EXPECT_EQ(config->admin_socket, "/run/yreb-sync/admin.sock");
  EXPECT_EQ(config->head_interval, 1024u);
  EXPECT_TRUE(config->sync_writes);
  EXPECT_EQ(config->log_level, "info");
  EXPECT_TRUE(config->federation.enabled);
  EXPECT_EQ(config->federation.root_public_key, "/etc/yreb-sync/root.pub");
  EXPECT_EQ(config->federation.tls_key, "/etc/yreb-sync/tls.key");
  EXPECT_TRUE(config->peer.enabled);
  EXPECT_EQ(config->peer.listen, "0.0.0.0:7301");
}

}  // namespace
}  // namespace yreb
