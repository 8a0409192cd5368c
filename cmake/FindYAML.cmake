# libyaml, the YAML parser and emitter (libyaml-dev): YAML::YAML. yaml.h
# has no version macro: YAML_VERSION is pkg-config's (yaml-0.1), else what
# yaml_get_version_string() returns in a small program built and run here;
# find_package(YAML X.Y.Z) refuses an older libyaml with a message naming
# both versions.
include(${CMAKE_CURRENT_LIST_DIR}/NfbFindLibrary.cmake)
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_YAML QUIET yaml-0.1)
endif()
find_path(YAML_INCLUDE_DIR yaml.h HINTS ${PC_YAML_INCLUDE_DIRS})
find_library(YAML_LIBRARY NAMES yaml HINTS ${PC_YAML_LIBRARY_DIRS})
if(PC_YAML_VERSION)
  set(YAML_VERSION ${PC_YAML_VERSION})
elseif(YAML_INCLUDE_DIR AND YAML_LIBRARY AND NOT CMAKE_CROSSCOMPILING)
  set(yaml_probe ${CMAKE_BINARY_DIR}${CMAKE_FILES_DIRECTORY}/yaml_version.c)
  file(WRITE ${yaml_probe} "#include <stdio.h>\n#include <yaml.h>\n"
    "int main(void) { puts(yaml_get_version_string()); return 0; }\n")
  try_run(yaml_run yaml_compiled ${CMAKE_BINARY_DIR} ${yaml_probe}
    CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${YAML_INCLUDE_DIR}"
    LINK_LIBRARIES ${YAML_LIBRARY}
    RUN_OUTPUT_VARIABLE yaml_out)
  if(yaml_compiled AND yaml_run EQUAL 0)
    string(STRIP "${yaml_out}" YAML_VERSION)
  endif()
endif()
nfb_find_library(YAML YAML::YAML yaml.h yaml)
