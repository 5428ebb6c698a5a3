#include "proxy/accounts.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

namespace causeway::proxy {

namespace pr = protocol;

namespace {

// SQL LIKE with % and _, case-insensitive, as MariaDB compares host names.
bool like(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '%') {
    for (std::size_t i = 0; i <= text.size(); ++i)
      if (like(pattern.substr(1), text.substr(i))) return true;
    return false;
  }
  if (text.empty()) return false;
  const bool same = pattern[0] == '_' || std::tolower(static_cast<unsigned char>(pattern[0])) ==
                                             std::tolower(static_cast<unsigned char>(text[0]));
  return same && like(pattern.substr(1), text.substr(1));
}

// MariaDB's order: literal hosts before patterns, longer literal prefixes first, `%` last.
std::size_t specificity(std::string_view host) {
  const std::size_t wild = host.find_first_of("%_");
  return wild == std::string_view::npos ? host.size() + 1000 : wild;
}

}  // namespace

bool host_matches(std::string_view pattern, std::string_view ip) {
  if (pattern == "%") return true;
  if (const auto slash = pattern.find('/'); slash != std::string_view::npos) {
    // 10.0.0.0/255.255.255.0 (the address must be the network's), or 10.0.0.0/24.
    in_addr net{}, mask{}, addr{};
    const std::string n(pattern.substr(0, slash)), m(pattern.substr(slash + 1)), a(ip);
    if (inet_pton(AF_INET, n.c_str(), &net) != 1 || inet_pton(AF_INET, a.c_str(), &addr) != 1) return false;
    if (inet_pton(AF_INET, m.c_str(), &mask) != 1) {
      if (m.empty() || m.size() > 2 || !std::all_of(m.begin(), m.end(), ::isdigit)) return false;
      const int bits = std::stoi(m);
      if (bits > 32) return false;
      mask.s_addr = htonl(bits == 0 ? 0u : ~0u << (32 - bits));
    }
    return (addr.s_addr & mask.s_addr) == net.s_addr;
  }
  // Addresses only: a pattern with a letter is a host name (IPv6 hex digits aside).
  const bool ipv6 = ip.find(':') != std::string_view::npos;
  for (char ch : pattern) {
    const bool hex = std::isxdigit(static_cast<unsigned char>(ch)) != 0;
    if (std::isalpha(static_cast<unsigned char>(ch)) && !(ipv6 && hex)) return false;
  }
  return like(pattern, ip);
}

AccountMap parse_accounts(const std::vector<replication::Row>& rows) {
  AccountMap out;
  for (const auto& row : rows) {
    if (row.size() < 5 || !row[0] || !row[1]) continue;
    const std::string plugin = row[2].value_or("");
    const std::string auth = row[3].value_or("");
    const std::string ssl = row[4].value_or("");
    DiscoveredAccount a;
    a.host = *row[1];
    a.require_tls = !ssl.empty();
    // Only a stored mysql_native_password hash can be verified; an empty one may mean "no
    // password" or a hash kept elsewhere (older servers' Password column): not admitted.
    a.double_sha1 = pr::auth::parse_native_hash(auth);
    a.usable = plugin == "mysql_native_password" && a.double_sha1 && (ssl.empty() || ssl == "ANY");
    out[*row[0]].push_back(std::move(a));
  }
  for (auto& [user, accounts] : out)
    std::stable_sort(accounts.begin(), accounts.end(), [](const DiscoveredAccount& x, const DiscoveredAccount& y) {
      return specificity(x.host) > specificity(y.host);
    });
  return out;
}

AccountDirectory::~AccountDirectory() { stop(); }

void AccountDirectory::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    waiting_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const AccountMap> AccountDirectory::snapshot() const {
  std::lock_guard lock(mutex_);
  return accounts_;
}

std::chrono::steady_clock::time_point AccountDirectory::read_at() const {
  std::lock_guard lock(mutex_);
  return read_at_;
}

void AccountDirectory::refresh(replication::ProbeTarget target, std::chrono::milliseconds min_interval,
                               std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    target_ = std::move(target);
    interval_ = min_interval;
    // Bounded: past this many waiting logins (a flood of unknown users while the reader is
    // stuck) a login goes on with the accounts as they are; it waits its own timeout anyway.
    if (waiting_.size() < max_waiting) waiting_.push_back(std::move(done));
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  wake_.notify_all();
}

void AccountDirectory::run() {
  replication::init_client_library();
  const replication::ClientThread client_thread;
  std::unique_ptr<replication::Probe> probe;
  replication::ProbeTarget connected;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
    if (stopping_) return;
    // At most one read per interval: later requests wait for the next one.
    if (wake_.wait_until(lock, last_read_ + interval_, [&] { return stopping_; })) return;
    auto batch = std::move(waiting_);
    waiting_.clear();
    const replication::ProbeTarget target = *target_;  // any change (server, account, TLS) reconnects
    const auto began = last_read_ = std::chrono::steady_clock::now();
    lock.unlock();

    if (!probe || connected != target) {
      probe = std::make_unique<replication::Probe>(target);
      connected = target;
    }
    std::string error;
    auto rows = probe->rows(accounts_query, error);
    std::shared_ptr<const AccountMap> read;
    if (rows) {
      read = std::make_shared<const AccountMap>(parse_accounts(*rows));
      spdlog::debug("account discovery: {} user names read from '{}'", read->size(), target.name);
    } else {
      spdlog::warn("account discovery: cannot read mysql.user on '{}': {}", target.name, error);
    }
    lock.lock();
    if (read) {
      accounts_ = std::move(read);
      read_at_ = began;
    }
    lock.unlock();
    for (auto& done : batch) done();
    lock.lock();
  }
}

}  // namespace causeway::proxy
