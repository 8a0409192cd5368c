# yajl, the JSON parser (libyajl-dev): YAJL::YAJL. YAJL_VERSION is read
# from yajl/yajl_version.h, so that find_package(YAJL X.Y) refuses an
# older yajl with a message naming both versions.
include(${CMAKE_CURRENT_LIST_DIR}/NfbFindLibrary.cmake)
find_path(YAJL_INCLUDE_DIR yajl/yajl_parse.h)
if(YAJL_INCLUDE_DIR AND EXISTS ${YAJL_INCLUDE_DIR}/yajl/yajl_version.h)
  file(STRINGS ${YAJL_INCLUDE_DIR}/yajl/yajl_version.h yajl_version_lines
    REGEX "^#define YAJL_(MAJOR|MINOR|MICRO) +[0-9]+")
  foreach(part MAJOR MINOR MICRO)
    string(REGEX REPLACE ".*#define YAJL_${part} +([0-9]+).*" "\\1"
      yajl_${part} "${yajl_version_lines}")
  endforeach()
  set(YAJL_VERSION ${yajl_MAJOR}.${yajl_MINOR}.${yajl_MICRO})
endif()
nfb_find_library(YAJL YAJL::YAJL yajl/yajl_parse.h yajl)
