// Exceptions across the process boundary: a worker writes (kind, type name,
// what()); the parent rebuilds the same type for the standard and concur
// families and RemoteError for anything else.
#include <cxxabi.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include "concur/detail/remote_call.hpp"
#include "concur/errors.hpp"

namespace concur::detail {
namespace {

using Rebuild = std::exception_ptr (*)(const std::string& what);

template <class E>
std::exception_ptr rebuild(const std::string& what) {
  return std::make_exception_ptr(E(what));
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

std::string read_string(std::string_view& in) {
  const auto size = read_pod<std::uint64_t>(in);
  if (size > in.size()) throw ValueError("concur: corrupt exception record");
  std::string text(in.substr(0, size));
  in.remove_prefix(size);
  return text;
}

}  // namespace

void write_current_exception(std::string& out) noexcept {
  std::uint8_t kind = kUnknownKind;
  std::string type_name = "unknown exception (not derived from std::exception)";
  std::string what;
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
  } catch (...) {
  }
  try {
    out.clear();
    out.push_back(static_cast<char>(Outcome::exception));
    write_pod(out, kind);
    write_string(out, type_name);
    write_string(out, what);
  } catch (...) {
    // Out of memory while reporting: the parent sees a short record and
    // fails the task with BrokenProcessPool.
    out.clear();
  }
}

std::exception_ptr read_exception(std::string_view& in) {
  const auto kind = read_pod<std::uint8_t>(in);
  std::string type_name = read_string(in);
  std::string what = read_string(in);
  if (!in.empty()) throw ValueError("concur: bytes after an exception record");
  if (kind < std::size(kKnownTypes)) return kKnownTypes[kind].make(what);
  if (kind != kUnknownKind) throw ValueError("concur: unknown exception kind");
  return std::make_exception_ptr(RemoteError(std::move(type_name), what));
}

void run_encoded_call(std::string_view call, std::string& outcome) noexcept {
  outcome.clear();
  try {
    const auto address = read_pod<CodeAddress>(call);
    const auto trampoline = reinterpret_cast<Trampoline>(resolve_code(address));
    trampoline(call, outcome);
  } catch (...) {
    write_current_exception(outcome);
  }
}

}  // namespace concur::detail
