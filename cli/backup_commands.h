// yrebctl backup (streams a consistent copy of a running node's store into a
// directory) and yrebctl restore (offline: puts a backup in place of the
// stopped node's data directory).
#ifndef YREB_CLI_BACKUP_COMMANDS_H_
#define YREB_CLI_BACKUP_COMMANDS_H_

#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace yreb::cli {

// Adds "backup" and "restore" to `app`. Returns a function to call after
// parsing: it runs the parsed command and returns its exit code, or nullopt
// when neither was parsed. `config_path` and `as_json` are read when the
// function runs.
std::function<std::optional<int>()> RegisterBackupCommands(CLI::App& app,
                                                           const std::string& config_path,
                                                           const bool& as_json);

}  // namespace yreb::cli

#endif  // YREB_CLI_BACKUP_COMMANDS_H_
