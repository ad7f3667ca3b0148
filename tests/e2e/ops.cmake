# Operations tests: help text in the user's language, the systemd unit, the
# sd_notify protocol and watchdog, and stopping with SIGTERM. Included from
# tests/CMakeLists.txt, so paths are relative to tests/.
set(ops_e2e_dir ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
foreach(test help_e2e_test service_e2e_test)
  add_executable(${test} ${ops_e2e_dir}/${test}.cc)
  target_link_libraries(${test} PRIVATE yreb_test_support GTest::gtest_main)
  add_dependencies(${test} yreb-node yrebctl)
  gtest_discover_tests(${test} PROPERTIES TIMEOUT 60 DISCOVERY_TIMEOUT 60)
endforeach()

# systemd-analyze verify of deploy/yreb-node.service, on a copy that starts
# the built binary.
add_test(NAME SystemdUnitTest.VerifiesWithSystemdAnalyze
  COMMAND bash ${ops_e2e_dir}/systemd_unit_test.sh
          ${PROJECT_SOURCE_DIR}/deploy/yreb-node.service $<TARGET_FILE:yreb-node>)
set_tests_properties(SystemdUnitTest.VerifiesWithSystemdAnalyze PROPERTIES TIMEOUT 60)
