// Exit codes of yrebctl and the error line every command prints.
#ifndef YREB_CLI_EXIT_H_
#define YREB_CLI_EXIT_H_

#include <iostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace yreb::cli {

inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;

// Prints "yrebctl: MESSAGE" on stderr and returns `code`.
inline int Fail(std::string_view message, int code = kExitFailed) {
  std::cerr << "yrebctl: " << message << "\n";
  return code;
}

inline int Fail(const std::string& message, int code = kExitFailed) {
  return Fail(std::string_view(message), code);
}

inline int Fail(const char* message, int code = kExitFailed) {
  return Fail(std::string_view(message), code);
}

inline int Fail(absl::string_view message, int code = kExitFailed) {
  return Fail(std::string_view(message.data(), message.size()), code);
}

inline int Fail(const absl::Status& status, int code = kExitFailed) {
  return Fail(status.message(), code);
}

}  // namespace yreb::cli

#endif  // YREB_CLI_EXIT_H_
