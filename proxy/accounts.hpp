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
  std::optional<protocol::auth::Sha1> double_sha1;   // unset: the account has no password
  bool require_tls = false;                          // REQUIRE SSL / X509 / ...: TLS clients only
};

// User name -> its accounts that causeway can verify, most specific host first.
using AccountMap = std::unordered_map<std::string, std::vector<DiscoveredAccount>>;

// The rows of `accounts_query` (User, Host, plugin, authentication_string, ssl_type). Accounts with
// another plugin (ed25519, caching_sha2_password, unix_socket, ...) are left out:
// causeway cannot verify a client against them.
AccountMap parse_accounts(const std::vector<replication::Row>& rows);
inline constexpr std::string_view accounts_query =
    "SELECT User, Host, plugin, authentication_string, ssl_type FROM mysql.user WHERE User <> ''";

// Whether an account's Host (`%`, `10.0.%`, `localhost`, `10.0.0.0/255.255.255.0`,
// `192.168.1.5`) admits a client at address `ip` (dotted IPv4 or IPv6 text).
bool host_matches(std::string_view pattern, std::string_view ip);

// The accounts as last read, and a thread that rereads them on request, at most once per
// `min_interval`.
class AccountDirectory {
 public:
  AccountDirectory() = default;
  ~AccountDirectory();
  AccountDirectory(const AccountDirectory&) = delete;
  AccountDirectory& operator=(const AccountDirectory&) = delete;

  std::shared_ptr<const AccountMap> snapshot() const;
  // When the accounts in snapshot() were read (the epoch before the first read).
  std::chrono::steady_clock::time_point read_at() const;
  // Rereads from `target` once the last read is `min_interval` old; `done` runs (on the
  // reader thread) when a read that began after this call has ended, whatever its outcome.
  void refresh(replication::ProbeTarget target, std::chrono::milliseconds min_interval, std::function<void()> done);

 private:
  void run();

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
