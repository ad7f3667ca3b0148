# Backup and restore with real yreb-node processes driven through yrebctl.
# Included from tests/CMakeLists.txt, so paths are relative to tests/.
add_executable(backup_e2e_test ${CMAKE_CURRENT_SOURCE_DIR}/e2e/backup_e2e_test.cc)
target_link_libraries(backup_e2e_test PRIVATE
  yreb_test_support GTest::gtest_main nlohmann_json::nlohmann_json fmt::fmt)
add_dependencies(backup_e2e_test yreb-node yrebctl)
gtest_discover_tests(backup_e2e_test PROPERTIES TIMEOUT 90 DISCOVERY_TIMEOUT 60
  ENVIRONMENT "LANGUAGE=en")
