// concur/detail/shared_mapping.hpp - an anonymous shared-memory region (a
// sealed memfd) and this process's mapping of it. Not API; see
// concur/shared_memory.hpp.
//
// The region has no name anywhere (no /dev/shm entry), so nothing can be
// left behind: the kernel frees its pages when the last descriptor and the
// last mapping of it are gone, in whichever process. Its size is sealed
// (F_SEAL_SHRINK | F_SEAL_GROW) before anyone else sees it, so no process
// can truncate it under another's mapping and make that process fault
// (SIGBUS) on a page that is gone.
#pragma once

#include <cstddef>

namespace concur::detail {

class SharedMapping {
 public:
  SharedMapping() = default;
  SharedMapping(SharedMapping&& other) noexcept;
  SharedMapping& operator=(SharedMapping&& other) noexcept;
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;
  ~SharedMapping();

  // Populate: whether the mapping's page tables are filled at once. A
  // region reused from task to task is populated (one pass in the kernel
  // instead of a page fault per page on first use, a few microseconds each
  // on a virtual machine); a buffer handed over whole is not (its hand-off
  // must not cost in proportion to its size).
  enum class Populate : bool { no, yes };

  // create: a new zero-filled region of `size` (> 0) bytes, its memory
  // reserved up front, so a region that the memory limit does not allow
  // fails here - std::system_error naming the size and the cause - rather
  // than as a SIGBUS on first touch.
  static SharedMapping create(std::size_t size, Populate populate = Populate::no);

  // adopt: maps a descriptor that arrived from another process, taking it
  // over (it is closed on every path). Checked first, as untrusted input:
  // it must be a memfd whose size is sealed against shrinking and growing,
  // and at least `needed` bytes long; ValueError naming the defect
  // otherwise, std::system_error if the mapping cannot be made.
  static SharedMapping adopt(int fd, std::size_t needed, Populate populate = Populate::no);

  // drop_descriptor: keeps the mapping only (the memory stays while it is
  // mapped), for a region this process will never send on.
  void drop_descriptor() noexcept;

  std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  int fd() const noexcept { return fd_; }  // -1 once dropped
  explicit operator bool() const noexcept { return data_ != nullptr; }

 private:
  SharedMapping(int fd, std::byte* data, std::size_t size) noexcept
      : fd_(fd), data_(data), size_(size) {}
  void release() noexcept;

  int fd_ = -1;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace concur::detail
