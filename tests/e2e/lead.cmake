# Tests of the rotating lead: real yreb-node processes on 127.0.0.1 driven
# through yrebctl and the lead admin calls, and the node's LeadTracker on a
# real store. Included from tests/CMakeLists.txt.
add_executable(lead_e2e_test ${CMAKE_CURRENT_SOURCE_DIR}/e2e/lead_e2e_test.cc)
target_link_libraries(lead_e2e_test PRIVATE
  yreb_node yreb_lead_grpc yreb_test_support GTest::gtest_main)
add_dependencies(lead_e2e_test yreb-node yrebctl)
gtest_discover_tests(lead_e2e_test PROPERTIES TIMEOUT 120 DISCOVERY_TIMEOUT 60)

# LeadTracker on a real RocksDB store, without node processes.
add_executable(lead_tracker_test ${CMAKE_CURRENT_SOURCE_DIR}/unit/lead_tracker_test.cc)
target_link_libraries(lead_tracker_test PRIVATE yreb_node yreb_test_support GTest::gtest_main)
gtest_discover_tests(lead_tracker_test PROPERTIES TIMEOUT 60 DISCOVERY_TIMEOUT 60)
