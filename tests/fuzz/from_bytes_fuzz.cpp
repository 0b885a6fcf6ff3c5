// libFuzzer target: concur::from_bytes of the Serializable types tasks use
// most, on untrusted bytes (the first byte picks the type). Bad bytes must
// end in ValueError: never a read past the end, never an allocation larger
// than the input could describe (the run's memory limit catches those).
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "concur/errors.hpp"
#include "concur/serialize.hpp"

namespace {

struct Point {
  double x;
  double y;
  int tag;
};

template <class T>
void decode(std::string_view bytes) {
  try {
    T value = concur::from_bytes<T>(bytes);
    // What decoded must encode again and decode to the same bytes.
    const std::string again = concur::to_bytes(value);
    if (concur::to_bytes(concur::from_bytes<T>(again)) != again) __builtin_trap();
  } catch (const concur::ValueError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 10) {
    case 0:
      decode<std::string>(bytes);
      break;
    case 1:
      decode<std::vector<int>>(bytes);
      break;
    case 2:
      decode<std::map<std::string, int>>(bytes);
      break;
    case 3:
      decode<std::tuple<int, std::string, std::vector<double>>>(bytes);
      break;
    case 4:
      decode<std::optional<std::string>>(bytes);
      break;
    case 5:
      decode<std::vector<std::vector<std::string>>>(bytes);
      break;
    case 6:
      decode<std::variant<int, std::string, Point>>(bytes);
      break;
    case 7:
      decode<std::set<long>>(bytes);
      break;
    case 8:
      decode<std::pair<Point, std::vector<Point>>>(bytes);
      break;
    default:
      decode<std::map<int, std::vector<std::string>>>(bytes);
      break;
  }
  return 0;
}
