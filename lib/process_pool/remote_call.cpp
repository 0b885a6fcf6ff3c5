// The worker's side of a shipped call: the trampoline that encode_call()
// named decodes the callable and the arguments, runs the call and encodes
// its outcome (remote_call.hpp).
#include "concur/detail/remote_call.hpp"

#include <string>
#include <string_view>

#include "concur/detail/byte_reader.hpp"
#include "concur/detail/code_address.hpp"

namespace concur::detail {

void run_encoded_call(std::string_view call, std::string& outcome) noexcept {
  outcome.clear();
  try {
    ByteReader in(call);
    const auto trampoline = reinterpret_cast<Trampoline>(resolve_code(in.pod<CodeAddress>()));
    trampoline(in, outcome);
  } catch (...) {
    write_current_exception(outcome);
  }
}

}  // namespace concur::detail
