// The status page's files, compiled into the binary from node/web by
// node/CMakeLists.txt, so the node serves them without a web root on disk.
#ifndef YREB_NODE_WEB_ASSETS_H_
#define YREB_NODE_WEB_ASSETS_H_

#include <string_view>

namespace yreb::node {

struct WebAsset {
  std::string_view name;  // file name in node/web, e.g. "status.js"
  std::string_view content;
};

// Returns the asset named `name`, or nullptr.
const WebAsset* FindWebAsset(std::string_view name);

}  // namespace yreb::node

#endif  // YREB_NODE_WEB_ASSETS_H_
