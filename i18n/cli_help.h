// Chinese help and usage errors for programs built on CLI11.
//
// CLI11 2.1 writes its own words ("Usage", "Options", "REQUIRED", "Run with
// --help for more information") in English. LocalizeHelp replaces them with
// the catalog's translations when this thread's language is Chinese; the
// option descriptions are already translated at their call sites.
#ifndef YREB_I18N_CLI_HELP_H_
#define YREB_I18N_CLI_HELP_H_

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "i18n/i18n.h"

namespace yreb::i18n {

// A CLI11 formatter that prints the fixed words of help text in Chinese and
// uses full-width colons after headings, as Chinese text does.
class ChineseHelpFormatter : public CLI::Formatter {
 public:
  // REQUIRES: this thread's language is Chinese.
  ChineseHelpFormatter() {
    label("Usage", Tr("Usage"));
    label("OPTIONS", Tr("OPTIONS"));
    label("SUBCOMMAND", Tr("SUBCOMMAND"));
    label("SUBCOMMANDS", Tr("SUBCOMMANDS"));
    label("Positionals", Tr("Positionals"));
    label("REQUIRED", Tr("REQUIRED"));
    label("Env", Tr("Env"));
    label("Needs", Tr("Needs"));
    label("Excludes", Tr("Excludes"));
    label("TEXT", Tr("TEXT"));
    label("INT", Tr("INT"));
    label("UINT", Tr("UINT"));
    options_heading_ = Tr("Options");
    subcommands_heading_ = Tr("Subcommands");
  }

  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string out = CLI::Formatter::make_usage(app, name);
    const std::string ascii_heading = get_label("Usage") + ":" + (name.empty() ? "" : " ");
    if (out.starts_with(ascii_heading)) out.replace(0, ascii_heading.size(), get_label("Usage") + "：");
    return out;
  }

  // Pads the option column by display width: the base class pads by bytes,
  // which misaligns a column holding Chinese labels (3 bytes, 2 columns wide).
  std::string make_option(const CLI::Option* option, bool is_positional) const override {
    std::string name = "  " + make_option_name(option, is_positional) + make_option_opts(option);
    std::string description = make_option_desc(option);
    std::string indent(column_width_, ' ');
    size_t width = DisplayWidth(name);
    std::string out = name;
    if (!description.empty()) {
      out += width >= column_width_ ? "\n" + indent : std::string(column_width_ - width, ' ');
      for (char c : description) {
        out.push_back(c);
        if (c == '\n') out += indent;
      }
    }
    return out + "\n";
  }

  std::string make_group(std::string group, bool is_positional,
                         std::vector<const CLI::Option*> options) const override {
    std::string out = "\n" + (group == "Options" ? options_heading_ : group) + "：\n";
    for (const CLI::Option* option : options) out += make_option(option, is_positional);
    return out;
  }

  std::string make_subcommands(const CLI::App* app, CLI::AppFormatMode mode) const override {
    // The base class prints each subcommand group's name as "\nNAME:\n";
    // only the default group name needs a translation.
    std::string out = CLI::Formatter::make_subcommands(app, mode);
    const std::string english = "\nSubcommands:\n";
    if (size_t at = out.find(english); at != std::string::npos) {
      out.replace(at, english.size(), "\n" + subcommands_heading_ + "：\n");
    }
    return out;
  }

  std::string make_description(const CLI::App* app) const override {
    std::string description = app->get_description();
    if (app->get_required()) description += Tr("(required)");
    size_t min_options = app->get_require_option_min();
    size_t max_options = app->get_require_option_max();
    if (min_options > 0 && max_options == min_options) {
      description += "\n" + Tr("[exactly {} of the following options are required]", min_options);
    } else if (max_options > 0 && min_options > 0) {
      description += "\n" + Tr("[between {} and {} of the following options are required]",
                               min_options, max_options);
    } else if (max_options > 0) {
      description += "\n" + Tr("[at most {} of the following options are allowed]", max_options);
    } else if (min_options > 0) {
      description += "\n" + Tr("[at least {} of the following options are required]", min_options);
    }
    return description.empty() ? std::string() : description + "\n";
  }

 private:
  // Returns the terminal columns of UTF-8 `text`, counting East Asian wide
  // characters (CJK ideographs, full-width forms) as two.
  static size_t DisplayWidth(const std::string& text) {
    size_t width = 0;
    for (size_t i = 0; i < text.size();) {
      unsigned char lead = static_cast<unsigned char>(text[i]);
      size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
      char32_t code = length == 1 ? lead : lead & (0x7F >> length);
      for (size_t k = 1; k < length && i + k < text.size(); ++k) {
        code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
      }
      bool wide = (code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0xA4CF) ||
                  (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF) ||
                  (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60) ||
                  (code >= 0xFFE0 && code <= 0xFFE6);
      width += wide ? 2 : 1;
      i += length;
    }
    return width;
  }

  std::string options_heading_;
  std::string subcommands_heading_;
};

// Returns CLI11's English usage error `message` in this thread's language.
// Messages of CLI11 2.1 that no pattern matches are returned unchanged.
inline std::string TranslateCliError(const std::string& message) {
  if (message == "A subcommand is required") return Tr("a command is required");
  struct Pattern {
    std::regex english;
    std::string (*translate)(const std::smatch& match);
  };
  static const std::vector<Pattern> patterns = [] {
    std::vector<Pattern> list;
    list.push_back({std::regex("^(.+): \\d+ required \\S+ missing$"),
                    [](const std::smatch& m) { return Tr("{} needs a value", m[1].str()); }});
    list.push_back({std::regex("^(.+) is required$"),
                    [](const std::smatch& m) { return Tr("{} is required", m[1].str()); }});
    list.push_back({std::regex("^The following arguments? (?:was|were) not expected: (.+)$"),
                    [](const std::smatch& m) { return Tr("unexpected arguments: {}", m[1].str()); }});
    list.push_back({std::regex("^(.+): (.+) not in \\{(.+)\\}$"), [](const std::smatch& m) {
                      return Tr("{}: invalid value {}; allowed values: {}", m[1].str(),
                                m[2].str(), m[3].str());
                    }});
    list.push_back({std::regex("^Could not convert: (.+) = (.+)$"), [](const std::smatch& m) {
                      return Tr("{}: invalid value {}", m[1].str(), m[2].str());
                    }});
    list.push_back({std::regex("^The value (.+) is not an allowed value for (.+)$"),
                    [](const std::smatch& m) {
                      return Tr("{}: invalid value {}", m[2].str(), m[1].str());
                    }});
    list.push_back({std::regex("^Expected exactly (\\d+) arguments to (.+), got (\\d+)$"),
                    [](const std::smatch& m) {
                      return Tr("{} takes exactly {} arguments, got {}", m[2].str(), m[1].str(),
                                m[3].str());
                    }});
    list.push_back({std::regex("^(.+) requires (.+)$"), [](const std::smatch& m) {
                      return Tr("{} must be used together with {}", m[1].str(), m[2].str());
                    }});
    list.push_back({std::regex("^(.+) excludes (.+)$"), [](const std::smatch& m) {
                      return Tr("{} cannot be used together with {}", m[1].str(), m[2].str());
                    }});
    return list;
  }();
  for (const Pattern& pattern : patterns) {
    std::smatch match;
    if (std::regex_match(message, match, pattern.english)) return pattern.translate(match);
  }
  return message;
}

// Returns the name of the program `app` belongs to, e.g. "yrebctl".
inline std::string ProgramName(const CLI::App* app) {
  while (app->get_parent() != nullptr) app = app->get_parent();
  return app->get_name();
}

// Makes the help of `app` and of the subcommands added to it later Chinese
// when this thread's language is Chinese, and starts every usage error with
// the program's name, as the program's other errors do.
// REQUIRES: called after set_version_flag and before add_subcommand, because
// a subcommand copies its parent's formatter, help flag and failure message
// when it is added.
inline void LocalizeHelp(CLI::App* app) {
  app->failure_message([](const CLI::App* failed, const CLI::Error& error) {
    std::string message = ProgramName(failed) + ": " + TranslateCliError(error.what()) + "\n";
    if (failed->get_help_ptr() != nullptr) {
      message += Tr("Run with {} for more information.", failed->get_help_ptr()->get_name()) + "\n";
    }
    return message;
  });
  if (CurrentLang() != Lang::kChinese) return;
  app->formatter(std::make_shared<ChineseHelpFormatter>());
  if (CLI::Option* help = app->get_help_ptr(); help != nullptr) {
    help->description(Tr("print this help and exit"));
  }
  if (CLI::Option* version = app->get_option_no_throw("--version"); version != nullptr) {
    version->description(Tr("print the version and exit"));
  }
}

// Parses the command line like CLI11_PARSE, but exits with `usage_exit_code`
// on a usage error instead of CLI11's own codes (105 to 109 and others).
// Returns nullopt when the program goes on.
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv,
                                           int usage_exit_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? 0 : usage_exit_code;
  }
  return std::nullopt;
}

}  // namespace yreb::i18n

#endif  // YREB_I18N_CLI_HELP_H_
