// concur/detail/code_address.hpp - naming a function so that another process
// running the same program can call it. Not API.
//
// A raw function address is meaningless after exec: position-independent
// executables and shared libraries load at a random base each run. What
// survives is the function's offset from its module's load base, together
// with something naming the module; we use its GNU build-id (a hash the
// linker stamps into the file), or the module's path when it has none.
#pragma once

#include <cstdint>

namespace concur::detail {

struct CodeAddress {
  std::uint64_t module_key = 0;  // build-id (first 8 bytes) or a hash of the path
  std::uint64_t offset = 0;      // from the module's load base
};

// locate_code: the CodeAddress of a function in this process. Throws
// ValueError if the address is not code in a loaded module.
CodeAddress locate_code(std::uintptr_t function);

// resolve_code: the address, in this process, of a function named by
// locate_code() in a process running the same program. Throws ValueError if
// no loaded module has that key or the offset is not inside its code.
std::uintptr_t resolve_code(CodeAddress address);

// code_address_of: locate_code(fn), cached per function for the program's
// life (for functions fixed at compile time, such as trampolines).
template <auto Function>
const CodeAddress& code_address_of() {
  static const CodeAddress address = locate_code(reinterpret_cast<std::uintptr_t>(Function));
  return address;
}

}  // namespace concur::detail
