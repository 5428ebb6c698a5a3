#include "replication/probe.hpp"

#include <mysql.h>
#include <mysqld_error.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>

namespace causeway::replication {
namespace {

struct ResultDeleter {
  void operator()(MYSQL_RES* r) const { mysql_free_result(r); }
};
using Result = std::unique_ptr<MYSQL_RES, ResultDeleter>;

struct Table {
  std::vector<std::string> columns;
  std::vector<Row> rows;
};

Table read_table(MYSQL_RES* res) {
  Table t;
  const unsigned n = mysql_num_fields(res);
  const MYSQL_FIELD* fields = mysql_fetch_fields(res);
  for (unsigned i = 0; i < n; ++i) t.columns.emplace_back(fields[i].name);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    const unsigned long* lengths = mysql_fetch_lengths(res);
    Row& out = t.rows.emplace_back();
    for (unsigned i = 0; i < n; ++i) {
      if (row[i])
        out.emplace_back(std::string(row[i], lengths[i]));
      else
        out.emplace_back(std::nullopt);
    }
  }
  return t;
}

}  // namespace

void init_client_library() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

ClientThread::ClientThread() { mysql_thread_init(); }
ClientThread::~ClientThread() { mysql_thread_end(); }

Probe::Probe(ProbeTarget target) : target_(std::move(target)) {}

Probe::~Probe() { disconnect(); }

void Probe::disconnect() {
  if (mysql_) mysql_close(mysql_);
  mysql_ = nullptr;
}

bool Probe::connect(std::string& error) {
  unsigned code = 0;
  mysql_ = connect_client({target_.host, target_.port, target_.user, target_.password, target_.timeout, target_.tls,
                           "causeway-monitor"},
                          error, code);
  if (mysql_ == nullptr) {
    error = fmt::format("connect to {}:{}: {}", target_.host, target_.port, error);
    return false;
  }
  flavour_ = detect_flavour(mysql_get_server_info(mysql_), mysql_get_server_version(mysql_));
  replica_refused_ = false;
  return true;
}

std::string Probe::fail(std::string_view step) {
  const unsigned code = mysql_errno(mysql_);
  std::string text = fmt::format("{}: {} (error {})", step, mysql_error(mysql_), code);
  // 2000..2999 are the client library's own errors (lost connection, timeout, ...): the
  // connection is unusable. Server errors (1xxx, 3xxx+) leave it fine.
  if (code >= 2000 && code < 3000) disconnect();
  return text;
}

std::optional<std::vector<Row>> Probe::rows(std::string_view sql, std::string& error) {
  if (!mysql_ && !connect(error)) return std::nullopt;
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    error = fail(sql);
    return std::nullopt;
  }
  Result res(mysql_store_result(mysql_));
  if (!res) {
    if (mysql_errno(mysql_) == 0) return std::vector<Row>{};  // a statement without a result set
    error = fail(sql);
    return std::nullopt;
  }
  return read_table(res.get()).rows;
}

CheckResult Probe::check() {
  CheckResult r;
  r.at = std::chrono::system_clock::now();
  if (!mysql_ && !connect(r.error)) return r;

  auto query = [&](std::string_view sql, Table& out) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return false;
    Result res(mysql_store_result(mysql_));
    if (!res) return mysql_errno(mysql_) == 0;  // no result set: nothing to read
    out = read_table(res.get());
    return true;
  };

  Table vars;
  const std::string_view vq = variables_query(flavour_);
  if (!query(vq, vars)) {
    r.error = fail(vq);
    return r;
  }
  if (vars.rows.size() != 1) {
    r.error = fmt::format("{}: expected one row, got {}", vq, vars.rows.size());
    return r;
  }
  auto variables = parse_variables(vars.rows[0], flavour_, r.error);
  if (!variables) return r;
  r.variables = std::move(*variables);

  Table status;
  std::string_view sq = replica_status_query(flavour_, replica_refused_);
  bool answered = query(sq, status);
  if (!answered && mysql_errno(mysql_) == ER_PARSE_ERROR &&
      sq != replica_status_query(flavour_, true)) {
    replica_refused_ = true;
    sq = replica_status_query(flavour_, true);
    answered = query(sq, status);
  }
  if (!answered) {
    r.error = fail(sq);
    return r;
  }
  // Semi-sync state is for operators only: a server that cannot say leaves it unknown.
  if (Table semi; query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%'", semi)) r.semi_sync = parse_semi_sync(semi.rows);
  if (!status.rows.empty()) {
    std::vector<ReplicaStatus> channels;
    for (const Row& row : status.rows) {
      auto parsed = parse_replica_status(status.columns, row, r.error);
      if (!parsed) {
        r.error = fmt::format("{}: {}", sq, r.error);
        return r;
      }
      channels.push_back(std::move(*parsed));
    }
    r.replica = combine(channels);
  }
  r.ok = true;
  return r;
}

}  // namespace causeway::replication
