#include "i18n/i18n.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace yreb {
namespace {

// Returns the text of every string literal passed as the first argument of
// Tr(...) in `source`, with adjacent literals joined and escapes decoded.
std::vector<std::string> TrLiterals(const std::string& source) {
  std::vector<std::string> found;
  size_t pos = 0;
  while ((pos = source.find("Tr(", pos)) != std::string::npos) {
    bool identifier_before =
        pos > 0 && (std::isalnum(static_cast<unsigned char>(source[pos - 1])) ||
                    source[pos - 1] == '_');
    pos += 3;
    if (identifier_before) continue;
    std::string text;
    bool any = false;
    while (true) {
      while (pos < source.size() && std::isspace(static_cast<unsigned char>(source[pos]))) ++pos;
      if (pos >= source.size() || source[pos] != '"') break;
      any = true;
      ++pos;
      while (pos < source.size() && source[pos] != '"') {
        if (source[pos] == '\\' && pos + 1 < source.size()) {
          char next = source[pos + 1];
          text.push_back(next == 'n' ? '\n' : next == 't' ? '\t' : next);
          pos += 2;
        } else {
          text.push_back(source[pos++]);
        }
      }
      ++pos;
    }
    if (any) found.push_back(text);
  }
  return found;
}

size_t CountPlaceholders(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '{' && text[i + 1] == '{') {
      ++i;
    } else if (text[i] == '{') {
      ++count;
    }
  }
  return count;
}

TEST(I18nTest, EveryMessageHasAChineseTranslation) {
  std::set<std::string> missing;
  size_t messages = 0;
  std::filesystem::path root(YREB_SOURCE_DIR);
  for (const char* folder : {"cli", "node", "sync", "storage", "crypto", "proto", "catalog",
                             "importers", "common", "federation", "coord", "coordinator", "lead", "ops",
                             "i18n"}) {
    if (!std::filesystem::exists(root / folder)) continue;
    for (const auto& file : std::filesystem::recursive_directory_iterator(root / folder)) {
      std::string extension = file.path().extension().string();
      if (extension != ".cc" && extension != ".h") continue;
      std::ifstream in(file.path());
      std::stringstream buffer;
      buffer << in.rdbuf();
      for (const std::string& msgid : TrLiterals(buffer.str())) {
        ++messages;
        if (!i18n::HasTranslation(msgid)) {
          missing.insert(file.path().filename().string() + ": " + msgid);
        }
      }
    }
  }
  EXPECT_GT(messages, 50u);
  std::string list;
  for (const std::string& item : missing) list += "\n  " + item;
  EXPECT_TRUE(missing.empty()) << missing.size() << " messages lack a zh_CN.po entry:" << list;
}

TEST(I18nTest, TranslationsKeepPlaceholderCount) {
  std::ifstream in(std::string(YREB_SOURCE_DIR) + "/i18n/zh_CN.po");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string po = buffer.str();
  // Every msgid in the catalog translates to text with as many placeholders.
  size_t pos = 0;
  size_t checked = 0;
  while ((pos = po.find("\nmsgid \"", pos)) != std::string::npos) {
    size_t start = pos + 8;
    size_t end = po.find("\"\n", start);
    std::string msgid = po.substr(start, end - start);
    pos = end;
    if (msgid.empty() || msgid.find('\\') != std::string::npos) continue;
    std::string_view translated = i18n::Translate(i18n::Lang::kChinese, msgid);
    EXPECT_EQ(CountPlaceholders(translated), CountPlaceholders(msgid)) << msgid;
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

TEST(I18nTest, ErrnoMessagesInChinese) {
  i18n::ScopedLang chinese(i18n::Lang::kChinese);
  EXPECT_EQ(i18n::ErrnoMessage(ENOENT), "没有那个文件或目录");
  EXPECT_EQ(i18n::ErrnoMessage(ENOSPC), "设备上没有空间");
  EXPECT_EQ(i18n::ErrnoMessage(std::make_error_code(std::errc::permission_denied)), "权限不够");
  EXPECT_EQ(i18n::ErrnoMessage(100000), "错误 100000");
  // The errors of files, disks and sockets that messages show.
  for (int error :
       {EPERM,   ENOENT, EIO,          EACCES,       EEXIST,     ENOTDIR, EISDIR, EINVAL, EMFILE,
        ENOSPC,  EROFS,  ENAMETOOLONG, ENOTEMPTY,    EDQUOT,     EBUSY,   ENOMEM, ELOOP,  EXDEV,
        ETXTBSY, EAGAIN, EADDRINUSE,   ECONNREFUSED, ECONNRESET, EPIPE,   ENXIO}) {
    EXPECT_TRUE(i18n::HasTranslation(strerrordesc_np(error))) << strerrordesc_np(error);
  }
}

TEST(I18nTest, ErrnoMessagesInEnglish) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  EXPECT_EQ(i18n::ErrnoMessage(ENOENT), "No such file or directory");
  EXPECT_EQ(i18n::ErrnoMessage(std::error_code(ENOSPC, std::system_category())),
            "No space left on device");
}

TEST(I18nTest, LanguageFromEnvironment) {
  ::setenv("LANGUAGE", "zh_CN", 1);
  EXPECT_EQ(i18n::LangFromEnvironment(), i18n::Lang::kChinese);
  ::setenv("LANGUAGE", "en_US", 1);
  EXPECT_EQ(i18n::LangFromEnvironment(), i18n::Lang::kEnglish);
  ::unsetenv("LANGUAGE");
  ::setenv("LC_ALL", "zh_CN.UTF-8", 1);
  EXPECT_EQ(i18n::LangFromEnvironment(), i18n::Lang::kChinese);
  ::setenv("LC_ALL", "C.UTF-8", 1);
  EXPECT_EQ(i18n::LangFromEnvironment(), i18n::Lang::kEnglish);
  ::unsetenv("LC_ALL");
}

TEST(I18nTest, ScopedLangSwitchesThisThread) {
  const std::string msgid = "appends: allowed";
  {
    i18n::ScopedLang chinese(i18n::Lang::kChinese);
    EXPECT_NE(i18n::Tr(msgid), msgid);
  }
  {
    i18n::ScopedLang english(i18n::Lang::kEnglish);
    EXPECT_EQ(i18n::Tr(msgid), msgid);
  }
}

}  // namespace
}  // namespace yreb
