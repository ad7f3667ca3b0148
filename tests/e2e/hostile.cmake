# End-to-end tests of what a peer can do to a node: admission on the peer
# port, and crafted logs served by a hostile member to real yreb-node
# processes on 127.0.0.1. Included from tests/CMakeLists.txt.
add_executable(peer_admission_e2e_test ${CMAKE_CURRENT_SOURCE_DIR}/e2e/peer_admission_e2e_test.cc)
target_link_libraries(peer_admission_e2e_test PRIVATE
  yreb_federation yreb_test_support GTest::gtest_main)
add_dependencies(peer_admission_e2e_test yrebctl)
gtest_discover_tests(peer_admission_e2e_test PROPERTIES TIMEOUT 60 DISCOVERY_TIMEOUT 60)

add_executable(hostile_peer_e2e_test ${CMAKE_CURRENT_SOURCE_DIR}/e2e/hostile_peer_e2e_test.cc)
target_link_libraries(hostile_peer_e2e_test PRIVATE
  yreb_node yreb_federation yreb_test_http GTest::gtest_main)
add_dependencies(hostile_peer_e2e_test yreb-node yrebctl)
gtest_discover_tests(hostile_peer_e2e_test PROPERTIES TIMEOUT 120 DISCOVERY_TIMEOUT 60)
