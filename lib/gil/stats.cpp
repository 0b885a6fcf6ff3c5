// Stats: the derived figures, the table and the JSON.
#include <cstdio>
#include <ostream>
#include <string>

#include "concur/gil.hpp"

namespace concur::gil {
namespace {

double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}
double micros(std::chrono::nanoseconds d) {
  return static_cast<double>(d.count()) / 1e3;
}

std::string format(const char* pattern, auto... values) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, values...);
  return buffer;
}

}  // namespace

double Stats::switches_per_second() const {
  return wall.count() > 0 ? static_cast<double>(switches) / seconds(wall) : 0.0;
}

double Stats::held_fraction() const {
  return wall.count() > 0 ? seconds(held) / seconds(wall) : 0.0;
}

std::string Stats::table() const {
  std::string out;
  out +=
      format("GIL over %.3f s: held %.1f%%, %llu acquisitions, %llu switches (%.0f/s)\n",
             seconds(wall), 100.0 * held_fraction(), static_cast<unsigned long long>(acquisitions),
             static_cast<unsigned long long>(switches), switches_per_second());
  out += format("  drop requests %llu, forced switches %llu, waited %.3f s in all\n",
                static_cast<unsigned long long>(drop_requests),
                static_cast<unsigned long long>(forced_switches), seconds(waited));
  out += format("  slice p50 %.1f us, p99 %.1f us, max %.1f us\n", micros(slice.p50),
                micros(slice.p99), micros(slice.max));
  out += "  thread  acquisitions     held s   waited s  wait p50 us  wait p99 us  wait max us\n";
  for (const ThreadStats& t : threads) {
    out += format("  %6zu  %12llu  %9.3f  %9.3f  %11.1f  %11.1f  %11.1f\n", t.thread,
                  static_cast<unsigned long long>(t.acquisitions), seconds(t.held),
                  seconds(t.waited), micros(t.wait.p50), micros(t.wait.p99), micros(t.wait.max));
  }
  return out;
}

std::string Stats::json() const {
  std::string out = "{";
  out += format("\"wall_s\": %.6f, \"held_s\": %.6f, \"waited_s\": %.6f, ", seconds(wall),
                seconds(held), seconds(waited));
  out += format("\"held_fraction\": %.6f, \"acquisitions\": %llu, \"switches\": %llu, ",
                held_fraction(), static_cast<unsigned long long>(acquisitions),
                static_cast<unsigned long long>(switches));
  out += format("\"switches_per_second\": %.3f, \"drop_requests\": %llu, ", switches_per_second(),
                static_cast<unsigned long long>(drop_requests));
  out += format("\"forced_switches\": %llu, ", static_cast<unsigned long long>(forced_switches));
  out += format("\"slice_us\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}, ", micros(slice.p50),
                micros(slice.p99), micros(slice.max));
  out += "\"threads\": [";
  for (std::size_t i = 0; i < threads.size(); ++i) {
    const ThreadStats& t = threads[i];
    if (i > 0) out += ", ";
    out += format(
        "{\"thread\": %zu, \"acquisitions\": %llu, \"held_s\": %.6f, \"waited_s\": %.6f, "
        "\"wait_us\": {\"p50\": %.3f, \"p99\": %.3f, \"max\": %.3f}}",
        t.thread, static_cast<unsigned long long>(t.acquisitions), seconds(t.held),
        seconds(t.waited), micros(t.wait.p50), micros(t.wait.p99), micros(t.wait.max));
  }
  out += "]}";
  return out;
}

std::ostream& operator<<(std::ostream& out, const Stats& stats) {
  return out << stats.table();
}

}  // namespace concur::gil
