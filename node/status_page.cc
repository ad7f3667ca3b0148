#include "node/status_page.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "i18n/i18n.h"
#include "node/web_assets.h"

namespace yreb::node {
namespace {

using i18n::Tr;

// Everything the page needs comes from this node; the browser refuses any
// other source.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";

std::string_view ContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

void SetCommonHeaders(httplib::Response& response) {
  response.set_header("Content-Security-Policy", kContentSecurityPolicy);
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
}

void ServeAsset(std::string_view name, httplib::Response& response) {
  const WebAsset* asset = FindWebAsset(name);
  SetCommonHeaders(response);
  if (asset == nullptr) {
    response.status = 404;
    return;
  }
  response.set_content(std::string(asset->content), std::string(ContentType(name)).c_str());
}

void ServeStatus(const StatusViewSource& source, const httplib::Request& request,
                 httplib::Response& response) {
  // Chinese unless the page asks for English.
  i18n::ScopedLang lang(request.get_param_value("lang") == "en" ? i18n::Lang::kEnglish
                                                                : i18n::Lang::kChinese);
  SetCommonHeaders(response);
  response.set_header("Cache-Control", "no-store");

  std::optional<period::Period> quarter;
  if (request.has_param("quarter")) {
    std::string text = request.get_param_value("quarter");
    absl::StatusOr<period::Period> parsed = period::ParseSdmx(text);
    if (!parsed.ok() || parsed->frequency != period::Period::kQuarterly) {
      response.status = 400;
      nlohmann::json error = {
          {"error", Tr("quarter \"{}\" is not a quarter in SDMX form, e.g. 2024-Q3", text)}};
      response.set_content(error.dump(), "application/json; charset=utf-8");
      return;
    }
    quarter = *parsed;
  }

  absl::StatusOr<nlohmann::json> view = source(quarter);
  if (!view.ok()) {
    spdlog::error("status page request failed: {}", view.status().message());
    response.status = 500;
    nlohmann::json error = {{"error", std::string(view.status().message())}};
    response.set_content(error.dump(), "application/json; charset=utf-8");
    return;
  }
  response.set_content(view->dump(), "application/json; charset=utf-8");
}

// Splits "host:port" or "[::1]:port". REQUIRES: the config check passed.
std::pair<std::string, int> SplitListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {host, std::stoi(listen.substr(colon + 1))};
}

}  // namespace

absl::StatusOr<std::unique_ptr<StatusPage>> StatusPage::Start(const std::string& listen,
                                                            StatusViewSource source) {
  std::unique_ptr<StatusPage> page(new StatusPage());
  page->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *page->server_;
  server.Get("/", [](const httplib::Request&, httplib::Response& response) {
    ServeAsset("status.html", response);
  });
  server.Get(R"(/(status\.js|status\.css))",
             [](const httplib::Request& request, httplib::Response& response) {
               ServeAsset(request.matches[1].str(), response);
             });
  server.Get("/api/status",
             [source = std::move(source)](const httplib::Request& request,
                                          httplib::Response& response) {
               ServeStatus(source, request, response);
             });

  auto [host, port] = SplitListen(listen);
  page->port_ = port == 0 ? server.bind_to_any_port(host) : port;
  if (page->port_ <= 0 || (port != 0 && !server.bind_to_port(host, port))) {
    return absl::UnavailableError(Tr(
        "cannot serve the status page on {}; is the port in use? Check [status_page] listen",
        listen));
  }
  page->thread_ = std::thread([&server] { server.listen_after_bind(); });
  spdlog::info("status page started: listen={} port={}", listen, page->port_);
  return page;
}

StatusPage::~StatusPage() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
  spdlog::info("status page stopped");
}

}  // namespace yreb::node
