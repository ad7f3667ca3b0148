// User-facing text in Chinese and English.
//
// Every message a user reads is written in English at its call site and
// looked up in the Chinese catalog (i18n/zh_CN.po, PO format, compiled into
// the binary) when the language is Chinese. The language is per thread, so a
// server can answer each request in the caller's language.
#ifndef YREB_I18N_I18N_H_
#define YREB_I18N_I18N_H_

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/strings/string_view.h"

// Debian's Abseil 20220623 has its own string_view type (not an alias of
// std::string_view); Status::message() returns it, so fmt must format it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view text, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(text.data(), text.size()),
                                                   ctx);
  }
};

namespace yreb::i18n {

enum class Lang { kEnglish, kChinese };

// Returns kChinese when the first of LANGUAGE, LC_ALL, LC_MESSAGES, LANG that
// is set and not empty starts with "zh"; otherwise kEnglish.
Lang LangFromEnvironment();

// Returns the language of this thread. A thread starts with the language of
// the process environment.
Lang CurrentLang();
void SetCurrentLang(Lang lang);

// Returns "zh" or "en", the form carried in admin-call metadata.
std::string_view LangCode(Lang lang);
Lang LangFromCode(std::string_view code);

// Sets this thread's language for the lifetime of the object.
class ScopedLang {
 public:
  explicit ScopedLang(Lang lang) : saved_(CurrentLang()) { SetCurrentLang(lang); }
  ~ScopedLang() { SetCurrentLang(saved_); }
  ScopedLang(const ScopedLang&) = delete;
  ScopedLang& operator=(const ScopedLang&) = delete;

 private:
  Lang saved_;
};

// Returns the translation of `msgid` for `lang`, or `msgid` itself when the
// language is English or the catalog has no entry.
std::string_view Translate(Lang lang, std::string_view msgid);

// Returns true when the Chinese catalog has an entry for `msgid`.
bool HasTranslation(std::string_view msgid);

// Returns the text of the errno value `error` in this thread's language:
// glibc's English description, or the catalog's translation of it. The
// catalog has the errors of files, disks and sockets that messages show.
std::string ErrnoMessage(int error);
// Returns ErrnoMessage(error.value()) for a system or generic error code,
// as std::filesystem sets, and error.message() for other categories.
std::string ErrnoMessage(const std::error_code& error);

// Formats a message in this thread's language. `msgid` uses fmt's "{}"
// placeholders; the Chinese text must use the same number of placeholders.
template <typename... Args>
std::string Tr(std::string_view msgid, Args&&... args) {
  std::string_view text = Translate(CurrentLang(), msgid);
  if constexpr (sizeof...(Args) == 0) {
    return std::string(text);
  } else {
    return fmt::format(fmt::runtime(text), std::forward<Args>(args)...);
  }
}

}  // namespace yreb::i18n

#endif  // YREB_I18N_I18N_H_
