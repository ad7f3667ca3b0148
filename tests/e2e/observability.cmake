# Tests of the node's observability: Prometheus metrics, the gRPC health and
# reflection services on the peer port, the status page in headless
# Chromium, and SIGHUP reloads. Included from tests/CMakeLists.txt.

# Clients of the standard grpc.health.v1 and reflection services; sources
# include "e2e/grpc_std/health.grpc.pb.h".
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/grpc_std)
add_library(yreb_grpc_std_client
  ${CMAKE_CURRENT_SOURCE_DIR}/e2e/grpc_std/health.proto
  ${CMAKE_CURRENT_SOURCE_DIR}/e2e/grpc_std/reflection.proto)
protobuf_generate(TARGET yreb_grpc_std_client LANGUAGE cpp
  IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}
  PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/grpc_std)
protobuf_generate(TARGET yreb_grpc_std_client LANGUAGE grpc
  GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
  PLUGIN "protoc-gen-grpc=\$<TARGET_FILE:gRPC::grpc_cpp_plugin>"
  IMPORT_DIRS ${CMAKE_CURRENT_SOURCE_DIR}
  PROTOC_OUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/grpc_std)
target_include_directories(yreb_grpc_std_client PUBLIC ${CMAKE_CURRENT_BINARY_DIR}/grpc_std)
target_link_libraries(yreb_grpc_std_client PUBLIC protobuf::libprotobuf gRPC::grpc++)

find_package(prometheus-cpp CONFIG REQUIRED)

# Pure functions of the status page and the metrics.
add_executable(observability_test ${CMAKE_CURRENT_SOURCE_DIR}/unit/observability_test.cc)
target_link_libraries(observability_test PRIVATE yreb_node prometheus-cpp::core
  nlohmann_json::nlohmann_json GTest::gtest_main)
gtest_discover_tests(observability_test PROPERTIES TIMEOUT 30 DISCOVERY_TIMEOUT 60)

# Real yreb-node processes; each test starts its own federation and ends
# within about a minute.
add_executable(observability_e2e_test ${CMAKE_CURRENT_SOURCE_DIR}/e2e/observability_e2e_test.cc)
target_link_libraries(observability_e2e_test PRIVATE
  yreb_federation yreb_grpc_std_client yreb_test_http PkgConfig::TEST_HTTPLIB
  GTest::gtest_main nlohmann_json::nlohmann_json)
add_dependencies(observability_e2e_test yreb-node yrebctl)
gtest_discover_tests(observability_e2e_test PROPERTIES TIMEOUT 90 DISCOVERY_TIMEOUT 60)
