// yrebctl commands for the shared quarterly and annual sets: status against
// the deadline, sealing on the lead, the releases and their verdicts, and
// export as CSV or SDMX-CSV.
#ifndef YREB_CLI_SHARED_COMMANDS_H_
#define YREB_CLI_SHARED_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

namespace yreb::cli {

// Adds "shared" with "status", "seal", "releases", "show" and "export" to
// `app`. Returns a function to call after parsing, as
// RegisterFederationCommands does.
std::function<std::optional<int>()> RegisterSharedCommands(CLI::App& app,
                                                           const std::string& config_path,
                                                           const bool& as_json);

}  // namespace yreb::cli

#endif  // YREB_CLI_SHARED_COMMANDS_H_
