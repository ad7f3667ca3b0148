# Unit tests of the common, catalog and importers modules. Included from
# tests/CMakeLists.txt, so paths are relative to tests/.
include(GoogleTest)

set(yreb_testdata_dir "${PROJECT_SOURCE_DIR}/testdata")

function(yreb_importers_test name)
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/unit/${name}.cc)
  target_link_libraries(${name} PRIVATE ${ARGN} GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE YREB_TESTDATA_DIR="${yreb_testdata_dir}")
  gtest_discover_tests(${name} PROPERTIES ENVIRONMENT "LANGUAGE=en")
endfunction()

yreb_importers_test(decimal_test yreb_common yreb_i18n)
yreb_importers_test(period_test yreb_common yreb_i18n)
yreb_importers_test(catalog_test yreb_catalog yreb_i18n)
target_compile_definitions(catalog_test PRIVATE YREB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
yreb_importers_test(importers_test yreb_importers yreb_catalog yreb_i18n)
target_compile_definitions(importers_test PRIVATE YREB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
