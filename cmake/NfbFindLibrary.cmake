# nfb_find_library(PKG TARGET HEADER NAME...): the find module of a C
# library without a CMake package of its own. Looks for HEADER and for the
# library under one of the NAMEs, sets PKG_INCLUDE_DIR, PKG_LIBRARY and
# PKG_FOUND, and makes the imported target TARGET (unless one exists), so
# that what links it never names a path. When the find module has set
# PKG_VERSION, a version asked of find_package is checked against it.
include(FindPackageHandleStandardArgs)
macro(nfb_find_library pkg target header)
  find_path(${pkg}_INCLUDE_DIR ${header})
  find_library(${pkg}_LIBRARY NAMES ${ARGN})
  if(DEFINED ${pkg}_VERSION)
    find_package_handle_standard_args(${pkg}
      REQUIRED_VARS ${pkg}_LIBRARY ${pkg}_INCLUDE_DIR
      VERSION_VAR ${pkg}_VERSION)
  else()
    find_package_handle_standard_args(${pkg}
      REQUIRED_VARS ${pkg}_LIBRARY ${pkg}_INCLUDE_DIR)
  endif()
  mark_as_advanced(${pkg}_INCLUDE_DIR ${pkg}_LIBRARY)
  if(${pkg}_FOUND AND NOT TARGET ${target})
    add_library(${target} UNKNOWN IMPORTED)
    set_target_properties(${target} PROPERTIES
      IMPORTED_LOCATION "${${pkg}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${${pkg}_INCLUDE_DIR}")
  endif()
endmacro()
