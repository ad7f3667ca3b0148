// yreb-node: the yreb-sync daemon of one statistics bureau.
#include <malloc.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "i18n/cli_help.h"
#include "i18n/i18n.h"
#include "node/config.h"
#include "node/node.h"

namespace {

using yreb::i18n::Tr;

void SetUpLogging(const std::string& level) {
  // One event per line on stderr, which journald captures with its own
  // timestamps; the level prefix lets journald and grep filter by severity.
  auto logger = spdlog::stderr_logger_mt("yreb-node");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  // Blocks of 1 MiB and more (an import's file, memtable blocks, write
  // batches) are mapped on their own, so freeing one returns it to the
  // system. glibc otherwise raises this threshold as such blocks are freed
  // and then keeps them in its heaps: a node that had imported a few large
  // files held 100 MB more than it used.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  CLI::App app(Tr("yreb-node: the yreb-sync node of one statistics bureau"), "yreb-node");
  std::string config_path;
  yreb::node::StartOptions options;
  app.add_option("--config", config_path, Tr("node configuration file (node.toml)"))->required();
  app.add_flag("--accept-empty-log", options.accept_empty_log,
               Tr("start a new log at sequence 1 although the store is empty and the key exists; "
                  "only for a key that has certainly never written entries"));
  app.add_flag("--skip-majority-check", options.skip_majority_check,
               Tr("append without first asking a majority of members for this node's latest "
                  "entry; only when a majority is unreachable for long and this store is known "
                  "to hold the latest entry"));
  app.add_flag("--accept-restored-log", options.accept_restored_log,
               Tr("allow appends to a store restored from a backup without recovering newer "
                  "entries from peers; only when no entry of this node newer than the backup "
                  "exists anywhere"));
  // Test-only and hidden from --help: see StartOptions::allow_test_entries.
  app.add_flag("--allow-test-entries", options.allow_test_entries)->group("");
  app.set_version_flag("--version", YREB_VERSION);
  yreb::i18n::LocalizeHelp(&app);
  if (std::optional<int> code = yreb::i18n::ParseCommandLine(app, argc, argv, 2)) return *code;

  absl::StatusOr<yreb::node::Config> config = yreb::node::LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << Tr("yreb-node: invalid configuration:") << "\n" << config.status().message()
              << "\n";
    return 2;
  }
  SetUpLogging(config->log_level);

  // Block the stop signals before any thread starts, so only the signal
  // thread below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<yreb::node::Node>> node = yreb::node::Node::Start(*config, options);
  if (!node.ok()) {
    spdlog::critical("start failed: {}", node.status().message());
    std::cerr << Tr("yreb-node: cannot start: {}", node.status().message()) << "\n";
    return 1;
  }

  std::thread signal_thread([&] {
    while (true) {
      int signal_number = 0;
      sigwait(&signals, &signal_number);
      if (signal_number == SIGHUP) {
        spdlog::info("SIGHUP received: reloading skip_peers and the newest stored manifest");
        if (absl::Status status = (*node)->Reload(); !status.ok()) {
          spdlog::error("reload failed, keeping the running configuration: {}", status.message());
        }
        continue;
      }
      spdlog::info("signal received: {}", strsignal(signal_number));
      (*node)->Shutdown();
      return;
    }
  });
  (*node)->Wait();
  signal_thread.join();
  node->reset();
  return 0;
}
