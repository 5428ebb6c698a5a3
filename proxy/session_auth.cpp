// The connection phase of a client session: greeting, optional TLS, authentication with
// mysql_native_password or caching_sha2_password, and the first backend login.
#include <algorithm>

#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "proxy/protocol/auth.hpp"
#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/errors.hpp"
#include "proxy/rules_from_config.hpp"
#include "proxy/session.hpp"

namespace causeway::proxy {

namespace pr = protocol;

namespace {

void make_nonce(std::array<std::uint8_t, 20>& nonce) {
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw std::runtime_error("no randomness for the authentication nonce");
  }
  // Printable ASCII without NUL or '$': some clients treat the nonce as a C string.
  for (auto& b : nonce) b = static_cast<std::uint8_t>(0x21 + (b % 0x5d));
  for (auto& b : nonce) {
    if (b == '$') b = '%';
  }
}

const char* plugin_name(config::AuthPlugin p) {
  return p == config::AuthPlugin::CachingSha2Password ? pr::caching_sha2_plugin : pr::native_password_plugin;
}

}  // namespace

pr::ErrPacket Session::access_denied(const std::string& user, bool with_password) const {
  const auto colon = peer_.rfind(':');
  const std::string host = colon == std::string::npos ? peer_ : peer_.substr(0, colon);
  return pr::make_err(pr::er::access_denied, "28000",
                      fmt::format("Access denied for user '{}'@'{}' (using password: {})", user, host,
                                  with_password ? "YES" : "NO"));
}

awaitable<bool> Session::handshake() {
  auto& services = worker_.services;
  const auto& cfg = *runtime_->config;
  connection_id_ = services.next_connection_id.fetch_add(1, std::memory_order_relaxed);
  make_nonce(nonce_);

  pr::Handshake hs;
  hs.server_version = services.server_version;
  hs.connection_id = connection_id_;
  hs.nonce = nonce_;
  hs.capabilities = pr::cap::relayable | pr::cap::compress | (services.tls ? pr::cap::ssl : 0);
  if (services.server_version.find("MariaDB") != std::string::npos) {
    // As a MariaDB server greets: CLIENT_MYSQL off, extended capabilities offered.
    hs.capabilities &= ~pr::cap::long_password;
    hs.mariadb_capabilities = services.mariadb_caps;
  }
  hs.status_flags = pr::status::autocommit;
  hs.auth_plugin = pr::native_password_plugin;
  out_.clear();
  pr::encode_handshake(hs, out_);
  if (!co_await send_client(0, out_)) co_return false;

  pr::Packet pkt;
  client_reader_.expect_seq(1);
  if (!co_await read_first_packet(pkt)) co_return false;
  if (pkt.payload.size() == pr::ssl_request_size && services.tls) {
    pr::Reader r(pkt.payload);
    if (r.u32() & pr::cap::ssl) {
      const std::uint8_t next = static_cast<std::uint8_t>(pkt.last_seq + 1);
      boost::system::error_code ec;
      co_await client_.start_tls(*services.tls, ec);
      if (ec) {
        spdlog::debug("[{}] TLS handshake failed: {}", peer_, ec.message());
        worker_.stats.malformed_packets.add();
        co_return false;
      }
      worker_.stats.client_tls_connections.add();
      client_reader_.expect_seq(next);
      if (!co_await read_client(pkt)) co_return false;
    }
  }
  pr::HandshakeResponse resp;
  if (pr::decode_handshake_response(pkt.payload, resp)) {
    worker_.stats.malformed_packets.add();
    co_await send_err(static_cast<std::uint8_t>(pkt.last_seq + 1),
                      pr::make_err(pr::er::handshake_error, "08S01", "Bad handshake"));
    co_return false;
  }
  std::uint8_t seq = static_cast<std::uint8_t>(pkt.last_seq + 1);
  if (cfg.tls.require && !client_.is_tls()) {
    worker_.stats.auth_failures.add();
    co_await send_err(seq, pr::make_err(pr::er::secure_transport_required, "HY000",
                                        "Connections using insecure transport are prohibited: causeway requires TLS "
                                        "(tls.require is on)"));
    co_return false;
  }
  client_caps_ = resp.capabilities & hs.capabilities;
  const std::string plugin = (resp.capabilities & pr::cap::plugin_auth) ? resp.auth_plugin : pr::native_password_plugin;
  auto login = co_await authenticate(resp.username, plugin, resp.auth_response, seq);
  if (!login) co_return false;
  login->database = (client_caps_ & pr::cap::connect_with_db) ? resp.database : std::string();
  login->caps = client_caps_;
  login->mariadb_caps =
      (resp.capabilities & pr::cap::long_password) ? 0 : resp.mariadb_capabilities & hs.mariadb_capabilities;
  login->charset = resp.charset;
  login->connect_attrs = (client_caps_ & pr::cap::connect_attrs) ? resp.connect_attrs : std::string();
  login_ = std::move(*login);
  user_ = resp.username;

  // Log in to the primary now (or take a pooled connection of this user and bring it to
  // the client's schema): a wrong schema or a backend refusal reaches the client as the
  // answer to its login, as it would from the server.
  const std::size_t primary = routing::primary_index(*worker_.topology);
  multi_statements_ = (client_caps_ & pr::cap::multi_statements) != 0;
  std::optional<pr::ErrPacket> error;
  Backend* backend = co_await acquire(primary, error);
  if (backend == nullptr) {
    co_await send_err(seq, *error);
    co_return false;
  }
  worker_.services.sessions.add(connection_id_, SessionRegistry::Entry{&worker_, this, user_, running_});
  registered_ = true;
  if (!co_await send_ok(seq)) co_return false;
  // The compressed protocol starts after the login's OK, as on a server. Bytes the client
  // sent behind its login are already compressed ones.
  if (client_caps_ & pr::cap::compress) {
    if (!worker_.zlib) worker_.zlib = std::make_unique<pr::Zlib>();
    client_.start_compression(*worker_.zlib, client_reader_.buffered());
    client_reader_.consume_raw(client_reader_.buffered().size());
    client_reader_.ignore_seq();
    worker_.stats.client_compressed_connections.add();
  }
  co_return true;
}

// The client's first packet is read header first, then exactly its payload: a client may
// send its TLS hello right behind an SSLRequest, and those bytes belong to the TLS layer.
awaitable<bool> Session::read_first_packet(pr::Packet& out) {
  std::array<std::uint8_t, pr::frame_header_size> header{};
  boost::system::error_code ec;
  co_await client_.read_exactly(asio::buffer(header), ec);
  if (ec) co_return false;
  const std::size_t len = pr::load_u24(header.data());
  client_reader_.feed(header);
  if (len > 0 && len <= client_reader_.max_payload()) {
    auto space = client_reader_.prepare(len);
    co_await client_.read_exactly(asio::buffer(space.data(), len), ec);
    if (ec) co_return false;
    client_reader_.commit(len);
  }
  co_return co_await read_client(out);
}

std::optional<UserEntry> Session::discovered_user(const std::string& user) const {
  const auto accounts = worker_.services.accounts.snapshot();
  const auto it = accounts->find(user);
  if (it == accounts->end()) return std::nullopt;
  // The most specific account that admits the client decides, as on the server: one
  // causeway cannot verify (or that needs TLS the client does not have) refuses.
  const auto a = std::find_if(it->second.begin(), it->second.end(),
                              [&](const DiscoveredAccount& x) { return host_matches(x.host, client_host_); });
  if (a == it->second.end() || !a->usable || (a->require_tls && !client_.is_tls())) return std::nullopt;
  UserEntry e;
  e.name = user;
  e.double_sha1 = a->double_sha1;
  e.consistency = consistency_level(runtime_->config->consistency.level);
  return e;
}

awaitable<void> Session::reread_accounts() {
  const auto& cfg = *runtime_->config;
  const auto& primary = runtime_->servers[routing::primary_index(*worker_.topology)];
  const config::Credentials account = config::discovery_account(cfg);
  const auto timeout = cfg.monitor ? cfg.monitor->timeout : config::Millis{1000};
  auto timer = std::make_shared<asio::steady_timer>(worker_.ctx);
  // Bounded: one interval for the reader to become free, one read, and slack.
  timer->expires_after(cfg.account_discovery->refresh + timeout * 2 + std::chrono::seconds(1));
  auto ex = worker_.ctx.get_executor();
  worker_.services.accounts.refresh(
      replication::ProbeTarget{primary.name, primary.host, primary.port, account.user, account.password, timeout,
                               client_tls(primary.tls_settings)},
      cfg.account_discovery->refresh, [ex, timer] { asio::post(ex, [timer] { timer->cancel(); }); });
  boost::system::error_code ec;
  co_await timer->async_wait(use_ec(ec));
}

// Fail closed: if no read began after the request (it failed, or did not come in time),
// the user is not trusted.
awaitable<std::optional<UserEntry>> Session::reread_and_find(const std::string& user) {
  const auto asked = std::chrono::steady_clock::now();
  co_await reread_accounts();
  if (worker_.services.accounts.read_at() < asked) co_return std::nullopt;
  co_return discovered_user(user);
}

awaitable<std::optional<BackendLogin>> Session::authenticate(std::string user, std::string plugin,
                                                             std::string response, std::uint8_t& seq) {
  const UserEntry* entry = runtime_->find_user(user);
  // Configured users first; then the accounts read from the primary, read again when the
  // user is not among them (an account created since).
  std::optional<UserEntry> discovered;
  bool reread = false;
  if (entry == nullptr && runtime_->config->account_discovery) {
    // Trusted for one `refresh` after the read: an account dropped, locked or changed on
    // the server is seen at the next login after that.
    if (std::chrono::steady_clock::now() - worker_.services.accounts.read_at() <
        runtime_->config->account_discovery->refresh)
      discovered = discovered_user(user);
    if (!discovered) {
      discovered = co_await reread_and_find(user);
      reread = true;
    }
    if (discovered) {
      entry = &*discovered;
      // The server checks this login itself (a fresh connection, not a pooled one): the
      // account may be locked, expired or dropped since causeway read it, and the server
      // picks its account by causeway's address.
      server_checks_login_ = true;
    }
  }
  if (entry == nullptr) {
    worker_.stats.auth_failures.add();
    co_await send_err(seq, access_denied(user, !response.empty()));
    co_return std::nullopt;
  }
  const char* wanted = plugin_name(entry->plugin);
  if (plugin != wanted) {
    out_.clear();
    pr::encode_auth_switch(pr::AuthSwitch{wanted, std::string(nonce_.begin(), nonce_.end())}, out_);
    if (!co_await send_client(seq, out_)) co_return std::nullopt;
    pr::Packet pkt;
    client_reader_.expect_seq(static_cast<std::uint8_t>(seq + 1));
    if (!co_await read_client(pkt)) co_return std::nullopt;
    response.assign(pr::as_string_view(pkt.payload));
    seq = static_cast<std::uint8_t>(pkt.last_seq + 1);
  }

  BackendLogin login;
  login.user = user;
  login.track_gtids = runtime_->track_gtids;
  bool ok = false;
  const pr::Bytes nonce(nonce_.data(), nonce_.size());
  const auto verify_native = [&](const UserEntry& e) {
    login.password.reset();
    login.sha1_password.reset();
    if (e.password) {
      login.password = e.password;
      return pr::auth::equal_secret(pr::as_bytes(response), pr::as_bytes(pr::auth::native_scramble(*e.password, nonce)));
    }
    if (e.double_sha1) {
      if (auto sha1 = pr::auth::native_verify(pr::as_bytes(response), nonce, *e.double_sha1)) {
        login.sha1_password = *sha1;
        return true;
      }
    }
    return false;
  };
  if (entry->plugin == config::AuthPlugin::MysqlNativePassword) {
    ok = verify_native(*entry);
    // A discovered account whose password changed since the last read: read again, once.
    if (!ok && discovered && !reread) {
      if (auto again = co_await reread_and_find(user)) ok = verify_native(*again);
    }
  } else {
    std::optional<std::string> cleartext;
    if (!co_await verify_sha2(*entry, pr::as_bytes(response), seq, ok, cleartext)) co_return std::nullopt;
    login.password = entry->password;
  }
  if (!ok) {
    worker_.stats.auth_failures.add();
    co_await send_err(seq, access_denied(user, !response.empty()));
    co_return std::nullopt;
  }
  co_return login;
}

// caching_sha2_password, server side: fast path for users seen since start-up, otherwise
// full authentication (clear password over TLS, or RSA-encrypted on a plain connection).
awaitable<bool> Session::verify_sha2(const UserEntry& user, pr::Bytes response, std::uint8_t& seq, bool& ok,
                                     std::optional<std::string>& cleartext) {
  const std::string& password = *user.password;  // config validation guarantees it
  auto& cache = worker_.services.sha2_cache;
  const pr::Bytes nonce(nonce_.data(), nonce_.size());
  if (response.empty()) {
    ok = password.empty();
    co_return true;
  }
  if (cache.contains(user.name, password) && pr::auth::sha2_verify(response, nonce, password)) {
    const std::uint8_t fast = pr::auth::sha2_fast_auth_success;
    out_.clear();
    pr::encode_auth_more_data(pr::Bytes(&fast, 1), out_);
    if (!co_await send_client(seq, out_)) co_return false;
    seq = static_cast<std::uint8_t>(seq + 1);
    ok = true;
    co_return true;
  }
  const std::uint8_t full = pr::auth::sha2_perform_full_auth;
  out_.clear();
  pr::encode_auth_more_data(pr::Bytes(&full, 1), out_);
  if (!co_await send_client(seq, out_)) co_return false;
  pr::Packet pkt;
  client_reader_.expect_seq(static_cast<std::uint8_t>(seq + 1));
  if (!co_await read_client(pkt)) co_return false;
  seq = static_cast<std::uint8_t>(pkt.last_seq + 1);
  if (client_.is_tls()) {
    std::string_view clear = pr::as_string_view(pkt.payload);
    if (!clear.empty() && clear.back() == '\0') clear.remove_suffix(1);
    cleartext = std::string(clear);
  } else {
    pr::Bytes encrypted = pkt.payload;
    if (pkt.payload.size() == 1 && pkt.payload[0] == pr::auth::sha2_request_public_key) {
      const auto& pem = worker_.services.rsa_key->public_pem();
      out_.clear();
      pr::encode_auth_more_data(pr::as_bytes(pem), out_);
      if (!co_await send_client(seq, out_)) co_return false;
      client_reader_.expect_seq(static_cast<std::uint8_t>(seq + 1));
      if (!co_await read_client(pkt)) co_return false;
      seq = static_cast<std::uint8_t>(pkt.last_seq + 1);
      encrypted = pkt.payload;
    }
    cleartext = worker_.services.rsa_key->decrypt_password(encrypted, nonce);
  }
  ok = cleartext && pr::auth::equal_secret(pr::as_bytes(*cleartext), pr::as_bytes(password));
  if (ok) cache.add(user.name, password);
  co_return true;
}

}  // namespace causeway::proxy
