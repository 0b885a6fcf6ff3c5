// The module table behind CodeAddress: every loaded ELF module with its load
// base, its executable segments and its key, from dl_iterate_phdr.
#include "concur/detail/code_address.hpp"

#include <elf.h>
#include <link.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concur/detail/mutex.hpp"
#include "concur/detail/thread_annotations.hpp"
#include "concur/errors.hpp"

namespace concur::detail {
namespace {

struct CodeRange {
  std::uintptr_t begin;  // offsets from the module's base
  std::uintptr_t end;
};

struct Module {
  std::uint64_t key = 0;
  std::uintptr_t base = 0;
  std::vector<CodeRange> code;
};

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash = (hash ^ c) * 0x100000001b3ULL;
  }
  return hash;
}

// build_id_key: the first 8 bytes of the module's NT_GNU_BUILD_ID note, or 0.
std::uint64_t build_id_key(const dl_phdr_info& info) {
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info.dlpi_phdr[i];
    if (segment.p_type != PT_NOTE) continue;
    const auto* at = reinterpret_cast<const unsigned char*>(info.dlpi_addr + segment.p_vaddr);
    const unsigned char* end = at + segment.p_memsz;
    while (at + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, at, sizeof note);
      const unsigned char* name = at + sizeof note;
      const unsigned char* desc = name + ((note.n_namesz + 3) & ~3U);
      const unsigned char* next = desc + ((note.n_descsz + 3) & ~3U);
      if (next > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0 && note.n_descsz >= 8) {
        std::uint64_t key = 0;
        std::memcpy(&key, desc, sizeof key);
        return key;
      }
      at = next;
    }
  }
  return 0;
}

int add_module(dl_phdr_info* info, std::size_t, void* out) {
  Module module;
  module.base = info->dlpi_addr;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type == PT_LOAD && (segment.p_flags & PF_X) != 0) {
      module.code.push_back({segment.p_vaddr, segment.p_vaddr + segment.p_memsz});
    }
  }
  if (module.code.empty()) return 0;
  module.key = build_id_key(*info);
  if (module.key == 0) {
    // The main program's dlpi_name is empty; name it by its own path.
    std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
    module.key = fnv1a(name.empty() ? std::string_view("<main program>") : name);
  }
  static_cast<std::vector<Module>*>(out)->push_back(std::move(module));
  return 0;
}

bool contains(const Module& module, std::uintptr_t offset) {
  for (const CodeRange& range : module.code) {
    if (offset >= range.begin && offset < range.end) return true;
  }
  return false;
}

// The table is read far more often than modules are loaded: scan once, and
// again only when a lookup misses (a library dlopen()ed since).
class ModuleTable {
 public:
  // find: whether match(module) held for a module; match runs under the
  // table's lock and must take what it needs from the module there (a
  // rescan by another thread replaces the modules).
  template <class Match>
  bool find(Match&& match) {
    detail::MutexLock hold(mutex_);
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (attempt == 1 || modules_.empty()) rescan();
      for (const Module& module : modules_) {
        if (match(module)) return true;
      }
    }
    return false;
  }

 private:
  void rescan() CONCUR_REQUIRES(mutex_) {
    std::vector<Module> modules;
    dl_iterate_phdr(add_module, &modules);
    modules_ = std::move(modules);
  }

  detail::Mutex mutex_;
  std::vector<Module> modules_ CONCUR_GUARDED_BY(mutex_);
};

ModuleTable& module_table() {
  static ModuleTable table;
  return table;
}

}  // namespace

CodeAddress locate_code(std::uintptr_t function) {
  CodeAddress address;
  const bool found = module_table().find([&](const Module& m) {
    if (function < m.base || !contains(m, function - m.base)) return false;
    address.module_key = m.key;
    address.offset = function - m.base;
    return true;
  });
  if (!found) {
    throw ValueError("concur: address " + std::to_string(function) +
                     " is not a function of any loaded module, so it cannot be shipped to a "
                     "worker process");
  }
  return address;
}

std::uintptr_t resolve_code(CodeAddress address) {
  std::uintptr_t result = 0;
  const bool found = module_table().find([&](const Module& m) {
    if (m.key != address.module_key) return false;
    if (!contains(m, address.offset)) return false;
    result = m.base + address.offset;
    return true;
  });
  if (!found) {
    throw ValueError("concur: the worker has no function at offset " +
                     std::to_string(address.offset) + " of module " +
                     std::to_string(address.module_key) +
                     " (is the module loaded in the worker, and the same build?)");
  }
  return result;
}

}  // namespace concur::detail
