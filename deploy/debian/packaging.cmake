# Install rules and the Debian package (cpack -G DEB). Included from the top
# CMakeLists.txt. Package layout:
#   /usr/bin/yreb-node, /usr/bin/yrebctl
#   /lib/systemd/system/yreb-node.service   deploy/yreb-node.service, starting /usr/bin/yreb-node
#   /etc/yreb-sync/node.toml                deploy/node.example.toml, a conffile
#   /usr/share/doc/yreb-sync/               the example config and the operator manuals
# The maintainer scripts beside this file create the user yreb, the group
# yreb-operators and the directories; docs/OPERATIONS.md describes them.

set(yreb_debian_dir ${CMAKE_CURRENT_LIST_DIR})
set(yreb_deploy_dir ${PROJECT_SOURCE_DIR}/deploy)

# The unit in the repository starts /usr/local/bin/yreb-node (an install from
# source); the packaged copy starts the binary where the package puts it.
file(READ ${yreb_deploy_dir}/yreb-node.service yreb_unit_text)
string(FIND "${yreb_unit_text}" "ExecStart=/usr/local/bin/yreb-node " yreb_exec_at)
if(yreb_exec_at EQUAL -1)
  message(FATAL_ERROR "deploy/yreb-node.service: no ExecStart=/usr/local/bin/yreb-node line to "
                      "point at /usr/bin; update deploy/debian/packaging.cmake")
endif()
string(REPLACE "ExecStart=/usr/local/bin/yreb-node " "ExecStart=/usr/bin/yreb-node "
       yreb_unit_text "${yreb_unit_text}")
file(WRITE ${PROJECT_BINARY_DIR}/deploy/yreb-node.service "${yreb_unit_text}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${yreb_deploy_dir}/yreb-node.service)

install(TARGETS yreb-node yrebctl RUNTIME DESTINATION bin)
install(FILES ${PROJECT_BINARY_DIR}/deploy/yreb-node.service DESTINATION /lib/systemd/system)
install(FILES ${yreb_deploy_dir}/node.example.toml DESTINATION /etc/yreb-sync RENAME node.toml)
install(FILES ${yreb_deploy_dir}/node.example.toml ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md
              ${PROJECT_SOURCE_DIR}/docs/IMPORT.md
              ${PROJECT_SOURCE_DIR}/docs/FEDERATION.md
              ${PROJECT_SOURCE_DIR}/docs/REPLICATION.md
              ${PROJECT_SOURCE_DIR}/docs/FORMATS.md
              ${PROJECT_SOURCE_DIR}/docs/zh-CN/运维手册.md
              ${PROJECT_SOURCE_DIR}/docs/zh-CN/导入.md
              ${PROJECT_SOURCE_DIR}/docs/zh-CN/联邦成员与证书.md
              ${PROJECT_SOURCE_DIR}/docs/zh-CN/复制与同步.md
        DESTINATION share/doc/yreb-sync)

set(YREB_PACKAGE_MAINTAINER "yreb-sync maintainers <yreb-sync@localhost>" CACHE STRING
    "Maintainer field of the Debian package: name <email>")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME yreb-sync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "federated sync node of the Yangtze River Economic Belt statistics bureaus")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "yreb-sync is the data sharing platform of the statistics bureaus of the eleven\n"
    "provinces of the Yangtze River Economic Belt. Each bureau runs one node\n"
    "(yreb-node, a systemd service) that keeps signed indicator records in RocksDB\n"
    "and replicates them to the other members over gRPC; yrebctl is its\n"
    "command-line tool.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${YREB_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Shared-library dependencies come from dpkg-shlibdeps (package dpkg-dev);
# adduser runs in postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${yreb_debian_dir}/postinst ${yreb_debian_dir}/prerm ${yreb_debian_dir}/postrm
    ${yreb_debian_dir}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
