// concur/detail/remote_submit.hpp - submit() for executors that run calls in
// other processes: the call is encoded in the caller's thread and queued as
// a RemoteJob. Not API.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "concur/detail/attachments.hpp"
#include "concur/detail/executor_access.hpp"
#include "concur/detail/remote_call.hpp"
#include "concur/future.hpp"
#include "concur/task_options.hpp"

namespace concur::detail {

// RemoteJob: a submitted call on its way to a worker process.
struct RemoteJob {
  StateRef<FutureStateBase> state;
  void (*deliver)(FutureStateBase&, std::string_view);  // the outcome's decoder
  std::string call;                                     // encode_call()'s bytes
  std::vector<SharedRegion> attachments;                // the shared memory it refers to
  std::optional<std::chrono::nanoseconds> timeout;
  int deaths = 0;             // workers that died holding it (see kMaxDeathsPerCall)
  std::uint64_t sent_as = 0;  // the frame id of its last sending; its outcome must echo it
};

template <class F, class... Args>
using remote_result_t = std::decay_t<std::invoke_result_t<F&, Args&...>>;

// ShippableCall: fn(args...) can run in another process.
template <class F, class... Args>
concept ShippableCall = Shippable<F> &&(Serializable<Args>&&...) &&
                        (std::is_void_v<remote_result_t<F, Args...>> ||
                         Serializable<remote_result_t<F, Args...>>);

// ShippedCall: checks a process-pool call at compile time, callable first,
// and names the type that fails. Its `ok` is what submit() branches on, so
// a failed check stops there: the first error is the static_assert, not
// the instantiation of the encoder behind it.
template <class F, class... Args>
struct ShippedCall {
  static constexpr bool callable_ok = shippable_callable_check<F>::ok;
  static constexpr bool arguments_ok = (serializable_argument_check<Args>::ok && ...);
  // result_ok: checked only once the rest holds, so nothing piles up behind
  // the first error.
  static constexpr bool result_ok() {
    if constexpr (callable_ok && arguments_ok) {
      static_assert(std::is_invocable_v<F&, Args&...>,
                    "ProcessPoolExecutor: the callable cannot be called with these arguments as "
                    "lvalues: a worker decodes each argument into a variable and calls fn(args...) "
                    "with them (take parameters by value or const reference)");
      if constexpr (std::is_invocable_v<F&, Args&...>) {
        return serializable_result_check<remote_result_t<F, Args...>>::ok;
      }
    }
    return false;
  }
  static constexpr bool ok = callable_ok && arguments_ok && result_ok();
};

// submit_remote: encodes fn(args...) and hands it to the executor's post_job().
// A call that cannot be encoded fails only its own future (Python's
// PicklingError); the executor is not involved.
template <class E, class F, class... Args>
auto submit_remote(E& executor, const TaskOptions& options, F&& fn, Args&&... args) {
  using Fn = std::decay_t<F>;
  using R = remote_result_t<Fn, std::decay_t<Args>...>;
  StateRef<FutureState<R>> state(new FutureState<R>());
  Future<R> future = make_future<R>(state);
  state->add_ref();  // the job's reference
  RemoteJob job{StateRef<FutureStateBase>(state.get()),
                &deliver_outcome<R>,
                std::string(),
                {},
                options.timeout};
  try {
    Attachments attachments;
    {
      const AttachmentScope scope(attachments);
      job.call = encode_call<Fn, std::decay_t<Args>...>(fn, args...);
    }
    job.attachments = std::move(attachments.outgoing);
  } catch (...) {
    state->set_exception(std::current_exception());
    return future;
  }
  ExecutorAccess::post_job(executor, std::move(job));
  return future;
}

}  // namespace concur::detail
