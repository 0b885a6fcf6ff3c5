# concur_warnings: the warning flags of concur's own targets. An INTERFACE
# target linked as $<BUILD_INTERFACE:...>, so consumers never inherit it.
add_library(concur_warnings INTERFACE)
target_compile_options(concur_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                 -Wnon-virtual-dtor -Wold-style-cast)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  # Lock discipline checked by the compiler (detail/thread_annotations.hpp),
  # except in targets that misuse locks on purpose (CONCUR_MISUSES_LOCKS).
  target_compile_options(concur_warnings INTERFACE
    $<$<NOT:$<BOOL:$<TARGET_PROPERTY:CONCUR_MISUSES_LOCKS>>>:-Wthread-safety>)
endif()
if(CONCUR_WERROR)
  target_compile_options(concur_warnings INTERFACE -Werror)
endif()
