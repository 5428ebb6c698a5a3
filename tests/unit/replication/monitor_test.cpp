// replication/monitor: the threads, the watchdog and publication, against loopback
// sockets that misbehave on purpose (no database server needed). The behaviour against
// real servers is tested by tests/integration/monitor_test.cpp.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "replication/monitor.hpp"

namespace repl = causeway::replication;
using causeway::routing::TopologyPtr;
using namespace std::chrono_literals;

namespace {

// A loopback port that refuses connections (bound, not listening: nobody else can take
// it meanwhile) or accepts them into the backlog and never says a word.
class FakeServer {
 public:
  explicit FakeServer(bool listening) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    if (listening) REQUIRE(::listen(fd_, 16) == 0);
  }
  ~FakeServer() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// Collects published snapshots; lets the test wait for one with a property.
class Published {
 public:
  repl::Monitor::Publish callback() {
    return [this](TopologyPtr t) {
      std::lock_guard lock(mutex_);
      all_.push_back(std::move(t));
      cv_.notify_all();
    };
  }
  template <class Pred>
  TopologyPtr wait_for(Pred pred, std::chrono::seconds deadline = 10s) {
    std::unique_lock lock(mutex_);
    TopologyPtr found;
    cv_.wait_for(lock, deadline, [&] {
      for (const auto& t : all_)
        if (pred(*t)) return (found = t), true;
      return false;
    });
    return found;
  }
  std::vector<TopologyPtr> all() {
    std::lock_guard lock(mutex_);
    return all_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<TopologyPtr> all_;
};

repl::ServerSpec spec(const char* name, std::uint16_t port) {
  return {name, "127.0.0.1", port, causeway::routing::ConfiguredRole::Auto, 1};
}

}  // namespace

TEST_CASE("a server refusing connections is published unreachable with the connect error",
          "[replication][monitor]") {
  FakeServer refusing(false);
  Published published;
  repl::Monitor monitor({spec("db1", refusing.port())}, {"monitor", "pw", 20ms, 1000ms},
                        published.callback());
  CHECK(monitor.current()->generation == 0);
  CHECK_FALSE(monitor.current()->servers.at(0).checked);
  monitor.start();

  const auto t = published.wait_for([](const auto& t) { return t.servers.at(0).checked; });
  REQUIRE(t);
  const auto& s = t->servers.at(0);
  CHECK_FALSE(s.reachable);
  CHECK_THAT(s.last_error, Catch::Contains("connect to 127.0.0.1:" + std::to_string(refusing.port())));
  CHECK_FALSE(t->writer);

  // An operator drain publishes at once, and only for a known name.
  CHECK(monitor.set_drained("db1", true));
  CHECK_FALSE(monitor.set_drained("nope", true));
  REQUIRE(published.wait_for([](const auto& t) { return t.servers.at(0).drained; }));
  CHECK(monitor.current()->servers.at(0).drained);
  monitor.stop();

  // Repeated identical failures publish nothing new: every snapshot differs from the one
  // before it, and generations only grow.
  const auto all = published.all();
  for (std::size_t i = 1; i < all.size(); ++i) {
    CHECK(all[i]->generation > all[i - 1]->generation);
    CHECK(repl::relevant_change(all[i - 1]->servers.at(0), all[i]->servers.at(0)));
  }
}

TEST_CASE("a server that accepts but never answers is failed by the configured timeout",
          "[replication][monitor]") {
  // The client library can only time out in whole seconds (here 1 s); the watchdog
  // fails the check after the configured 100 ms, so its message is the one published.
  FakeServer silent(true);
  FakeServer refusing(false);
  Published published;
  repl::Monitor monitor({spec("silent", silent.port()), spec("other", refusing.port())},
                        {"monitor", "pw", 50ms, 100ms}, published.callback());
  monitor.start();
  const auto t = published.wait_for([](const auto& t) { return t.servers.at(0).checked; });
  REQUIRE(t);
  CHECK_FALSE(t->servers.at(0).reachable);
  CHECK(t->servers.at(0).last_error == "no answer within 100 ms (server hung or unreachable)");
  // The hung server does not hold up the others.
  REQUIRE(published.wait_for([](const auto& t) { return t.servers.at(1).checked; }));
  monitor.stop();
}

TEST_CASE("stop() ends the poll interval at once", "[replication][monitor]") {
  FakeServer refusing(false);
  Published published;
  repl::Monitor monitor({spec("db1", refusing.port())}, {"monitor", "pw", 1h, 1000ms},
                        published.callback());
  monitor.start();
  REQUIRE(published.wait_for([](const auto& t) { return t.servers.at(0).checked; }));
  monitor.stop();  // would hang for an hour if the wait were a sleep
  CHECK(published.all().size() == 1);
}
