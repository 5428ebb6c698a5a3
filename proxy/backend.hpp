// One connection from causeway to a database server, and its login as the client's user.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "proxy/asio.hpp"
#include "proxy/protocol/auth.hpp"
#include "proxy/protocol/frame.hpp"
#include "proxy/protocol/packets.hpp"
#include "replication/client_tls.hpp"

namespace causeway::proxy {

struct Endpoint {
  std::string name;  // the server's name in the config
  std::string host;
  std::uint16_t port = 0;
  bool removed = false;  // a reload dropped it: no new connections
  // TLS towards this server: the settings, and the context made from them (null: plain TCP).
  config::BackendTls tls_settings;
  std::shared_ptr<asio::ssl::context> tls;
};

// The endpoint of a configured server, with its TLS context. Throws std::runtime_error
// naming the file it cannot load.
Endpoint make_endpoint(const config::Config& cfg, const config::Server& server);
// The same settings for libmariadb connections (monitor, binlog streams, account reads).
replication::ClientTls client_tls(const config::BackendTls& settings);

// What causeway needs to log in to a backend as a client's user.
struct BackendLogin {
  std::string user;
  std::optional<std::string> password;                   // clear text, when known
  std::optional<protocol::auth::Sha1> sha1_password;     // SHA1(pw), from native auth
  std::string database;  // to connect with; a session's login_ has its current one (USE moves it)
  protocol::Caps caps = 0;  // the client's capabilities, mirrored so bytes relay unchanged
  std::uint32_t mariadb_caps = 0;  // the client's MariaDB extended capabilities (mariadb_cap::relayable)
  std::uint8_t charset = protocol::default_charset;
  std::string connect_attrs;
  // Ask the server for session tracking whatever the client asked for: the commit GTID
  // comes in OK packets (the relay strips it for clients without CLIENT_SESSION_TRACK).
  bool track_gtids = false;
};

struct BackendError {
  protocol::ErrPacket err;     // what the server said, or what causeway says for it
  bool from_server = false;    // true when the server sent this ERR itself
};

class Backend {
 public:
  Backend(asio::any_io_executor ex, Endpoint endpoint);

  // Connects and logs in; on failure returns what to tell the client.
  awaitable<std::optional<BackendError>> connect(const BackendLogin& login, std::chrono::milliseconds timeout);

  // Writes a whole buffer; reads more bytes into reader(); both report errors as codes.
  awaitable<void> write(asio::const_buffer buf, boost::system::error_code& ec) {
    last_write_ = std::chrono::steady_clock::now();
    if (tls_) {
      co_await asio::async_write(*tls_, buf, use_ec(ec));
    } else {
      co_await asio::async_write(socket_, buf, use_ec(ec));
    }
  }
  awaitable<std::size_t> read_more(boost::system::error_code& ec) {
    const auto space = to_buffer(reader_.prepare(16 * 1024));
    const std::size_t n = tls_ ? co_await tls_->async_read_some(space, use_ec(ec))
                               : co_await socket_.async_read_some(space, use_ec(ec));
    reader_.commit(n);
    co_return n;
  }

  protocol::FrameReader& reader() { return reader_; }
  const protocol::Handshake& handshake() const { return handshake_; }
  std::uint32_t thread_id() const { return handshake_.connection_id; }
  const Endpoint& endpoint() const { return endpoint_; }
  protocol::Caps caps() const { return caps_; }
  std::uint32_t mariadb_caps() const { return mariadb_caps_; }
  bool is_mariadb() const { return handshake_.server_version.find("MariaDB") != std::string::npos; }
  bool is_open() const { return socket_.is_open(); }
  // Whether the server frames responses as the client of `login` expects: bytes relay
  // unchanged only then. Session tracking the client did not ask for is fine (the relay
  // strips it).
  bool frames_for(const BackendLogin& login) const;
  // What frames_for compares, for an error message.
  std::string framing_difference(const BackendLogin& login) const;
  // Unique within the process: prepared-statement ids are only valid on the connection
  // that issued them.
  std::uint64_t id() const { return id_; }
  // When causeway last sent it something: a server closes connections idle since then.
  std::chrono::steady_clock::time_point last_write() const { return last_write_; }

  // The session state this connection has: the session brings it in step before use.
  struct Applied {
    std::string schema;            // the connection's database ("": none)
    bool reselect_schema = false;  // a reset kept `schema` but not its character set: USE it again
    std::uint64_t signature = 0;   // the replayed session variables; 0: server defaults
    bool multi_statements = true;  // COM_SET_OPTION state
    bool gtid_tracking = false;    // the server reports commit GTIDs in OK packets
    bool unknown = false;          // settings may differ from `signature` (a procedure ran)
  };
  Applied applied;
  bool called_procedure = false;  // a CALL ran since the last reset

  // Statements prepared on this connection, by SQL text: any session that borrows the
  // connection reuses them instead of preparing again. The cache owns every statement
  // causeway prepares on the connection (an id it drops is closed on the server), so no
  // session's statements outlive it there.
  struct CachedStatement {
    std::uint32_t id = 0;
    std::vector<std::uint8_t> types;  // parameter types the server last received
    std::uint64_t signature = 0;      // applied.signature and applied.schema when prepared:
    std::string schema;               // the same text may name other tables or parse otherwise
  };
  std::unordered_map<std::string, CachedStatement> statements;
  // The cached statement for `sql` if it was prepared in the connection's present state.
  CachedStatement* cached_statement(const std::string& sql) {
    auto it = statements.find(sql);
    if (it == statements.end() || it->second.signature != applied.signature || it->second.schema != applied.schema)
      return nullptr;
    return &it->second;
  }

  // Counts this connection in its worker's pool while it is open.
  void count_in(std::uint32_t* open, class BackendPool* pool, std::size_t server);
  ~Backend();
  int native_handle() { return socket_.native_handle(); }
  // Sends COM_QUIT without waiting, then closes.
  void close();
  // Closes without COM_QUIT: a server checking whether its client is still there while a
  // statement runs (MariaDB does, in SLEEP and other waits) finds it gone, where pending
  // bytes would tell it the client is alive.
  void abort();

 private:
  awaitable<std::optional<BackendError>> login_with(const BackendLogin& login);
  awaitable<std::optional<BackendError>> start_tls(const protocol::HandshakeResponse& request, std::uint8_t& seq);
  awaitable<std::optional<BackendError>> read_packet(protocol::Packet& out);
  awaitable<std::optional<BackendError>> send(std::uint8_t seq, protocol::Bytes payload);
  BackendError local_error(std::string message) const;

  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;  // after start_tls
  Endpoint endpoint_;
  protocol::FrameReader reader_;
  protocol::Handshake handshake_;
  protocol::Caps caps_ = 0;
  std::uint32_t mariadb_caps_ = 0;
  std::uint64_t id_;
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
  std::vector<std::uint8_t> scratch_;
  std::uint32_t* open_count_ = nullptr;
  class BackendPool* pool_ = nullptr;
  std::size_t server_ = 0;
};

}  // namespace causeway::proxy
