// Test helpers that work the same across threads and processes: gates and
// counters kept in files (a task shipped to a worker process can carry
// their paths, which are plain values), and the check that a test left no
// child process or descriptor behind.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "support/threads.hpp"

namespace concur::test {

// FilePath: a path as a trivially copyable value (lambdas may capture it).
struct FilePath {
  std::array<char, 112> text{};

  static FilePath unique(const char* tag) {
    static std::atomic<int> counter{0};
    FilePath path;
    std::snprintf(path.text.data(), path.text.size(), "/tmp/concur-test-%d-%s-%d",
                  static_cast<int>(::getpid()), tag, counter.fetch_add(1));
    ::unlink(path.c_str());
    return path;
  }
  const char* c_str() const { return text.data(); }
};

// FileGate: an Event that any process can set and wait for.
struct FileGate {
  FilePath path = FilePath::unique("gate");

  void set() const {
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  bool is_set() const { return ::access(path.c_str(), F_OK) == 0; }
  // wait: true once set; false after the hang guard.
  bool wait() const {
    const auto give_up = std::chrono::steady_clock::now() + kHangGuard;
    while (!is_set()) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  void remove() const { ::unlink(path.c_str()); }
};

// FileCounter: a counter any process can add to (one byte per increment,
// appended atomically).
struct FileCounter {
  FilePath path = FilePath::unique("count");

  void add() const {
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return;
    [[maybe_unused]] ssize_t n = ::write(fd, "x", 1);
    ::close(fd);
  }
  long value() const {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 ? static_cast<long>(info.st_size) : 0;
  }
  void remove() const { ::unlink(path.c_str()); }
};

// child_processes: the pids whose parent is this process (zombies too).
inline std::set<int> child_processes() {
  std::set<int> children;
  const int self = static_cast<int>(::getpid());
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = ::readdir(proc)) {
    const int pid = std::atoi(entry->d_name);
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces; parse after ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int parent = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &parent) == 2 && parent == self) {
      children.insert(pid);
    }
  }
  ::closedir(proc);
  return children;
}

// open_descriptors: this process's open file descriptors.
inline std::set<int> open_descriptors() {
  std::set<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  const int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd != own) fds.insert(fd);
  }
  ::closedir(dir);
  return fds;
}

// shared_memory_segments: the POSIX shared-memory objects (/dev/shm).
inline std::set<std::string> shared_memory_segments() {
  std::set<std::string> names;
  DIR* dir = ::opendir("/dev/shm");
  if (dir == nullptr) return names;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') names.insert(entry->d_name);
  }
  ::closedir(dir);
  return names;
}

// CONCUR_TEST_ASAN / CONCUR_TEST_TSAN: 1 in a build under that sanitizer
// (GCC says so with __SANITIZE_*__, Clang with __has_feature).
#if defined(__SANITIZE_ADDRESS__)
#define CONCUR_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONCUR_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CONCUR_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CONCUR_TEST_TSAN 1
#endif
#endif

// under_thread_sanitizer: whether this build runs under TSan, which checks
// every byte a big copy moves (hundreds of MiB take minutes).
constexpr bool under_thread_sanitizer() {
#if defined(CONCUR_TEST_TSAN)
  return true;
#else
  return false;
#endif
}

// under_sanitizer: whether this build runs under ASan or TSan (whose
// shadow memory needs address space a test may want to limit).
constexpr bool under_sanitizer() {
#if defined(CONCUR_TEST_ASAN)
  return true;
#else
  return under_thread_sanitizer();
#endif
}

// shared_memory_mappings: this process's mappings of anonymous shared
// memory (memfd regions), as the lines of /proc/self/maps that name one.
inline std::multiset<std::string> shared_memory_mappings() {
  std::multiset<std::string> mappings;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find("/memfd:") != std::string::npos) mappings.insert(line);
  }
  return mappings;
}

// NothingLeaks: a fixture that fails a test which leaves a child process
// (even a zombie), a descriptor, a shared-memory segment or a mapping of
// shared memory behind.
class NothingLeaks : public ::testing::Test {
 protected:
  void SetUp() override {
    fds_before_ = open_descriptors();
    shm_before_ = shared_memory_segments();
    mappings_before_ = shared_memory_mappings();
  }
  void TearDown() override {
    EXPECT_EQ(child_processes(), std::set<int>{}) << "child processes outlived the test";
    EXPECT_EQ(open_descriptors(), fds_before_) << "descriptors leaked";
    EXPECT_EQ(shared_memory_segments(), shm_before_) << "shared memory leaked";
    EXPECT_EQ(shared_memory_mappings(), mappings_before_) << "shared-memory mappings leaked";
  }

 private:
  std::set<int> fds_before_;
  std::set<std::string> shm_before_;
  std::multiset<std::string> mappings_before_;
};

}  // namespace concur::test
