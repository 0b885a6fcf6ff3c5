// concur/detail/commit_on_return.hpp - a step that runs only when its scope
// is left by a return, not by an exception. Not API.
//
// The queues' gets use it for the strong guarantee: they return the item as
// a prvalue moved straight out of the store into the caller's object
// (guaranteed copy elision: one move, however many layers it returns
// through), and remove it from the store only afterwards, in a
// CommitOnReturn. A return value is initialised before the locals of the
// returning function are destroyed, so if that one move throws, the commit
// does not run and the item is still where it was.
#pragma once

#include <exception>
#include <utility>

namespace concur::detail {

template <class Commit>
class CommitOnReturn {
 public:
  explicit CommitOnReturn(Commit commit) noexcept : commit_(std::move(commit)) {}
  CommitOnReturn(const CommitOnReturn&) = delete;
  CommitOnReturn& operator=(const CommitOnReturn&) = delete;
  // The count, not a bool: a get called from a destructor during unwinding
  // still commits when it returns normally.
  ~CommitOnReturn() {
    if (std::uncaught_exceptions() == uncaught_at_entry_) commit_();
  }

 private:
  Commit commit_;
  int uncaught_at_entry_ = std::uncaught_exceptions();
};

}  // namespace concur::detail
