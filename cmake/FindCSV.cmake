# libcsv (libcsv-dev), which ships no pkg-config file: CSV::CSV. It is
# LGPL: the shared library is preferred, so that it is linked dynamically
# even into a program that takes the static libnfbackup.
include(${CMAKE_CURRENT_LIST_DIR}/NfbFindLibrary.cmake)
nfb_find_library(CSV CSV::CSV csv.h libcsv.so csv)
