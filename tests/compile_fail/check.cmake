# Compiles SOURCE, which must fail, and checks that the first error the
# compiler prints is concur's static_assert, and that EXPECTED (the fix or
# the offending type) is said in its diagnostic: the error or the
# instantiation context the compiler prints with it, which names the type.
# Usage: cmake -DCOMPILER=... -DINCLUDE=... -DSOURCE=... -DEXPECTED=... -P check.cmake
execute_process(
  COMMAND ${COMPILER} -std=c++20 -fsyntax-only -I${INCLUDE} ${SOURCE}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(status EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but must not")
endif()
string(REGEX MATCH "[^\n]*error:[^\n]*" first_error "${err}")
if(NOT first_error MATCHES "static.assert")
  message(FATAL_ERROR "the first error is not concur's static_assert:\n${first_error}\n\n${err}")
endif()
# The first diagnostic: everything before the second error (GCC prints the
# instantiation context before an error, Clang its notes after).
string(FIND "${err}" "${first_error}" first_at)
string(LENGTH "${first_error}" first_length)
math(EXPR after_first "${first_at} + ${first_length}")
string(SUBSTRING "${err}" ${after_first} -1 rest)
string(FIND "${rest}" "error:" next_error)
if(next_error EQUAL -1)
  set(first_diagnostic "${err}")
else()
  math(EXPR through "${after_first} + ${next_error}")
  string(SUBSTRING "${err}" 0 ${through} first_diagnostic)
endif()
string(FIND "${first_diagnostic}" "${EXPECTED}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the first diagnostic does not say '${EXPECTED}':\n${first_diagnostic}")
endif()
string(REGEX MATCHALL "error:" errors "${err}")
list(LENGTH errors count)
message(STATUS "${SOURCE}: ${count} error(s); the first: ${first_error}")
