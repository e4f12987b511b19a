# Helpers for zzprobe's own tree (not installed).

# A bundled plugin: built into the build tree's plugin folder and installed beside the host.
function(zzp_bundled_plugin target)
  cmake_parse_arguments(ARG "" "SAMPLE_CONFIG" "SOURCES;LINK" ${ARGN})
  zzprobe_add_plugin(${target} SOURCES ${ARG_SOURCES} SAMPLE_CONFIG ${ARG_SAMPLE_CONFIG}
                     OUTPUT_DIRECTORY ${ZZP_PLUGIN_OUTPUT_DIR} LINK ${ARG_LINK})
  install(TARGETS ${target} LIBRARY DESTINATION ${ZZP_PLUGIN_INSTALL_DIR})
endfunction()

# A plugin used only by tests (deliberate defects, synthetic data): never installed.
function(zzp_test_plugin target)
  cmake_parse_arguments(ARG "" "SAMPLE_CONFIG;OUTPUT_DIRECTORY" "SOURCES;LINK" ${ARGN})
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY ${ZZP_TEST_PLUGIN_DIR})
  endif()
  if(ARG_SAMPLE_CONFIG)
    zzprobe_add_plugin(${target} SOURCES ${ARG_SOURCES} SAMPLE_CONFIG ${ARG_SAMPLE_CONFIG}
                       OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY} LINK ${ARG_LINK})
  else()
    zzprobe_add_plugin(${target} SOURCES ${ARG_SOURCES} OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY} LINK ${ARG_LINK})
  endif()
endfunction()

# A GoogleTest executable registered with ctest test by test (discovered when ctest runs).
# LABELS: e.g. "netns" for tests that need root and network namespaces.
function(zzp_gtest name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LINK;LABELS;DEPENDS;ENVIRONMENT" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main Threads::Threads ${ARG_LINK})
  target_compile_definitions(${name} PRIVATE
    ZZP_BUILD_DIR="${CMAKE_BINARY_DIR}"
    ZZP_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    ZZP_PLUGIN_OUTPUT_DIR="${ZZP_PLUGIN_OUTPUT_DIR}"
    ZZP_TEST_PLUGIN_DIR="${ZZP_TEST_PLUGIN_DIR}"
    ZZP_HOST_EXE="$<TARGET_FILE:zzprobe>")
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  if(ARG_ENVIRONMENT)
    gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
      PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}" ENVIRONMENT "${ARG_ENVIRONMENT}")
  else()
    gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
      PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
  endif()
endfunction()
