// Reading the files an operator names on the command line.
#ifndef YREB_CLI_FILES_H_
#define YREB_CLI_FILES_H_

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/statusor.h"
#include "i18n/i18n.h"

namespace yreb::cli {

// Returns the bytes of `path`. Fails with InvalidArgument for a directory and
// NotFound when the file cannot be read, naming the path and the reason.
inline absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(i18n::Tr("{} is a directory, not a file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(i18n::Tr("cannot read {}: {}", path, i18n::ErrnoMessage(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace yreb::cli

#endif  // YREB_CLI_FILES_H_
