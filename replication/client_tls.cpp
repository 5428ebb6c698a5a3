#include "replication/client_tls.hpp"

#include <errmsg.h>
#include <mysql.h>
// After <mysql.h>, which it needs: the connection's TLS session is pvio->ctls->ssl.
#include <ma_pvio.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace causeway::replication {

namespace {
// <ma_tls.h>'s struct st_ma_pvio_tls (that header does not compile as C++).
struct PvioTls {
  void* data;
  MARIADB_PVIO* pvio;
  void* ssl;
};
}  // namespace

namespace {
bool exists(const char* path) { return path != nullptr && ::access(path, R_OK) == 0; }
}  // namespace

void set_tls_options(MYSQL* mysql, const ClientTls& tls) {
  using Mode = ClientTls::Mode;
  // Explicit either way: newer libmariadb (3.4) checks certificates unless told not to.
  const my_bool verify_host = tls.mode == Mode::VerifyIdentity;
  mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify_host);
  if (tls.mode == Mode::Disabled) return;
  // libmariadb: any TLS option turns TLS on when the server offers it; a CA (file or
  // directory) makes it check the certificate chain; VERIFY_SERVER_CERT adds the host name.
  const my_bool on = 1;
  mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &on);
  if (tls.mode == Mode::VerifyCa || tls.mode == Mode::VerifyIdentity) {
    if (!tls.ca_file.empty()) {
      mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, tls.ca_file.c_str());
    } else {
      // The system store, where OpenSSL's defaults (or SSL_CERT_FILE / SSL_CERT_DIR) put
      // it; only paths that exist, libmariadb refuses a missing one.
      const char* file = std::getenv(X509_get_default_cert_file_env());
      const char* dir = std::getenv(X509_get_default_cert_dir_env());
      if (!exists(file)) file = X509_get_default_cert_file();
      if (!exists(dir)) dir = X509_get_default_cert_dir();
      if (exists(file)) mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, file);
      if (exists(dir)) mysql_optionsv(mysql, MYSQL_OPT_SSL_CAPATH, dir);
    }
  }
  if (!tls.cert_file.empty()) {
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CERT, tls.cert_file.c_str());
    mysql_optionsv(mysql, MYSQL_OPT_SSL_KEY, tls.key_file.c_str());
  }
}

MYSQL* connect_client(const ClientLogin& login, std::string& error, unsigned& code) {
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) {
    error = "out of memory";
    code = CR_OUT_OF_MEMORY;
    return nullptr;
  }
  const auto seconds = static_cast<unsigned int>(std::max<long long>(1, (login.timeout.count() + 999) / 1000));
  const unsigned int tcp = MYSQL_PROTOCOL_TCP;
  mysql_options(mysql, MYSQL_OPT_PROTOCOL, &tcp);
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &seconds);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &seconds);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &seconds);
  mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_optionsv(mysql, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", login.program_name);
  set_tls_options(mysql, login.tls);
  if (!mysql_real_connect(mysql, login.host.c_str(), login.user.c_str(), login.password.c_str(), nullptr, login.port,
                          nullptr, CLIENT_REMEMBER_OPTIONS)) {
    code = mysql_errno(mysql);
    error = fmt::format("{} (error {})", mysql_error(mysql), code);
    mysql_close(mysql);
    return nullptr;
  }
  if (auto why = tls_shortfall(mysql, login.tls); !why.empty()) {
    error = std::move(why);
    code = 0;
    mysql_close(mysql);
    return nullptr;
  }
  return mysql;
}

std::string tls_shortfall(MYSQL* mysql, const ClientTls& tls) {
  if (tls.mode == ClientTls::Mode::Disabled || tls.mode == ClientTls::Mode::Preferred) return {};
  if (mysql_get_ssl_cipher(mysql) != nullptr) return {};
  return "the server does not offer TLS, which the configured tls mode requires";
}

ssl_st* tls_session(MYSQL* mysql) {
  if (mysql == nullptr || mysql_get_ssl_cipher(mysql) == nullptr) return nullptr;
  const MARIADB_PVIO* pvio = mysql->net.pvio;
  if (pvio == nullptr || pvio->ctls == nullptr) return nullptr;
  return static_cast<ssl_st*>(reinterpret_cast<const PvioTls*>(pvio->ctls)->ssl);
}

}  // namespace causeway::replication
