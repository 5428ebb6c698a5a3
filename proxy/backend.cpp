#include "proxy/backend.hpp"

#include <fmt/format.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <stdexcept>

#include "proxy/pool.hpp"
#include "proxy/protocol/constants.hpp"

namespace causeway::proxy {

namespace pr = protocol;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

std::atomic<std::uint64_t> next_backend_id{1};

std::shared_ptr<asio::ssl::context> make_backend_tls(const config::Server& server, const config::BackendTls& t) {
  using Mode = config::BackendTlsMode;
  if (t.mode == Mode::Disabled) return nullptr;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  const auto load = [&](const char* what, const std::string& file, auto&& fn) {
    boost::system::error_code ec;
    fn(ec);
    if (ec)
      throw std::runtime_error(fmt::format("server '{}': cannot load the TLS {} {}: {}", server.name, what, file,
                                           ec.message()));
  };
  if (config::checks_certificate(t.mode)) {
    ctx->set_verify_mode(asio::ssl::verify_peer);
    if (t.ca_file.empty())
      load("CA store", "(system default)", [&](auto& ec) { ctx->set_default_verify_paths(ec); });
    else
      load("CA file", t.ca_file, [&](auto& ec) { ctx->load_verify_file(t.ca_file, ec); });
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none);
  }
  if (!t.cert_file.empty()) {
    // An encrypted key would make OpenSSL ask on the terminal: refuse it instead.
    ctx->set_password_callback([](std::size_t, asio::ssl::context::password_purpose) { return std::string(); });
    load("certificate", t.cert_file, [&](auto& ec) { ctx->use_certificate_chain_file(t.cert_file, ec); });
    load("key", t.key_file, [&](auto& ec) { ctx->use_private_key_file(t.key_file, asio::ssl::context::pem, ec); });
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
      throw std::runtime_error(fmt::format("server '{}': the TLS key {} does not belong to the certificate {}",
                                           server.name, t.key_file, t.cert_file));
  }
  return ctx;
}

}  // namespace

replication::ClientTls client_tls(const config::BackendTls& t) {
  using Mode = replication::ClientTls::Mode;
  Mode mode = Mode::Disabled;
  switch (t.mode) {
    case config::BackendTlsMode::Disabled: mode = Mode::Disabled; break;
    case config::BackendTlsMode::Preferred: mode = Mode::Preferred; break;
    case config::BackendTlsMode::Required: mode = Mode::Required; break;
    case config::BackendTlsMode::VerifyCa: mode = Mode::VerifyCa; break;
    case config::BackendTlsMode::VerifyIdentity: mode = Mode::VerifyIdentity; break;
  }
  return {mode, t.ca_file, t.cert_file, t.key_file};
}

Endpoint make_endpoint(const config::Config& cfg, const config::Server& server) {
  const config::BackendTls& tls = config::backend_tls_for(cfg, server);
  return Endpoint{server.name, server.host, server.port, false, tls, make_backend_tls(server, tls)};
}

Backend::Backend(asio::any_io_executor ex, Endpoint endpoint)
    : socket_(std::move(ex)),
      endpoint_(std::move(endpoint)),
      reader_(1024u * 1024 * 1024, 64 * 1024),
      id_(next_backend_id.fetch_add(1, std::memory_order_relaxed)) {}

Backend::~Backend() {
  close();
  if (open_count_ != nullptr) {
    --*open_count_;
    pool_->notify(server_);
  }
}

void Backend::count_in(std::uint32_t* open, BackendPool* pool, std::size_t server) {
  open_count_ = open;
  pool_ = pool;
  server_ = server;
  ++*open_count_;
}

BackendError Backend::local_error(std::string message) const {
  return BackendError{pr::make_err(pr::er::backend_unavailable, "HY000",
                                   fmt::format("causeway: backend '{}' ({}:{}): {}", endpoint_.name, endpoint_.host,
                                               endpoint_.port, message)),
                      false};
}

awaitable<std::optional<BackendError>> Backend::connect(const BackendLogin& login, std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(endpoint_.host, ec);
  tcp::endpoint target;
  if (ec) {
    tcp::resolver resolver(socket_.get_executor());
    auto results = co_await resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port), use_ec(ec));
    if (ec || results.empty()) co_return local_error("cannot resolve host: " + ec.message());
    target = *results.begin();
  } else {
    target = tcp::endpoint(address, endpoint_.port);
  }
  asio::steady_timer timer(socket_.get_executor());
  timer.expires_after(timeout);
  auto done = co_await (socket_.async_connect(target, use_ec(ec)) || timer.async_wait(use_awaitable));
  if (done.index() == 1) {
    close();
    co_return local_error(fmt::format("connect timed out after {} ms", timeout.count()));
  }
  if (ec) co_return local_error("cannot connect: " + ec.message());
  socket_.set_option(tcp::no_delay(true), ec);
  // Bound the whole login by the same timeout: a server that accepts and stays silent
  // must not hold the client forever.
  timer.expires_after(timeout);
  auto result = co_await (login_with(login) || timer.async_wait(use_awaitable));
  if (result.index() == 1) {
    close();
    co_return local_error(fmt::format("login timed out after {} ms", timeout.count()));
  }
  co_return std::get<0>(std::move(result));
}

awaitable<std::optional<BackendError>> Backend::read_packet(pr::Packet& out) {
  for (;;) {
    std::error_code pec;
    const auto st = reader_.next(out, pec);
    if (st == pr::FrameStatus::packet) co_return std::nullopt;
    if (st == pr::FrameStatus::error) co_return local_error("protocol error during login: " + pec.message());
    boost::system::error_code ec;
    co_await read_more(ec);
    if (ec) co_return local_error("connection lost during login: " + ec.message());
  }
}

awaitable<std::optional<BackendError>> Backend::send(std::uint8_t seq, pr::Bytes payload) {
  scratch_.clear();
  pr::append_packet(scratch_, seq, payload);
  boost::system::error_code ec;
  co_await write(asio::buffer(scratch_), ec);
  if (ec) co_return local_error("connection lost during login: " + ec.message());
  co_return std::nullopt;
}

namespace {

// The first answer to a plugin's challenge; nullopt when causeway lacks what it needs.
std::optional<std::string> plugin_response(std::string_view plugin, pr::Bytes nonce, const BackendLogin& login) {
  if (plugin == pr::native_password_plugin) {
    if (login.password) return pr::auth::native_scramble(*login.password, nonce);
    if (login.sha1_password) {
      const auto s = pr::auth::native_scramble_from_sha1(*login.sha1_password, nonce);
      return std::string(reinterpret_cast<const char*>(s.data()), s.size());
    }
    return std::nullopt;
  }
  if (plugin == pr::caching_sha2_plugin) {
    if (login.password) return pr::auth::sha2_scramble(*login.password, nonce);
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

awaitable<std::optional<BackendError>> Backend::login_with(const BackendLogin& login) {
  pr::Packet pkt;
  if (auto err = co_await read_packet(pkt)) co_return err;
  if (pr::is_err(pkt.payload)) {
    BackendError e{{}, true};
    (void)pr::decode_err(pkt.payload, pr::cap::protocol_41, e.err);
    co_return e;
  }
  if (auto ec = pr::decode_handshake(pkt.payload, handshake_)) co_return local_error("bad handshake: " + ec.message());

  caps_ = (login.caps & pr::cap::relayable & handshake_.capabilities) | pr::cap::protocol_41 | pr::cap::long_password;
  if (login.track_gtids) caps_ |= handshake_.capabilities & pr::cap::session_track;
  if (login.database.empty()) caps_ &= ~pr::cap::connect_with_db;
  else caps_ |= pr::cap::connect_with_db;
  // MariaDB's extended capabilities are asked for by leaving CLIENT_MYSQL off: extended
  // metadata as the client has it (it changes column definitions), bulk execution always
  // when the server offers it (it changes no response), so that one pooled connection
  // serves clients with and without it.
  mariadb_caps_ = (handshake_.capabilities & pr::cap::long_password)
                      ? 0
                      : ((login.mariadb_caps & pr::mariadb_cap::layout) | pr::mariadb_cap::stmt_bulk_operations) &
                            handshake_.mariadb_capabilities;
  if (mariadb_caps_ != 0) caps_ &= ~pr::cap::long_password;

  pr::HandshakeResponse resp;
  resp.capabilities = caps_;
  resp.mariadb_capabilities = mariadb_caps_;
  resp.max_packet_size = 1024u * 1024 * 1024;
  resp.charset = login.charset;
  std::uint8_t seq = static_cast<std::uint8_t>(pkt.seq + 1);
  if (endpoint_.tls) {
    if (auto err = co_await start_tls(resp, seq)) co_return err;
    resp.capabilities = caps_;
  }

  std::string plugin = handshake_.auth_plugin;
  std::string nonce(reinterpret_cast<const char*>(handshake_.nonce.data()), handshake_.nonce.size());
  auto first = plugin_response(plugin, pr::as_bytes(nonce), login);
  if (!first) {
    // Answer with native and let the server switch us to what the account uses.
    plugin = pr::native_password_plugin;
    first = plugin_response(plugin, pr::as_bytes(nonce), login);
    if (!first) co_return local_error("no credentials to answer the server's authentication");
  }
  resp.username = login.user;
  resp.auth_response = *first;
  resp.database = login.database;
  resp.auth_plugin = plugin;
  resp.connect_attrs = login.connect_attrs;
  scratch_.clear();
  std::vector<std::uint8_t> payload;
  pr::encode_handshake_response(resp, payload);
  if (auto err = co_await send(seq, payload)) co_return err;

  // A plugin causeway cannot answer, declined with a reply that fails it.
  std::string declined;
  const auto cannot_answer = [](std::string_view name) {
    return fmt::format("the server asks for authentication plugin '{}', which causeway cannot answer for this user",
                       name);
  };
  for (;;) {
    if (auto err = co_await read_packet(pkt)) co_return err;
    seq = static_cast<std::uint8_t>(pkt.seq + 1);
    const pr::Bytes p = pkt.payload;
    if (pr::is_ok(p)) {
      applied.schema = login.database;
      applied.multi_statements = (caps_ & pr::cap::multi_statements) != 0;
      co_return std::nullopt;
    }
    if (pr::is_err(p)) {
      BackendError e{{}, true};
      (void)pr::decode_err(p, caps_, e.err);
      if (!declined.empty()) co_return local_error(cannot_answer(declined) + " (then: " + e.err.message + ")");
      co_return e;
    }
    if (!p.empty() && p[0] == pr::eof_header) {
      pr::AuthSwitch sw;
      if (pr::decode_auth_switch(p, sw)) co_return local_error("malformed authentication switch");
      plugin = sw.plugin;
      nonce = sw.data;
      auto answer = plugin_response(plugin, pr::as_bytes(nonce), login);
      if (!answer && plugin == pr::ed25519_plugin) {
        // An account may allow several plugins (IDENTIFIED VIA ed25519 ... OR
        // mysql_native_password ...): a reply that fails this one (no signature) makes
        // MariaDB try the next, which may be one causeway can answer.
        declined = plugin;
        answer.emplace();
      }
      if (!answer) co_return local_error(cannot_answer(plugin));
      if (auto err = co_await send(seq, pr::as_bytes(*answer))) co_return err;
      continue;
    }
    if (!p.empty() && p[0] == pr::auth_more_data_header && plugin == pr::caching_sha2_plugin && p.size() == 2) {
      if (p[1] == pr::auth::sha2_fast_auth_success) continue;  // the OK follows
      if (p[1] != pr::auth::sha2_perform_full_auth) co_return local_error("unexpected caching_sha2_password message");
      if (!login.password) co_return local_error("the server needs full caching_sha2_password authentication, which needs the user's clear password in causeway's config");
      if (tls_) {  // the channel is private: the password goes as it is
        std::string clear = *login.password;
        clear.push_back('\0');
        if (auto err = co_await send(seq, pr::as_bytes(clear))) co_return err;
        continue;
      }
      // Plain connection: ask for the server's RSA key and send the password encrypted.
      const std::uint8_t request = pr::auth::sha2_request_public_key;
      if (auto err = co_await send(seq, pr::Bytes(&request, 1))) co_return err;
      if (auto err = co_await read_packet(pkt)) co_return err;
      if (pkt.payload.empty() || pkt.payload[0] != pr::auth_more_data_header) co_return local_error("expected the server's public key");
      const auto pem = pr::as_string_view(pkt.payload.subspan(1));
      auto encrypted = pr::auth::rsa_encrypt_password(pem, *login.password, pr::as_bytes(nonce));
      if (!encrypted) co_return local_error("cannot encrypt the password with the server's public key");
      if (auto err = co_await send(static_cast<std::uint8_t>(pkt.seq + 1), pr::as_bytes(*encrypted))) co_return err;
      continue;
    }
    co_return local_error("unexpected packet during login");
  }
}

awaitable<std::optional<BackendError>> Backend::start_tls(const pr::HandshakeResponse& request, std::uint8_t& seq) {
  const config::BackendTlsMode mode = endpoint_.tls_settings.mode;
  if ((handshake_.capabilities & pr::cap::ssl) == 0) {
    if (mode == config::BackendTlsMode::Preferred) co_return std::nullopt;
    co_return local_error(fmt::format("the server does not offer TLS, which tls mode {} requires",
                                      config::to_string(mode)));
  }
  // Bytes after the greeting came unprotected: taking them for answers over TLS would let
  // anyone on the path inject packets (the STARTTLS injection).
  if (!reader_.buffered().empty()) co_return local_error("unexpected bytes after the server's greeting");
  caps_ |= pr::cap::ssl;
  pr::HandshakeResponse ssl_request = request;
  ssl_request.capabilities = caps_;
  std::vector<std::uint8_t> payload;
  pr::encode_ssl_request(ssl_request, payload);
  if (auto err = co_await send(seq++, payload)) co_return err;

  tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *endpoint_.tls);
  SSL* ssl = tls_->native_handle();
  boost::system::error_code ec;
  const bool is_address = (asio::ip::make_address(endpoint_.host, ec), !ec);
  if (!is_address) SSL_set_tlsext_host_name(ssl, endpoint_.host.c_str());
  if (mode == config::BackendTlsMode::VerifyIdentity) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_address) X509_VERIFY_PARAM_set1_ip_asc(param, endpoint_.host.c_str());
    else X509_VERIFY_PARAM_set1_host(param, endpoint_.host.c_str(), 0);
  }
  co_await tls_->async_handshake(asio::ssl::stream_base::client, use_ec(ec));
  if (ec) {
    const long verify = config::checks_certificate(mode) ? SSL_get_verify_result(ssl) : X509_V_OK;
    co_return local_error(verify != X509_V_OK
                              ? fmt::format("TLS handshake failed: the server's certificate: {} (tls mode {})",
                                            X509_verify_cert_error_string(verify), config::to_string(mode))
                              : "TLS handshake failed: " + ec.message());
  }
  co_return std::nullopt;
}

namespace {
constexpr pr::Caps layout_caps = pr::cap::protocol_41 | pr::cap::deprecate_eof | pr::cap::session_track;
}  // namespace

bool Backend::frames_for(const BackendLogin& login) const {
  const pr::Caps strippable = (login.caps & pr::cap::session_track) ? 0 : pr::cap::session_track;
  return (caps_ & layout_caps & ~strippable) == (login.caps & layout_caps) &&
         (mariadb_caps_ & pr::mariadb_cap::layout) == (login.mariadb_caps & pr::mariadb_cap::layout);
}

std::string Backend::framing_difference(const BackendLogin& login) const {
  return fmt::format("client {:#x}/{:#x}, backend {:#x}/{:#x}", login.caps & layout_caps,
                     login.mariadb_caps & pr::mariadb_cap::layout, caps_ & layout_caps,
                     mariadb_caps_ & pr::mariadb_cap::layout);
}

void Backend::close() {
  if (!socket_.is_open()) return;
  boost::system::error_code ec;
  static constexpr std::uint8_t quit[] = {1, 0, 0, 0, 0x01};
  socket_.non_blocking(true, ec);
  // Best effort: never blocks.
  if (tls_) asio::write(*tls_, asio::buffer(quit), ec);
  else socket_.write_some(asio::buffer(quit), ec);
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

void Backend::abort() {
  if (!socket_.is_open()) return;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace causeway::proxy
