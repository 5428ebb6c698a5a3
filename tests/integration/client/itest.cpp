#include "itest.hpp"

#include <cstdlib>
#include <stdexcept>

namespace itest {
namespace {

std::string var(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::string(fallback);
}

std::optional<std::string> opt_var(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

unsigned port_var(const char* name, const char* fallback) {
  return static_cast<unsigned>(std::stoul(var(name, fallback)));
}

Env load_env() {
  Env e;
  e.host = var("CW_HOST", "127.0.0.1");
  e.port = port_var("CW_PORT", "3306");
  e.user = var("CW_USER", "app");
  e.password = var("CW_PASSWORD", "app");
  e.db = var("CW_DB", "demo");
  e.root_user = var("CW_ROOT_USER", "root");
  e.root_password = var("CW_ROOT_PASSWORD", "root");
  e.sha2_user = opt_var("CW_SHA2_USER");
  e.sha2_password = opt_var("CW_SHA2_PASSWORD");
  if (!e.sha2_password) e.sha2_password = std::string();
  e.primary_port = port_var("CW_PRIMARY_PORT", std::to_string(e.port).c_str());
  e.ca = opt_var("CW_CA");
  e.wrong_ca = opt_var("CW_WRONG_CA");
  e.tls = var("CW_TLS", "0") == "1";
  e.direct = var("CW_DIRECT", "0") == "1";
  return e;
}

}  // namespace

const Env& env() {
  static const Env e = load_env();
  return e;
}

Options app_options() {
  Options o;
  o.user = env().user;
  o.password = env().password;
  o.db = env().db;
  return o;
}

Options root_options() {
  Options o;
  o.user = env().root_user;
  o.password = env().root_password;
  o.db = env().db;
  return o;
}

Conn::Conn(const Options& opts) {
  mysql_ = mysql_init(nullptr);
  if (mysql_ == nullptr) throw std::runtime_error("mysql_init failed");
  unsigned timeout = 30;  // seconds; a hung proxy must fail the test, not hang it
  mysql_options(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(mysql_, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
  mysql_options(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (opts.tls) {
    my_bool enforce = 1;
    mysql_options(mysql_, MYSQL_OPT_SSL_ENFORCE, &enforce);
    if (opts.ca) {
      mysql_ssl_set(mysql_, nullptr, nullptr, opts.ca->c_str(), nullptr, nullptr);
      my_bool verify = 1;
      mysql_options(mysql_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    }
  }
  if (opts.compress) mysql_options(mysql_, MYSQL_OPT_COMPRESS, nullptr);
  if (opts.local_infile) {
    unsigned on = 1;
    mysql_options(mysql_, MYSQL_OPT_LOCAL_INFILE, &on);
  }
  if (opts.max_allowed_packet != 0) {
    unsigned long max = opts.max_allowed_packet;
    mysql_options(mysql_, MYSQL_OPT_MAX_ALLOWED_PACKET, &max);
  }
  for (const auto& [key, value] : opts.connect_attrs) {
    mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_ATTR_ADD, key.c_str(), value.c_str());
  }
  const unsigned port = opts.port != 0 ? opts.port : env().port;
  connected_ = mysql_real_connect(mysql_, env().host.c_str(), opts.user.c_str(),
                                  opts.password.c_str(),
                                  opts.db.empty() ? nullptr : opts.db.c_str(), port,
                                  nullptr, opts.client_flags) != nullptr;
}

Conn::~Conn() {
  if (mysql_ != nullptr) mysql_close(mysql_);
}

void Conn::close() {
  if (mysql_ != nullptr) mysql_close(mysql_);
  mysql_ = nullptr;
  connected_ = false;
}

std::string describe(MYSQL* m) {
  return std::to_string(mysql_errno(m)) + " (" + mysql_sqlstate(m) + "): " + mysql_error(m);
}

void exec(MYSQL* m, const std::string& sql) {
  INFO("SQL: " << sql);
  REQUIRE(mysql_real_query(m, sql.data(), sql.size()) == 0);
  int status = 0;
  do {
    if (MYSQL_RES* res = mysql_store_result(m)) mysql_free_result(res);
    status = mysql_next_result(m);
    INFO(describe(m));
    REQUIRE(status <= 0);
  } while (status == 0);
}

std::vector<Row> rows(MYSQL* m, const std::string& sql) {
  INFO("SQL: " << sql);
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) FAIL(describe(m));
  MYSQL_RES* res = mysql_store_result(m);
  if (res == nullptr) FAIL("no result set: " << describe(m));
  std::vector<Row> out;
  const unsigned n = mysql_num_fields(res);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    const unsigned long* len = mysql_fetch_lengths(res);
    Row r;
    for (unsigned i = 0; i < n; ++i) {
      if (row[i] == nullptr) r.emplace_back(std::nullopt);
      else r.emplace_back(std::string(row[i], len[i]));
    }
    out.push_back(std::move(r));
  }
  mysql_free_result(res);
  return out;
}

std::optional<std::string> scalar(MYSQL* m, const std::string& sql) {
  auto r = rows(m, sql);
  INFO("SQL: " << sql);
  REQUIRE(r.size() == 1);
  REQUIRE(!r[0].empty());
  return r[0][0];
}

unsigned exec_error(MYSQL* m, const std::string& sql) {
  INFO("SQL: " << sql);
  if (mysql_real_query(m, sql.data(), sql.size()) == 0) {
    if (MYSQL_RES* res = mysql_store_result(m)) mysql_free_result(res);
    FAIL("statement unexpectedly succeeded");
  }
  return mysql_errno(m);
}

}  // namespace itest
