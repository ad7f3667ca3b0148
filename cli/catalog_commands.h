// yrebctl commands for the indicator catalog: its hash, the versions a node
// holds, publishing a version on the lead, and the difference of two.
#ifndef YREB_CLI_CATALOG_COMMANDS_H_
#define YREB_CLI_CATALOG_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

namespace yreb::cli {

// Adds "catalog" with "hash", "show", "publish" and "diff" to `app`. Returns
// a function to call after parsing, as RegisterFederationCommands does.
std::function<std::optional<int>()> RegisterCatalogCommands(CLI::App& app,
                                                            const std::string& config_path,
                                                            const bool& as_json);

}  // namespace yreb::cli

#endif  // YREB_CLI_CATALOG_COMMANDS_H_
