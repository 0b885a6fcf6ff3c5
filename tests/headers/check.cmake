# Compiles a translation unit that is one #include of HEADER, alone: the
# header must compile on its own (it includes what it uses). With
# NO_CEREAL, it must also not parse a single cereal header: a program that
# uses only that part of concur does not pay for the serialisation layer.
# Usage: cmake -DCOMPILER=... -DINCLUDE=... -DCEREAL=... -DHEADER=concur/x.hpp
#              [-DNO_CEREAL=ON] -DWORK=<dir> -P check.cmake
string(MAKE_C_IDENTIFIER "${HEADER}" name)
set(source "${WORK}/${name}.cpp")
file(WRITE "${source}" "#include <${HEADER}>\n")
execute_process(
  COMMAND ${COMPILER} -std=c++20 -fsyntax-only -H -I${INCLUDE} -I${CEREAL} ${source}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${HEADER} does not compile on its own:\n${err}")
endif()
# -H prints every header opened, one per line, to stderr.
string(REGEX MATCHALL "[^\n]*cereal/[^\n]*" cereal_headers "${err}")
list(LENGTH cereal_headers count)
if(NO_CEREAL AND count GREATER 0)
  list(GET cereal_headers 0 first)
  message(FATAL_ERROR "${HEADER} parses ${count} cereal header(s), the first:\n${first}")
endif()
message(STATUS "${HEADER}: compiles alone; ${count} cereal header(s)")
