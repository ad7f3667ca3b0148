# Unit tests of the signed store: formats, crypto, storage, origin log,
# verification, config and messages.
set(core_dir ${CMAKE_CURRENT_SOURCE_DIR}/unit)
foreach(test formats_test crypto_test origin_log_test verify_test config_test i18n_test sync_test log_limiter_test)
  add_executable(${test} ${core_dir}/${test}.cc)
  target_link_libraries(${test} PRIVATE yreb_node yreb_test_support GTest::gtest_main)
  gtest_discover_tests(${test} PROPERTIES TIMEOUT 60 DISCOVERY_TIMEOUT 60)
endforeach()

add_executable(lead_test ${core_dir}/lead_test.cc)
target_link_libraries(lead_test PRIVATE yreb_lead GTest::gtest_main)
gtest_discover_tests(lead_test PROPERTIES TIMEOUT 60 DISCOVERY_TIMEOUT 60)
