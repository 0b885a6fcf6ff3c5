// Exceptions across the process boundary: a worker writes (kind, type name,
// what(), and for the kinds that carry more - an error code, paths - those);
// the parent rebuilds the same type for the standard and concur families and
// RemoteError for anything else. Whatever was thrown is named: a thrown int
// or string comes back as RemoteError("int: 42").
#include <cxxabi.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <ios>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <typeinfo>

#include "concur/detail/remote_call.hpp"
#include "concur/errors.hpp"

namespace concur::detail {
namespace {

// Detail: what an exception carries beyond its what(): an error code (the
// value and its category's name), and paths.
struct Detail {
  int code = 0;
  std::string category;
  std::string path1;
  std::string path2;
};

using Rebuild = std::exception_ptr (*)(const std::string& what, const Detail& detail);

template <class E>
std::exception_ptr rebuild(const std::string& what, const Detail&) {
  return std::make_exception_ptr(E(what));
}

// category_named: the standard error category with this name, if any (only
// those can be rebuilt in another process).
const std::error_category* category_named(const std::string& name) {
  for (const std::error_category* category : {&std::generic_category(), &std::system_category(),
                                              &std::iostream_category(), &std::future_category()}) {
    if (name == category->name()) return category;
  }
  return nullptr;
}

// strip: `what` without `prefix` and `suffix` where it has them: the
// argument the exception was built with, so the rebuilt one says the same.
std::string strip(const std::string& what, const std::string& prefix, const std::string& suffix) {
  std::string core = what;
  if (core.compare(0, prefix.size(), prefix) == 0) core.erase(0, prefix.size());
  if (core.size() >= suffix.size() &&
      core.compare(core.size() - suffix.size(), suffix.size(), suffix) == 0) {
    core.erase(core.size() - suffix.size());
  }
  return core;
}

std::exception_ptr rebuild_system_error(const std::string& what, const Detail& detail) {
  const std::error_category* category = category_named(detail.category);
  if (category == nullptr) {
    return std::make_exception_ptr(RemoteError("std::system_error", what));
  }
  const std::error_code code(detail.code, *category);
  if (what == code.message()) return std::make_exception_ptr(std::system_error(code));
  return std::make_exception_ptr(std::system_error(code, strip(what, "", ": " + code.message())));
}

std::exception_ptr rebuild_filesystem_error(const std::string& what, const Detail& detail) {
  const std::error_category* category = category_named(detail.category);
  if (category == nullptr) {
    return std::make_exception_ptr(RemoteError("std::filesystem::filesystem_error", what));
  }
  const std::error_code code(detail.code, *category);
  std::string suffix = ": " + code.message();
  if (!detail.path1.empty()) suffix += " [" + detail.path1 + "]";
  if (!detail.path2.empty()) suffix += " [" + detail.path2 + "]";
  return std::make_exception_ptr(std::filesystem::filesystem_error(
      strip(what, "filesystem error: ", suffix), detail.path1, detail.path2, code));
}

std::exception_ptr rebuild_bad_alloc(const std::string&, const Detail&) {
  return std::make_exception_ptr(std::bad_alloc());
}

struct KnownType {
  const std::type_info& type;
  Rebuild make;
};

// Index = the kind on the wire; append only.
const KnownType kKnownTypes[] = {
    {typeid(std::logic_error), rebuild<std::logic_error>},
    {typeid(std::invalid_argument), rebuild<std::invalid_argument>},
    {typeid(std::domain_error), rebuild<std::domain_error>},
    {typeid(std::length_error), rebuild<std::length_error>},
    {typeid(std::out_of_range), rebuild<std::out_of_range>},
    {typeid(std::runtime_error), rebuild<std::runtime_error>},
    {typeid(std::range_error), rebuild<std::range_error>},
    {typeid(std::overflow_error), rebuild<std::overflow_error>},
    {typeid(std::underflow_error), rebuild<std::underflow_error>},
    {typeid(Error), rebuild<Error>},
    {typeid(RuntimeError), rebuild<RuntimeError>},
    {typeid(ValueError), rebuild<ValueError>},
    {typeid(TimeoutError), rebuild<TimeoutError>},
    {typeid(CancelledError), rebuild<CancelledError>},
    {typeid(InvalidStateError), rebuild<InvalidStateError>},
    {typeid(BrokenExecutor), rebuild<BrokenExecutor>},
    {typeid(BrokenThreadPool), rebuild<BrokenThreadPool>},
    {typeid(BrokenProcessPool), rebuild<BrokenProcessPool>},
    {typeid(BrokenBarrierError), rebuild<BrokenBarrierError>},
    {typeid(QueueEmpty), rebuild<QueueEmpty>},
    {typeid(QueueFull), rebuild<QueueFull>},
    {typeid(QueueShutDown), rebuild<QueueShutDown>},
    {typeid(std::system_error), rebuild_system_error},
    {typeid(std::filesystem::filesystem_error), rebuild_filesystem_error},
    {typeid(std::ios_base::failure), rebuild_system_error},  // rebuilt as its base
    {typeid(std::bad_alloc), rebuild_bad_alloc},
};
constexpr std::uint8_t kUnknownKind = 0xff;

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> readable(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && readable ? std::string(readable.get()) : std::string(name);
}

void write_string(std::string& out, const std::string& text) {
  write_pod(out, static_cast<std::uint64_t>(text.size()));
  out.append(text);
}

}  // namespace

void write_current_exception(std::string& out) noexcept {
  std::uint8_t kind = kUnknownKind;
  std::string type_name = "an unknown type";
  std::string what;
  Detail detail;
  try {
    try {
      throw;
    } catch (const RemoteError& e) {
      // Pass a remote error on as what it was.
      type_name = e.remote_type();
      const std::string full = e.what();
      const std::string prefix = type_name + ": ";
      what = full.compare(0, prefix.size(), prefix) == 0 ? full.substr(prefix.size()) : full;
    } catch (const std::exception& e) {
      const std::type_info& type = typeid(e);
      for (std::size_t i = 0; i < std::size(kKnownTypes); ++i) {
        if (kKnownTypes[i].type == type) kind = static_cast<std::uint8_t>(i);
      }
      type_name = demangle(type.name());
      what = e.what();
      if (const auto* system = dynamic_cast<const std::system_error*>(&e)) {
        detail.code = system->code().value();
        detail.category = system->code().category().name();
      }
      if (const auto* fs = dynamic_cast<const std::filesystem::filesystem_error*>(&e)) {
        detail.path1 = fs->path1().string();
        detail.path2 = fs->path2().string();
      }
    } catch (const std::string& text) {
      type_name = "std::string";
      what = text;
    } catch (const char* text) {
      type_name = "const char*";
      what = text != nullptr ? text : "(null)";
    } catch (int value) {
      type_name = "int";
      what = std::to_string(value);
    } catch (long value) {
      type_name = "long";
      what = std::to_string(value);
    } catch (...) {
      // Some other type: named, with nothing more to say of it.
      if (const std::type_info* type = abi::__cxa_current_exception_type()) {
        type_name = demangle(type->name());
      }
      what = "(thrown by value: not a std::exception)";
    }
  } catch (...) {
    // Out of memory while describing it: sent as it is.
  }
  try {
    out.clear();
    out.push_back(static_cast<char>(Outcome::exception));
    write_pod(out, kind);
    write_string(out, type_name);
    write_string(out, what);
    write_pod(out, static_cast<std::int32_t>(detail.code));
    write_string(out, detail.category);
    write_string(out, detail.path1);
    write_string(out, detail.path2);
  } catch (...) {
    // Out of memory while reporting: the parent sees a short record and
    // fails the task with BrokenProcessPool.
    out.clear();
  }
}

std::exception_ptr read_exception(ByteReader& in) {
  const auto kind = in.pod<std::uint8_t>();
  std::string type_name = in.string();
  std::string what = in.string();
  Detail detail;
  detail.code = in.pod<std::int32_t>();
  detail.category = in.string();
  detail.path1 = in.string();
  detail.path2 = in.string();
  in.expect_end("concur: an exception record");
  if (kind < std::size(kKnownTypes)) return kKnownTypes[kind].make(what, detail);
  if (kind != kUnknownKind) throw ValueError("concur: unknown exception kind");
  return std::make_exception_ptr(RemoteError(std::move(type_name), what));
}

}  // namespace concur::detail
