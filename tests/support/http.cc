#include "tests/support/http.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <httplib.h>

namespace yreb::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

int LoggedPort(const Federation& federation, uint32_t id, const std::string& server_name) {
  std::regex pattern(server_name + " started: listen=\\S+ port=(\\d+)");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string log = ReadAll(federation.Dir(id) + "/node.log");
    int port = 0;
    for (std::sregex_iterator it(log.begin(), log.end(), pattern), end; it != end; ++it) {
      port = std::stoi((*it)[1].str());
    }
    if (port != 0) return port;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

std::string HttpGet(int port, const std::string& path, int* status) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  httplib::Result result = client.Get(path.c_str());
  if (!result) return "";
  if (status != nullptr) *status = result->status;
  return result->body;
}

std::optional<double> Metric(const std::string& exposition, const std::string& series) {
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

bool WaitMetric(int port, const std::string& series, const std::function<bool(double)>& predicate,
                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<double> value = Metric(HttpGet(port, "/metrics"), series);
    if (value.has_value() && predicate(*value)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace yreb::testing
