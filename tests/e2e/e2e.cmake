# End-to-end tests: real yreb-node processes driven through yrebctl.
set(e2e_dir ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
foreach(test node_e2e_test crash_e2e_test import_e2e_test replication_e2e_test)
  add_executable(${test} ${e2e_dir}/${test}.cc)
  target_link_libraries(${test} PRIVATE yreb_node yreb_test_support GTest::gtest_main)
  add_dependencies(${test} yreb-node yrebctl)
  gtest_discover_tests(${test} PROPERTIES TIMEOUT 120 DISCOVERY_TIMEOUT 60)
endforeach()
