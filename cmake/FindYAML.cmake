# libyaml, the YAML parser and emitter (libyaml-dev): YAML::YAML.
include(${CMAKE_CURRENT_LIST_DIR}/NfbFindLibrary.cmake)
nfb_find_library(YAML YAML::YAML yaml.h yaml)
