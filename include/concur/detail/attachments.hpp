// concur/detail/attachments.hpp - the shared-memory regions that travel
// beside an encoded call or outcome, as descriptors on the worker's socket
// (SCM_RIGHTS). Not API; see concur/shared_memory.hpp.
//
// A SharedBuffer inside a call's arguments is encoded as an index into the
// call's attachments; the region itself is attached to the frame. Encoding
// and decoding happen deep inside cereal, which passes nothing but the
// archive down, so the attachments of the call being encoded or decoded on
// this thread are found through AttachmentScope.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "concur/detail/shared_mapping.hpp"

namespace concur::detail {

using SharedRegion = std::shared_ptr<SharedMapping>;

// The most distinct regions one call or outcome may refer to: a frame
// carries at most 64 descriptors, one of them perhaps its own payload's
// region.
inline constexpr std::size_t kMaxAttachments = 63;

struct Attachments {
  // outgoing: regions an encoding refers to, in index order (one entry per
  // distinct region: two handles to one region stay one region).
  std::vector<SharedRegion> outgoing;
  // incoming: descriptors received with a frame, not yet mapped (-1 once
  // taken over), and the regions already mapped from them.
  std::vector<int> incoming;
  std::vector<SharedRegion> mapped;

  Attachments() = default;
  Attachments(Attachments&&) noexcept = default;
  Attachments& operator=(Attachments&& other) noexcept;
  Attachments(const Attachments&) = delete;
  Attachments& operator=(const Attachments&) = delete;
  ~Attachments();  // closes the incoming descriptors nobody took

  // add: the index of `region` among the outgoing ones; ValueError past
  // kMaxAttachments.
  std::uint32_t add(const SharedRegion& region);
  // take: the region at `index` of the incoming ones, mapped once whatever
  // the number of handles that name it; ValueError if there is no such
  // descriptor or it is not a sealed region of at least `bytes`.
  SharedRegion take(std::uint32_t index, std::size_t bytes);
  void close_incoming() noexcept;
};

// AttachmentScope: while alive, `attachments` are this thread's: the ones
// SharedBuffer's encoding adds to and its decoding takes from.
class AttachmentScope {
 public:
  explicit AttachmentScope(Attachments& attachments) noexcept;
  ~AttachmentScope();
  AttachmentScope(const AttachmentScope&) = delete;
  AttachmentScope& operator=(const AttachmentScope&) = delete;

  // current: this thread's attachments; ValueError if none (a SharedBuffer
  // encoded other than as a process-pool task's argument or result).
  static Attachments& current();

 private:
  Attachments* previous_;
};

}  // namespace concur::detail
