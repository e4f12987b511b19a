# zzprobe_add_plugin(<target> SOURCES <src>... [SAMPLE_CONFIG <sample.toml>]
#                    [OUTPUT_DIRECTORY <dir>] [LINK <libs>...])
#
# Builds a zzprobe plugin library the way the host expects (docs/PLUGIN_ABI.md, dlopen hygiene):
# a MODULE library with no "lib" prefix, hidden visibility, a version script exporting only
# zzp_plugin_entry_v*, -fno-gnu-unique (so it can unload), -Wl,-z,defs (no unresolved symbols).
# SAMPLE_CONFIG embeds the file as `static const char zzp_sample_config[]` in the generated
# header <zzp_sample_config.h>, so `zzprobe plugins ID` prints exactly the shipped sample.
set(_ZZP_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/zzprobe-plugin.map")
if(NOT EXISTS "${_ZZP_PLUGIN_MAP}")
  set(_ZZP_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/../sdk/cmake/zzprobe-plugin.map")
endif()

function(zzprobe_add_plugin target)
  cmake_parse_arguments(ARG "" "SAMPLE_CONFIG;OUTPUT_DIRECTORY" "SOURCES;LINK" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE zzprobe::sdk ${ARG_LINK})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS "${_ZZP_PLUGIN_MAP}")
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  endif()
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-gnu-unique>)
  target_link_options(${target} PRIVATE "LINKER:-z,defs" "LINKER:--version-script=${_ZZP_PLUGIN_MAP}")
  if(ARG_SAMPLE_CONFIG)
    get_filename_component(_sample "${ARG_SAMPLE_CONFIG}" ABSOLUTE)
    file(READ "${_sample}" _content)
    set(_gen_dir "${CMAKE_CURRENT_BINARY_DIR}/${target}_generated")
    file(WRITE "${_gen_dir}/zzp_sample_config.h.tmp"
      "/* Generated from ${_sample}; do not edit. */\n"
      "static const char zzp_sample_config[] = R\"zzp_sample(${_content})zzp_sample\";\n")
    configure_file("${_gen_dir}/zzp_sample_config.h.tmp" "${_gen_dir}/zzp_sample_config.h" COPYONLY)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_sample}")
    target_include_directories(${target} PRIVATE "${_gen_dir}")
  endif()
endfunction()
