# The Debian package: cpack -G DEB in the build tree, its contents and control
# fields, and its maintainer scripts run against a throwaway root with
# recording stand-ins for adduser, systemctl and the other system tools.
# Included from tests/CMakeLists.txt, so paths are relative to tests/.
add_test(NAME PackageTest.DebContentsAndMaintainerScripts
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/package_test.sh ${PROJECT_BINARY_DIR})
set_tests_properties(PackageTest.DebContentsAndMaintainerScripts PROPERTIES TIMEOUT 120)
