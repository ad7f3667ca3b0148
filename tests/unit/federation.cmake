# Unit tests of the federation module: statements, manifests, their storage
# and certificate admission. Included from tests/CMakeLists.txt.
add_executable(federation_test ${CMAKE_CURRENT_SOURCE_DIR}/unit/federation_test.cc)
target_link_libraries(federation_test PRIVATE yreb_federation yreb_test_support GTest::gtest_main)
gtest_discover_tests(federation_test PROPERTIES TIMEOUT 60 DISCOVERY_TIMEOUT 60
                     ENVIRONMENT "LANGUAGE=en")
