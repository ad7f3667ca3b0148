# Unit tests of the signed store: formats, crypto, storage, origin log,
# verification, replication, config and messages. Each links only the
# modules it tests.
set(core_dir ${CMAKE_CURRENT_SOURCE_DIR}/unit)

function(yreb_core_test name)
  add_executable(${name} ${core_dir}/${name}.cc)
  target_link_libraries(${name} PRIVATE ${ARGN} yreb_test_support GTest::gtest_main)
  gtest_discover_tests(${name} PROPERTIES TIMEOUT 60 DISCOVERY_TIMEOUT 60)
endfunction()

yreb_core_test(formats_test yreb_proto)
yreb_core_test(crypto_test yreb_proto)
yreb_core_test(origin_log_test yreb_sync)
yreb_core_test(cell_index_test yreb_storage)
yreb_core_test(verify_test yreb_sync)
yreb_core_test(sync_test yreb_sync)
yreb_core_test(log_limiter_test yreb_common)
yreb_core_test(bounded_queue_test yreb_common)
yreb_core_test(ports_test)
yreb_core_test(config_test yreb_node)
yreb_core_test(i18n_test yreb_node)
yreb_core_test(lead_test yreb_lead)
yreb_core_test(coordinator_test yreb_coordinator yreb_importers)
