// The node's status page over HTTP ([status_page] listen): the page itself
// (/, /status.js, /status.css, all compiled into the binary) and the JSON it
// renders (/api/status). The page is Chinese by default; ?lang=en selects
// English and ?quarter=2024-Q3 another quarter than the one being collected.
//
// NOTE: there is no authentication. The page is read-only, but it shows the
// federation's data to anyone who reaches the port, so keep it on 127.0.0.1
// or behind a proxy that authenticates.
#ifndef YREB_NODE_STATUS_PAGE_H_
#define YREB_NODE_STATUS_PAGE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "common/period.h"

namespace httplib {
class Server;
}

namespace yreb::node {

// Builds the /api/status document for `quarter` (the reporting quarter when
// empty) in the calling thread's language.
using StatusViewSource =
    std::function<absl::StatusOr<nlohmann::json>(std::optional<period::Period> quarter)>;

class StatusPage {
 public:
  // Binds `listen` (host:port; port 0 picks a free one) and serves on a
  // thread of its own. Fails with Unavailable when the address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<StatusPage>> Start(const std::string& listen,
                                                           StatusViewSource source);
  // Stops serving; requests in progress finish first.
  ~StatusPage();

  int port() const { return port_; }

 private:
  StatusPage() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace yreb::node

#endif  // YREB_NODE_STATUS_PAGE_H_
