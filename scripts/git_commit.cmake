# Writes OUT (a header defining MNET_GIT_COMMIT) with the commit the source tree is at, "-dirty"
# when tracked files differ from it, "unknown" outside a git checkout. Run at every build; the file
# is rewritten only when the text changes, so an unchanged commit rebuilds nothing.
execute_process(COMMAND git -C "${SRC}" rev-parse --short=12 HEAD
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
else()
  execute_process(COMMAND git -C "${SRC}" status --porcelain --untracked-files=no
                  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT changes STREQUAL "")
    set(commit "${commit}-dirty")
  endif()
endif()
file(CONFIGURE OUTPUT "${OUT}" CONTENT "#define MNET_GIT_COMMIT \"${commit}\"\n" @ONLY)
