// HTTP helpers for tests of a node's metrics and status page on 127.0.0.1.
#ifndef YREB_TESTS_SUPPORT_HTTP_H_
#define YREB_TESTS_SUPPORT_HTTP_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "tests/support/federation.h"

namespace yreb::testing {

// Config sections that make a node serve metrics and the status page on
// ports the kernel picks; the node logs them.
inline constexpr char kHttpSections[] =
    "[metrics]\nlisten = \"127.0.0.1:0\"\n[status_page]\nlisten = \"127.0.0.1:0\"\n";

// Returns the port of the newest "`server_name` started: ... port=N" line of the
// node's log, waiting up to 10 s; 0 when none appears.
int LoggedPort(const Federation& federation, uint32_t id, const std::string& server_name);

// Returns the body of GET `path` on 127.0.0.1:`port`, empty on failure.
std::string HttpGet(int port, const std::string& path, int* status = nullptr);

// Returns the value of the series `series` (name and labels exactly as
// exposed, e.g. yreb_origin_entries{origin="320000"}), or nullopt.
std::optional<double> Metric(const std::string& exposition, const std::string& series);

// Polls the metrics of `port` until `series` satisfies `predicate`.
bool WaitMetric(int port, const std::string& series, const std::function<bool(double)>& predicate,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace yreb::testing

#endif  // YREB_TESTS_SUPPORT_HTTP_H_
