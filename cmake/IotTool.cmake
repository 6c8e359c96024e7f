# iot_add_tool(NAME [MODULES module...]): builds apps/NAME/main.cpp into the executable
# iot-NAME, linked to the libcore modules named (its main.cpp can include only their
# headers and those they expose), or to all of libcore without MODULES. Man page,
# completions and tests are found by name (man/iot-NAME.1.scd, completions/iot-NAME.*,
# tests/e2e/NAME/).
function(iot_add_tool name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "MODULES")
  set(exe iot-${name})
  add_executable(${exe} ${CMAKE_CURRENT_SOURCE_DIR}/${name}/main.cpp)
  if(arg_MODULES)
    list(TRANSFORM arg_MODULES PREPEND iot::)
    target_link_libraries(${exe} PRIVATE ${arg_MODULES} iot_settings)
  else()
    target_link_libraries(${exe} PRIVATE iot::libcore iot_settings)
  endif()
  set_target_properties(${exe} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  install(TARGETS ${exe} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  # Completions where Debian's shells load them, under the names they look for: bash
  # completions/<cmd> (loaded on first use), zsh vendor-completions/_<cmd> (compinit reads
  # only files named _*; the file starts with #compdef), fish vendor_completions.d/<cmd>.fish.
  set(src ${PROJECT_SOURCE_DIR}/completions/${exe})
  install(FILES ${src}.bash RENAME ${exe} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
  install(FILES ${src}.zsh RENAME _${exe} DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
  install(FILES ${src}.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
  set_property(GLOBAL APPEND PROPERTY IOT_TOOLS ${exe})
endfunction()
