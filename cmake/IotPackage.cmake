# Installation layout and the Debian package (scripts/package; notes in
# /work/shared/reference/deploy.md style: lintian-clean, files where Debian's tools look).
# Everything lands under CMAKE_INSTALL_PREFIX (the package uses /usr) except the systemd
# units, which Debian 12 keeps in /lib/systemd/system when the prefix is /usr.
set(IOT_DATA_DIR ${CMAKE_INSTALL_DATADIR}/iot)              # share/iot: the model catalog
set(IOT_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/iot)           # share/doc/iot
set(IOT_LIBEXEC_DIR ${CMAKE_INSTALL_FULL_LIBEXECDIR}/iot)  # the services' wrapper scripts (named in the units)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(IOT_UNIT_DIR /lib/systemd/system)
else()
  set(IOT_UNIT_DIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(gen ${PROJECT_BINARY_DIR}/packaging)

# The model catalog: the last place of the catalog's search order (iot/config/catalog.cpp).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/models/ DESTINATION ${IOT_DATA_DIR}/models
        FILES_MATCHING PATTERN "*.toml")

# Docs, examples, the record schema, the copyright file and a Debian changelog.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${IOT_DOC_DIR})
file(GLOB doc_files ${PROJECT_SOURCE_DIR}/docs/*.md ${PROJECT_SOURCE_DIR}/docs/*.json)
install(FILES ${doc_files} DESTINATION ${IOT_DOC_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${IOT_DOC_DIR}/examples
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        PATTERN "models" EXCLUDE PATTERN "__pycache__" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright DESTINATION ${IOT_DOC_DIR})
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.Debian.in ${gen}/changelog.Debian @ONLY)
add_custom_command(OUTPUT ${gen}/changelog.Debian.gz
  COMMAND gzip -9n -c ${gen}/changelog.Debian > ${gen}/changelog.Debian.gz
  DEPENDS ${gen}/changelog.Debian VERBATIM)
add_custom_target(iot_changelog ALL DEPENDS ${gen}/changelog.Debian.gz)
install(FILES ${gen}/changelog.Debian.gz DESTINATION ${IOT_DOC_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/lintian-overrides RENAME iot
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides)

# Services: two template units, their wrapper scripts, the iot user and its state folder.
foreach(unit iot-poll@.service iot-archive@.service)
  configure_file(${PROJECT_SOURCE_DIR}/systemd/${unit}.in ${gen}/${unit} @ONLY)
  install(FILES ${gen}/${unit} DESTINATION ${IOT_UNIT_DIR})
endforeach()
install(PROGRAMS ${PROJECT_SOURCE_DIR}/systemd/iot-poll-to-mqtt ${PROJECT_SOURCE_DIR}/systemd/iot-archive
        DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/iot)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/iot.sysusers RENAME iot.conf DESTINATION lib/sysusers.d)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/iot.tmpfiles RENAME iot.conf DESTINATION lib/tmpfiles.d)

# CPack: iot_<version>-1_amd64.deb (scripts/package builds it and prints its path).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME iot)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "iot maintainers <maintainers@users.noreply.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "command-line toolkit for Modbus and MQTT field devices")
set(CPACK_PACKAGE_DESCRIPTION
    "Five programs that speak JSON Lines and compose in shell pipelines:\n"
    "iot-poll (Modbus master with a site mode for controllers and meters),\n"
    "iot-sim (device simulator), iot-mqtt-bridge (records to and from MQTT\n"
    "with a disk spool), iot-decode (Modbus frames, captures and serial\n"
    "sniffing) and iot-export (CSV, XLSX, SQLite, PostgreSQL, charts and\n"
    "reports). Includes a catalog of device models and systemd units that\n"
    "poll a site and archive its records.")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE https://example.com/iot)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/postinst ${PROJECT_SOURCE_DIR}/packaging/prerm
    ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/package)
include(CPack)
