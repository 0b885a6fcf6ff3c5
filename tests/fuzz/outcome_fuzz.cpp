// libFuzzer target: the decoder of a task's outcome as a worker sends it (a
// value, or an exception record rebuilt as its type), into a running
// future, also for shared-memory handles. Bad bytes must end in ValueError
// and leave the future pending.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "concur/detail/attachments.hpp"
#include "concur/detail/remote_call.hpp"
#include "concur/errors.hpp"
#include "concur/future.hpp"
#include "concur/shared_memory.hpp"

namespace {

template <class R>
void deliver(std::string_view bytes) {
  concur::detail::StateRef<concur::detail::FutureState<R>> state(
      new concur::detail::FutureState<R>());
  if (!state->set_running_or_notify_cancel()) __builtin_trap();
  try {
    concur::detail::deliver_outcome<R>(*state.get(), bytes);
    if (!state->done()) __builtin_trap();
  } catch (const concur::ValueError&) {
    if (state->done()) __builtin_trap();  // refused bytes touch nothing
    state->set_exception(std::make_exception_ptr(concur::ValueError("refused")));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  // Outcomes that hold shared-memory handles refer to descriptors by index;
  // the frame brought none, so every index is out of range.
  concur::detail::Attachments attachments;
  const concur::detail::AttachmentScope scope(attachments);
  switch (data[0] % 7) {
    case 0:
      deliver<int>(bytes);
      break;
    case 1:
      deliver<std::string>(bytes);
      break;
    case 2:
      deliver<std::vector<std::string>>(bytes);
      break;
    case 3:
      deliver<void>(bytes);
      break;
    case 4:
      deliver<concur::SharedBuffer>(bytes);
      break;
    case 5:
      deliver<std::vector<concur::SharedArray<double>>>(bytes);
      break;
    default:
      deliver<std::map<int, std::string>>(bytes);
      break;
  }
  return 0;
}
