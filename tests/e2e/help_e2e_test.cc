// The help of yrebctl and yreb-node in the user's language, including the
// words CLI11 itself prints ("Usage", "Options", "REQUIRED").
#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace yreb {
namespace {

using testing::CommandResult;

const std::map<std::string, std::string> kChinese = {{"LANGUAGE", "zh_CN"},
                                                     {"LC_ALL", "C.UTF-8"}};
const std::map<std::string, std::string> kEnglish = {{"LANGUAGE", "en"}, {"LC_ALL", "C.UTF-8"}};

CommandResult Help(const std::string& binary, const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env) {
  std::vector<std::string> command = {testing::BinaryPath(binary)};
  command.insert(command.end(), args.begin(), args.end());
  return testing::RunCommand(command, "", std::chrono::seconds(20), env);
}

TEST(HelpE2eTest, YrebctlHelpIsChineseUnderChineseLocale) {
  CommandResult help = Help("yrebctl", {"--help"}, kChinese);
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("用法：yrebctl [选项] 子命令"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("\n选项：\n"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("\n子命令：\n"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("显示本帮助并退出"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("显示节点状态和版本向量"), std::string::npos) << help.out;
  for (const char* english : {"Usage", "Options", "Subcommands", "OPTIONS", "SUBCOMMAND",
                              "Print this help", "TEXT"}) {
    EXPECT_EQ(help.out.find(english), std::string::npos) << english << " in:\n" << help.out;
  }
}

TEST(HelpE2eTest, SubcommandHelpIsChinese) {
  CommandResult help = Help("yrebctl", {"import", "--help"}, kChinese);
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("用法：yrebctl import [选项] file"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("位置参数："), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("file 文本 必填"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find("REQUIRED"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find("Positionals"), std::string::npos) << help.out;
}

TEST(HelpE2eTest, ChineseColumnsLineUp) {
  // Every option description starts in the same terminal column, although
  // "文本" takes 6 bytes but 4 columns.
  CommandResult help = Help("yrebctl", {"--help"}, kChinese);
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("  --config 文本               节点配置文件"), std::string::npos)
      << help.out;
  EXPECT_NE(help.out.find("  --json                      输出 JSON"), std::string::npos)
      << help.out;
}

TEST(HelpE2eTest, YrebNodeHelpIsChinese) {
  CommandResult help = Help("yreb-node", {"--help"}, kChinese);
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("用法：yreb-node [选项]"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--config 文本 必填"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("显示版本号并退出"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find("REQUIRED"), std::string::npos) << help.out;
}

TEST(HelpE2eTest, UsageErrorPointsToHelpInChinese) {
  CommandResult result = Help("yrebctl", {"status", "--no-such-option"}, kChinese);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("--no-such-option"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("加上 --help 运行可查看更多信息。"), std::string::npos) << result.err;
}

TEST(HelpE2eTest, UsageErrorsAreChinese) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{}, "缺少命令"},
      {{"put", "--indicator"}, "--indicator 缺少取值"},
      {{"export", "--encoding", "utf9"}, "--encoding：取值 utf9 无效；可用的取值：utf8,gb18030"},
      {{"status", "extra"}, "无法识别的参数：extra"},
      {{"import"}, "缺少必需的 file"},
      {{"shared", "show", "2019-Q4", "--release", "0"},
       "--release: 发布编号从 1 开始；省略 --release 即为最新一次发布"},
  };
  for (const Case& c : cases) {
    CommandResult result = Help("yrebctl", c.args, kChinese);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.err.rfind("yrebctl: " + c.expected + "\n", 0), 0u) << result.err;
    EXPECT_EQ(result.err.find("required"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("not expected"), std::string::npos) << result.err;
  }
  // English usage errors carry the program's name and exit code 2 too.
  CommandResult english = Help("yrebctl", {"import"}, kEnglish);
  EXPECT_EQ(english.exit_code, 2);
  EXPECT_EQ(english.err.rfind("yrebctl: file is required\n", 0), 0u) << english.err;
  CommandResult node = Help("yreb-node", {"--config", "x.toml", "--no-such-flag"}, kEnglish);
  EXPECT_EQ(node.exit_code, 2);
  EXPECT_EQ(node.err.rfind("yreb-node: unexpected arguments: --no-such-flag\n", 0), 0u)
      << node.err;
}

TEST(HelpE2eTest, EnglishHelpIsUnchanged) {
  CommandResult help = Help("yrebctl", {"--help"}, kEnglish);
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("Usage: yrebctl [OPTIONS] SUBCOMMAND"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("Print this help message and exit"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find("用法"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace yreb
