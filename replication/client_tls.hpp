// TLS on the monitor's and the binlog streams' libmariadb connections: the same settings
// as the proxy's backend connections (config `backend_tls`, a server's own `tls`).
#pragma once

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

// Sets the connection's TLS options; call before mysql_real_connect.
void set_tls_options(st_mysql* mysql, const ClientTls& tls);
// After connecting: why the connection falls short of the mode (a server without TLS where
// TLS is required), or empty.
std::string tls_shortfall(st_mysql* mysql, const ClientTls& tls);
// The connection's TLS session, for reading and writing past the client library (the
// binlog dump); null on a plain connection.
ssl_st* tls_session(st_mysql* mysql);

}  // namespace causeway::replication
