# End-to-end tests of federation membership: real yreb-node processes on
# 127.0.0.1 with mutual TLS, driven through yrebctl. Included from
# tests/CMakeLists.txt.
add_executable(federation_e2e_test ${CMAKE_CURRENT_SOURCE_DIR}/e2e/federation_e2e_test.cc)
target_link_libraries(federation_e2e_test PRIVATE
  yreb_federation yreb_test_support GTest::gtest_main OpenSSL::Crypto nlohmann_json::nlohmann_json)
add_dependencies(federation_e2e_test yreb-node yrebctl)
gtest_discover_tests(federation_e2e_test PROPERTIES TIMEOUT 90 DISCOVERY_TIMEOUT 60)
