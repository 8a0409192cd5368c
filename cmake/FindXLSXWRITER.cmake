# libxlsxwriter, the xlsx writer (libxlsxwriter-dev): XLSXWRITER::XLSXWRITER.
include(${CMAKE_CURRENT_LIST_DIR}/NfbFindLibrary.cmake)
nfb_find_library(XLSXWRITER XLSXWRITER::XLSXWRITER xlsxwriter.h xlsxwriter)
