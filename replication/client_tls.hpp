// The monitor's and the binlog streams' libmariadb connections: how they log in, with TLS
// as the proxy's backend connections have it (config `backend_tls`, a server's own `tls`).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

// From <mysql.h> and <openssl/ssl.h>; kept out of this header.
struct st_mysql;
struct ssl_st;

namespace causeway::replication {

struct ClientTls {
  // The MySQL client's --ssl-mode values.
  enum class Mode { Disabled, Preferred, Required, VerifyCa, VerifyIdentity };
  Mode mode = Mode::Disabled;
  std::string ca_file;  // empty with verify_*: the system's CA store
  std::string cert_file;
  std::string key_file;
  bool operator==(const ClientTls&) const = default;
};

// One of causeway's own connections to a server.
struct ClientLogin {
  const std::string& host;
  std::uint16_t port;
  const std::string& user;
  const std::string& password;
  std::chrono::milliseconds timeout;  // connect, read and write; whole seconds, at least 1
  const ClientTls& tls;
  const char* program_name;  // connect attribute: a DBA tells causeway's connections apart
};

// Logs in over TCP (also for "localhost", which libmariadb would take as its socket), utf8mb4,
// and checks the TLS mode. Null on failure, with `error` (the client library's message and
// code) and `code` (the client library's error number; 0 for a TLS shortfall).
st_mysql* connect_client(const ClientLogin& login, std::string& error, unsigned& code);

// Sets the connection's TLS options; call before mysql_real_connect.
void set_tls_options(st_mysql* mysql, const ClientTls& tls);
// After connecting: why the connection falls short of the mode (a server without TLS where
// TLS is required), or empty.
std::string tls_shortfall(st_mysql* mysql, const ClientTls& tls);
// The connection's TLS session, for reading and writing past the client library (the
// binlog dump); null on a plain connection.
ssl_st* tls_session(st_mysql* mysql);

}  // namespace causeway::replication
