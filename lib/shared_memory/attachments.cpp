#include "concur/detail/attachments.hpp"

#include <unistd.h>

#include <string>
#include <utility>

#include "concur/errors.hpp"

namespace concur::detail {
namespace {

thread_local Attachments* current_attachments = nullptr;

}  // namespace

Attachments& Attachments::operator=(Attachments&& other) noexcept {
  if (this != &other) {
    close_incoming();
    outgoing = std::move(other.outgoing);
    incoming = std::move(other.incoming);
    mapped = std::move(other.mapped);
  }
  return *this;
}

Attachments::~Attachments() {
  close_incoming();
}

void Attachments::close_incoming() noexcept {
  for (int& fd : incoming) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

std::uint32_t Attachments::add(const SharedRegion& region) {
  for (std::size_t i = 0; i < outgoing.size(); ++i) {
    if (outgoing[i] == region) return static_cast<std::uint32_t>(i);
  }
  if (outgoing.size() == kMaxAttachments) {
    throw ValueError("concur: a task's arguments or result may refer to at most " +
                     std::to_string(kMaxAttachments) +
                     " distinct SharedBuffers or SharedArrays (one descriptor each)");
  }
  outgoing.push_back(region);
  return static_cast<std::uint32_t>(outgoing.size() - 1);
}

SharedRegion Attachments::take(std::uint32_t index, std::size_t bytes) {
  if (index >= incoming.size()) {
    throw ValueError("concur: a shared buffer refers to attachment " + std::to_string(index) +
                     " of " + std::to_string(incoming.size()));
  }
  if (mapped.size() < incoming.size()) mapped.resize(incoming.size());
  if (!mapped[index]) {
    const int fd = std::exchange(incoming[index], -1);
    if (fd < 0) throw ValueError("concur: a shared buffer's attachment is gone");
    mapped[index] = std::make_shared<SharedMapping>(SharedMapping::adopt(fd, bytes));
  }
  if (mapped[index]->size() < bytes) {
    throw ValueError("concur: a shared buffer of " + std::to_string(bytes) +
                     " bytes in a region of " + std::to_string(mapped[index]->size()));
  }
  return mapped[index];
}

AttachmentScope::AttachmentScope(Attachments& attachments) noexcept
    : previous_(std::exchange(current_attachments, &attachments)) {}

AttachmentScope::~AttachmentScope() {
  current_attachments = previous_;
}

Attachments& AttachmentScope::current() {
  if (current_attachments == nullptr) {
    throw ValueError(
        "concur: a SharedBuffer or SharedArray travels only as an argument or result of a "
        "process-pool task (it is a handle to memory, not bytes to copy)");
  }
  return *current_attachments;
}

}  // namespace concur::detail
