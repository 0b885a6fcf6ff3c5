// asyncio, the notes' ninth example: the loop is I/O multiplexing (epoll).
// add_reader/add_writer run callbacks when a descriptor is ready: here an
// echo across a socket pair, one side writing, the other reading, on one
// thread.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "asyncio_check.hpp"
#include "concur/asyncio.hpp"

namespace aio = concur::asyncio;

int main() {
  int ends[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends) == 0,
        "socketpair");
  aio::EventLoop loop;
  const std::string message = "hello through epoll";
  std::size_t sent = 0;
  std::string received;
  loop.add_writer(ends[0], [&] {
    const ssize_t n = ::send(ends[0], message.data() + sent, message.size() - sent, MSG_NOSIGNAL);
    if (n > 0) sent += static_cast<std::size_t>(n);
    if (sent == message.size()) loop.remove_writer(ends[0]);
  });
  loop.add_reader(ends[1], [&] {
    char buffer[64];
    const ssize_t n = ::recv(ends[1], buffer, sizeof buffer, 0);
    if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
    if (received.size() == message.size()) {
      loop.remove_reader(ends[1]);
      loop.stop();
    }
  });
  loop.run_forever();
  std::printf("received: %s\n", received.c_str());
  check(received == message, "the bytes written when writable arrived when readable");
  loop.close();
  ::close(ends[0]);
  ::close(ends[1]);
}
