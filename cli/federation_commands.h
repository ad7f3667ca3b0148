// yrebctl commands for federation membership: root keys and statements,
// certificates, applying statements on a node, and a local test federation.
#ifndef YREB_CLI_FEDERATION_COMMANDS_H_
#define YREB_CLI_FEDERATION_COMMANDS_H_

#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace yreb::cli {

// Adds "root", "cert", "apply" and "federation" to `app`. Returns a function
// to call after parsing: it runs the parsed command and returns its exit
// code, or nullopt when none of these commands was parsed. `config_path` and
// `as_json` are read when the function runs, so they may be parsed options.
std::function<std::optional<int>()> RegisterFederationCommands(CLI::App& app,
                                                               const std::string& config_path,
                                                               const bool& as_json);

}  // namespace yreb::cli

#endif  // YREB_CLI_FEDERATION_COMMANDS_H_
