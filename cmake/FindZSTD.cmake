# libzstd, for zstd-compressed input (libzstd-dev): ZSTD::ZSTD.
include(${CMAKE_CURRENT_LIST_DIR}/NfbFindLibrary.cmake)
nfb_find_library(ZSTD ZSTD::ZSTD zstd.h zstd)
