#include "concur/detail/shared_mapping.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "concur/errors.hpp"

namespace concur::detail {
namespace {

constexpr unsigned kSizeSeals = F_SEAL_SHRINK | F_SEAL_GROW;

std::string describe(std::size_t size) {
  if (size >= (std::size_t{1} << 20) && size % (std::size_t{1} << 20) == 0) {
    return std::to_string(size >> 20) + " MiB";
  }
  return std::to_string(size) + " bytes";
}

[[noreturn]] void fail(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), "concur: " + what);
}

int map_flags(SharedMapping::Populate populate) {
  return MAP_SHARED | (populate == SharedMapping::Populate::yes ? MAP_POPULATE : 0);
}

// Closes `fd` on every way out of adopt() that does not hand it on.
struct CloseUnlessKept {
  int fd;
  ~CloseUnlessKept() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

SharedMapping::SharedMapping(SharedMapping&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

SharedMapping& SharedMapping::operator=(SharedMapping&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SharedMapping::~SharedMapping() {
  release();
}

void SharedMapping::release() noexcept {
  if (data_ != nullptr) ::munmap(data_, size_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  data_ = nullptr;
  size_ = 0;
}

void SharedMapping::drop_descriptor() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

SharedMapping SharedMapping::create(std::size_t size, Populate populate) {
  if (size == 0) throw ValueError("concur: a shared-memory region must have at least one byte");
  CloseUnlessKept fd{::memfd_create("concur-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
  if (fd.fd < 0) fail(errno, "memfd_create for " + describe(size) + " of shared memory");
  if (::ftruncate(fd.fd, static_cast<off_t>(size)) != 0) {
    fail(errno, "cannot make " + describe(size) + " of shared memory");
  }
  // Reserve the pages now: past the memory limit this fails (ENOSPC,
  // ENOMEM) where a sparse region would SIGBUS when first written.
  if (const int error = ::posix_fallocate(fd.fd, 0, static_cast<off_t>(size)); error != 0) {
    fail(error, "cannot reserve " + describe(size) + " of shared memory");
  }
  if (::fcntl(fd.fd, F_ADD_SEALS, kSizeSeals | F_SEAL_SEAL) != 0) {
    fail(errno, "cannot seal a region of shared memory");
  }
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, map_flags(populate), fd.fd, 0);
  if (data == MAP_FAILED) fail(errno, "cannot map " + describe(size) + " of shared memory");
  return SharedMapping(std::exchange(fd.fd, -1), static_cast<std::byte*>(data), size);
}

SharedMapping SharedMapping::adopt(int fd, std::size_t needed, Populate populate) {
  CloseUnlessKept owned{fd};
  const int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    throw ValueError("concur: a descriptor offered as shared memory is not a memfd");
  }
  if ((static_cast<unsigned>(seals) & kSizeSeals) != kSizeSeals) {
    throw ValueError(
        "concur: a shared-memory region whose size is not sealed (it could shrink "
        "under its mapping)");
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0) fail(errno, "fstat of a shared-memory region");
  const auto size = static_cast<std::size_t>(status.st_size);
  if (size < needed || size == 0) {
    throw ValueError("concur: a shared-memory region of " + std::to_string(size) +
                     " bytes announced as holding " + std::to_string(needed));
  }
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, map_flags(populate), fd, 0);
  if (data == MAP_FAILED) fail(errno, "cannot map " + describe(size) + " of shared memory");
  return SharedMapping(std::exchange(owned.fd, -1), static_cast<std::byte*>(data), size);
}

}  // namespace concur::detail
