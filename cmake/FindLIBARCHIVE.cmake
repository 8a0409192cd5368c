# libarchive, for tar, zip and 7z archives and xz, bzip2, lz4 and lzma
# streams (libarchive-dev): LIBARCHIVE::LIBARCHIVE.
include(${CMAKE_CURRENT_LIST_DIR}/NfbFindLibrary.cmake)
nfb_find_library(LIBARCHIVE LIBARCHIVE::LIBARCHIVE archive.h archive)
