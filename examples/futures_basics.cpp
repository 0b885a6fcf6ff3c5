// concurrent.futures in C++: submit, as_completed, map, and a done-callback.
#include <concur/concur.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace std::chrono_literals;

std::string shout(const std::string& word) {
  return word + "!";
}

int main() {
  concur::ThreadPoolExecutor pool(concur::ThreadPoolOptions{.max_workers = 4});

  std::vector<concur::Future<std::string>> futures;
  for (std::string word : {"ready", "steady", "go"})
    futures.push_back(pool.submit(shout, word));
  futures[2].add_done_callback([](const concur::Future<std::string>& f) {
    std::printf("callback saw %s\n", f.result().c_str());
  });

  std::size_t letters = 0;
  for (const auto& f : concur::as_completed(futures, 5s))
    letters += f.result().size();
  std::printf("letters, in whatever order they finished: %zu\n", letters);

  int total = 0;
  for (int square : pool.map([](int x) { return x * x; }, std::vector{1, 2, 3, 4})) {
    total += square;
  }
  std::printf("sum of squares via map: %d\n", total);
  return letters == 16 && total == 30 ? 0 : 1;
}
