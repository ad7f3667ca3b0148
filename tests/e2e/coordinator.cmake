# End-to-end tests of the coordinator: catalog versions and shared sets on
# real yreb-node processes. Included from tests/CMakeLists.txt.
#
# The shared-set suite runs as one test so that its tests share one
# eleven-node federation (about 15 s to start and load) in the order written.
add_executable(shared_set_e2e_test ${CMAKE_CURRENT_SOURCE_DIR}/e2e/shared_set_e2e_test.cc)
target_link_libraries(shared_set_e2e_test PRIVATE
  yreb_node yreb_test_http GTest::gtest_main)
add_dependencies(shared_set_e2e_test yreb-node yrebctl)
add_test(NAME shared_set_e2e_test COMMAND shared_set_e2e_test)
set_tests_properties(shared_set_e2e_test PROPERTIES TIMEOUT 420)
