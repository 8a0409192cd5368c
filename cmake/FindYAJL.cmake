# yajl, the JSON parser (libyajl-dev): YAJL::YAJL.
include(${CMAKE_CURRENT_LIST_DIR}/NfbFindLibrary.cmake)
nfb_find_library(YAJL YAJL::YAJL yajl/yajl_parse.h yajl)
