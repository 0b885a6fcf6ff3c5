# concur_sanitizers: compile and link flags for CONCUR_SANITIZE, applied to the
# library and everything of concur's that links it (never to consumers).
add_library(concur_sanitizers INTERFACE)
if(CONCUR_SANITIZE)
  set(_flags -fsanitize=${CONCUR_SANITIZE} -fno-omit-frame-pointer -g)
  if(CONCUR_SANITIZE MATCHES "undefined")
    list(APPEND _flags -fno-sanitize-recover=all)
    # Clang 14's -fsanitize=function puts prologue data before each function,
    # which it cannot emit for a coroutine split into parts ("Cannot
    # represent a difference across sections"); GCC has no such check.
    if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      list(APPEND _flags -fno-sanitize=function)
    endif()
    # For the few tests that exhaust descriptors: UBSan itself needs one.
    target_compile_definitions(concur_sanitizers INTERFACE CONCUR_UBSAN=1)
  endif()
  target_compile_options(concur_sanitizers INTERFACE ${_flags})
  target_link_options(concur_sanitizers INTERFACE ${_flags})
  target_compile_definitions(concur_sanitizers INTERFACE CONCUR_SANITIZED=1)
endif()
