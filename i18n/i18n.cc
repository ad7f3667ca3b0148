#include "i18n/i18n.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace yreb::i18n {

// Defined in the file generated from zh_CN.po at build time.
extern const char kChineseCatalogPo[];

namespace {

// Decodes the C escapes PO files use inside quoted strings.
std::string Unescape(std::string_view quoted) {
  std::string out;
  for (size_t i = 0; i < quoted.size(); ++i) {
    char c = quoted[i];
    if (c != '\\' || i + 1 == quoted.size()) {
      out.push_back(c);
      continue;
    }
    char next = quoted[++i];
    switch (next) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      default: out.push_back(next); break;
    }
  }
  return out;
}

// Returns the text between the first and the last double quote of `line`.
std::string QuotedPart(std::string_view line) {
  size_t first = line.find('"');
  size_t last = line.rfind('"');
  if (first == std::string_view::npos || last <= first) return "";
  return Unescape(line.substr(first + 1, last - first - 1));
}

using Catalog = std::unordered_map<std::string, std::string>;

Catalog ParsePo(std::string_view po) {
  Catalog catalog;
  std::string msgid, msgstr;
  std::string* current = nullptr;
  auto flush = [&] {
    if (!msgid.empty() && !msgstr.empty()) catalog[msgid] = msgstr;
    msgid.clear();
    msgstr.clear();
    current = nullptr;
  };

  size_t pos = 0;
  while (pos <= po.size()) {
    size_t end = po.find('\n', pos);
    if (end == std::string_view::npos) end = po.size();
    std::string_view line = po.substr(pos, end - pos);
    pos = end + 1;

    if (line.starts_with("msgid ")) {
      flush();
      msgid = QuotedPart(line);
      current = &msgid;
    } else if (line.starts_with("msgstr ")) {
      msgstr = QuotedPart(line);
      current = &msgstr;
    } else if (line.starts_with("\"") && current != nullptr) {
      *current += QuotedPart(line);
    }
    if (end == po.size()) break;
  }
  flush();
  return catalog;
}

const Catalog& ChineseCatalog() {
  static const Catalog* catalog = new Catalog(ParsePo(kChineseCatalogPo));
  return *catalog;
}

Lang& ThreadLang() {
  static const Lang process_lang = LangFromEnvironment();
  thread_local Lang lang = process_lang;
  return lang;
}

}  // namespace

Lang LangFromEnvironment() {
  for (const char* name : {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    return std::string_view(value).starts_with("zh") ? Lang::kChinese : Lang::kEnglish;
  }
  return Lang::kEnglish;
}

Lang CurrentLang() { return ThreadLang(); }

void SetCurrentLang(Lang lang) { ThreadLang() = lang; }

std::string_view LangCode(Lang lang) { return lang == Lang::kChinese ? "zh" : "en"; }

Lang LangFromCode(std::string_view code) {
  return code.starts_with("zh") ? Lang::kChinese : Lang::kEnglish;
}

std::string_view Translate(Lang lang, std::string_view msgid) {
  if (lang == Lang::kEnglish) return msgid;
  const Catalog& catalog = ChineseCatalog();
  auto it = catalog.find(std::string(msgid));
  return it == catalog.end() ? msgid : std::string_view(it->second);
}

bool HasTranslation(std::string_view msgid) {
  return ChineseCatalog().contains(std::string(msgid));
}

std::string ErrnoMessage(int error) {
  // strerrordesc_np (glibc 2.32 and later) is English whatever the process
  // locale, so it can be looked up in the catalog. It returns null for an
  // unknown value.
  const char* english = strerrordesc_np(error);
  if (english == nullptr) return Tr("error {}", error);
  return std::string(Translate(CurrentLang(), english));
}

std::string ErrnoMessage(const std::error_code& error) {
  if (error.category() == std::generic_category() || error.category() == std::system_category()) {
    return ErrnoMessage(error.value());
  }
  return error.message();
}

}  // namespace yreb::i18n
