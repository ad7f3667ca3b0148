// yrebctl commands for the rotating lead: the epoch chain, planned handover
// and acceptance, members' assignment votes, and the root's emergency
// assignment statement.
#ifndef YREB_CLI_LEAD_COMMANDS_H_
#define YREB_CLI_LEAD_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

namespace yreb::cli {

// Adds "lead" and its subcommands to `app`. Returns a function to call after
// parsing: it runs the parsed command and returns its exit code, or nullopt
// when no lead command was parsed. `config_path` and `as_json` are read when
// the function runs, so they may be parsed options.
std::function<std::optional<int>()> RegisterLeadCommands(CLI::App& app,
                                                         const std::string& config_path,
                                                         const bool& as_json);

}  // namespace yreb::cli

#endif  // YREB_CLI_LEAD_COMMANDS_H_
