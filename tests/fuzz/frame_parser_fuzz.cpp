// libFuzzer target: the parent's parser of frames from a worker, fed the
// input in pieces (the first byte sets their size, as a socket splits a
// stream), and the region references such frames carry. Bad bytes must
// end in ValueError; nothing else may happen.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "concur/errors.hpp"
#include "process_pool/wire.hpp"

namespace wire = concur::detail::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = data[0] % 64 + 1;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  const std::size_t length = size - 1;
  wire::FrameParser parser;
  try {
    for (std::size_t at = 0; at < length; at += piece) {
      parser.feed(bytes + at, std::min(piece, length - at));
      while (const auto frame = parser.next()) {
        if (frame->payload.size() > wire::kMaxWorkerPayload) __builtin_trap();
        if (frame->descriptors > wire::kMaxDescriptors) __builtin_trap();
        if (frame->kind == wire::Kind::outcome_in_region) {
          try {
            const wire::RegionRef ref = wire::decode_region_ref(frame->payload, frame->descriptors);
            if (ref.slot >= wire::kRegionSlots || ref.size > wire::kMaxPayload) __builtin_trap();
          } catch (const concur::ValueError&) {
          }
        }
      }
      if (const auto header = parser.incomplete_header()) {
        if (header->size > wire::kMaxWorkerPayload) __builtin_trap();
      }
    }
  } catch (const concur::ValueError&) {
    // refused: what a corrupt worker gets
  }
  return 0;
}
