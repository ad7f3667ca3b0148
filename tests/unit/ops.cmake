# Unit tests of the service integration: the systemd watchdog, the
# origin-log liveness check and the production example configuration. Included from tests/CMakeLists.txt, so paths are
# relative to tests/.
add_executable(watchdog_test ${CMAKE_CURRENT_SOURCE_DIR}/unit/watchdog_test.cc)
target_link_libraries(watchdog_test PRIVATE yreb_node yreb_test_support GTest::gtest_main)
gtest_discover_tests(watchdog_test PROPERTIES TIMEOUT 60 DISCOVERY_TIMEOUT 60)

add_executable(deploy_test ${CMAKE_CURRENT_SOURCE_DIR}/unit/deploy_test.cc)
target_link_libraries(deploy_test PRIVATE yreb_node yreb_test_support GTest::gtest_main)
gtest_discover_tests(deploy_test PROPERTIES TIMEOUT 60 DISCOVERY_TIMEOUT 60 ENVIRONMENT "LANGUAGE=en")

# The node's checks of stored releases and the epoch-1 lead gate.
add_executable(coordinator_service_test ${CMAKE_CURRENT_SOURCE_DIR}/unit/coordinator_service_test.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/support/genesis_lead_gate.cc)
target_link_libraries(coordinator_service_test PRIVATE yreb_node yreb_test_support GTest::gtest_main)
gtest_discover_tests(coordinator_service_test PROPERTIES TIMEOUT 60 DISCOVERY_TIMEOUT 60
  ENVIRONMENT "LANGUAGE=en")
