// Client accounts read from the primary's mysql.user (config `account_discovery`), as
// MaxScale does: accounts created on the servers log in through causeway without a config
// change. causeway verifies mysql_native_password scrambles against the stored hash and
// logs in to the servers as the client's user (docs/configuration.md).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "proxy/protocol/auth.hpp"
#include "replication/probe.hpp"

namespace causeway::proxy {

struct DiscoveredAccount {
  std::string host;                                  // the account's Host pattern
  std::optional<protocol::auth::Sha1> double_sha1;   // mysql_native_password hash
  bool require_tls = false;                          // REQUIRE SSL: TLS clients only
  // false: causeway cannot verify a client against it (another plugin, no password, a
  // client certificate required): a client it admits first is refused, as the server
  // would not fall back to a less specific account either.
  bool usable = false;
};

// User name -> its accounts, most specific host first.
using AccountMap = std::unordered_map<std::string, std::vector<DiscoveredAccount>>;

// The rows of `accounts_query` (User, Host, plugin, authentication_string, ssl_type).
AccountMap parse_accounts(const std::vector<replication::Row>& rows);
inline constexpr std::string_view accounts_query =
    "SELECT User, Host, plugin, authentication_string, ssl_type FROM mysql.user WHERE User <> ''";

// Whether an account's Host (`%`, `10.0.%`, `10.0.0.0/255.255.255.0`, `10.0.0.0/24`,
// `192.168.1.5`) admits a client at address `ip` (dotted IPv4 or IPv6 text). Host names,
// `localhost` among them, admit no one: causeway does not resolve names, and `localhost`
// would mean the causeway host, not the server's.
bool host_matches(std::string_view pattern, std::string_view ip);

// The accounts as last read, and a thread that rereads them on request, at most once per
// `min_interval`.
class AccountDirectory {
 public:
  AccountDirectory() = default;
  ~AccountDirectory();
  AccountDirectory(const AccountDirectory&) = delete;
  AccountDirectory& operator=(const AccountDirectory&) = delete;

  // Stops the reader thread; pending requests are dropped. Before the event loops go.
  void stop();
  std::shared_ptr<const AccountMap> snapshot() const;
  // When the accounts in snapshot() were read (the epoch before the first read).
  std::chrono::steady_clock::time_point read_at() const;
  // Rereads from `target` once the last read is `min_interval` old; `done` runs (on the
  // reader thread) when a read that began after this call has ended, whatever its outcome.
  void refresh(replication::ProbeTarget target, std::chrono::milliseconds min_interval, std::function<void()> done);

 private:
  void run();
  static constexpr std::size_t max_waiting = 4096;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const AccountMap> accounts_ = std::make_shared<AccountMap>();
  std::optional<replication::ProbeTarget> target_;  // the latest request's
  std::chrono::milliseconds interval_{0};
  std::vector<std::function<void()>> waiting_;
  std::chrono::steady_clock::time_point last_read_{};  // when the last read began
  std::chrono::steady_clock::time_point read_at_{};    // when the accounts_ read began
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace causeway::proxy
