# nfb_label_tests(): gives every test of the current directory the label of
# its kind, from its name: unit.*, lib.* and example.* are "unit", cli.*
# "cli", golden.* "golden", fuzz.* "fuzz", install.* "install". Labels set
# by hand (such as "slow") are kept. Call it at the end of a directory's
# CMakeLists.txt, after its last add_test; a test named otherwise stops the
# configuration, so that none goes unlabelled.
function(nfb_label_tests)
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(t IN LISTS tests)
    if(t MATCHES "^(unit|lib|example)[.]")
      set(kind unit)
    elseif(t MATCHES "^(cli|golden|fuzz|install)[.]")
      set(kind ${CMAKE_MATCH_1})
    else()
      message(FATAL_ERROR "test ${t}: its name starts with none of unit. "
        "lib. example. cli. golden. fuzz. install., which give its label")
    endif()
    get_property(labels TEST ${t} PROPERTY LABELS)
    if(NOT kind IN_LIST labels)
      set_property(TEST ${t} APPEND PROPERTY LABELS ${kind})
    endif()
  endforeach()
endfunction()
