#include "replication/server_check.hpp"

#include <cctype>
#include <cstdlib>

#include <algorithm>
#include <charconv>
#include <initializer_list>

#include <fmt/format.h>

namespace causeway::replication {
namespace {

using routing::ConfiguredRole;
using routing::ServerState;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);  // ASCII column names only
         });
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && p == end;
}

// "1"/"0" from SELECT @@read_only; ON/OFF as SHOW VARIABLES would say it.
std::optional<bool> parse_flag(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  if (*v == "1" || iequals(*v, "ON")) return true;
  if (*v == "0" || iequals(*v, "OFF")) return false;
  return std::nullopt;
}

// Looks a column up under any of its names (MariaDB / MySQL before 8.0.22, then 8.0.22+).
class Columns {
 public:
  Columns(const std::vector<std::string>& names, const Row& values)
      : names_(names), values_(values) {}

  // nullptr when no such column; a pointer to nullopt when the value is NULL.
  const std::optional<std::string>* find(std::initializer_list<std::string_view> aliases) const {
    for (std::size_t i = 0; i < names_.size(); ++i)
      for (auto alias : aliases)
        if (iequals(names_[i], alias)) return &values_[i];
    return nullptr;
  }
  std::string text(std::initializer_list<std::string_view> aliases) const {
    const auto* v = find(aliases);
    return v && *v ? **v : std::string();
  }

 private:
  const std::vector<std::string>& names_;
  const Row& values_;
};

std::string replication_error(const ReplicaStatus& r) {
  // An error is reported only for a thread that is not running: MySQL can keep the text
  // of a Last_IO_Error after the receiver reconnected on its own, and a running thread
  // is by definition past its error.
  std::string out;
  if (!r.io_running && !r.last_io_error.empty()) out = "Last_IO_Error: " + r.last_io_error;
  if (!r.sql_running && !r.last_sql_error.empty())
    out += fmt::format("{}Last_SQL_Error: {}", out.empty() ? "" : "; ", r.last_sql_error);
  return out;
}

}  // namespace

ServerFlavour detect_flavour(std::string_view server_info, unsigned long version) {
  const bool mariadb = server_info.find("MariaDB") != std::string_view::npos;
  return {mariadb ? Flavour::Mariadb : Flavour::Mysql, version};
}

std::string_view variables_query(const ServerFlavour& f) {
  if (f.flavour == Flavour::Mysql && f.version >= 50708)
    return "SELECT @@version, @@read_only, @@server_id, @@super_read_only";
  return "SELECT @@version, @@read_only, @@server_id";
}

std::string_view replica_status_query(const ServerFlavour& f, bool replica_refused) {
  if (f.flavour == Flavour::Mysql && f.version >= 80022 && !replica_refused)
    return "SHOW REPLICA STATUS";
  return "SHOW SLAVE STATUS";
}

std::optional<Variables> parse_variables(const Row& row, const ServerFlavour& f,
                                         std::string& error) {
  const std::size_t expected = variables_query(f).find("super_read_only") != std::string_view::npos ? 4 : 3;
  if (row.size() != expected) {
    error = fmt::format("expected {} values from the variables query, got {}", expected, row.size());
    return std::nullopt;
  }
  Variables v;
  v.version = row[0].value_or("");
  const auto read_only = parse_flag(row[1]);
  if (!read_only) {
    error = fmt::format("unexpected @@read_only value '{}'", row[1].value_or("NULL"));
    return std::nullopt;
  }
  v.read_only = *read_only;
  if (!row[2] || !parse_number(*row[2], v.server_id)) {
    error = fmt::format("unexpected @@server_id value '{}'", row[2].value_or("NULL"));
    return std::nullopt;
  }
  if (expected == 4) {
    const auto super = parse_flag(row[3]);
    if (!super) {
      error = fmt::format("unexpected @@super_read_only value '{}'", row[3].value_or("NULL"));
      return std::nullopt;
    }
    v.read_only = v.read_only || *super;
  }
  return v;
}

std::optional<ReplicaStatus> parse_replica_status(const std::vector<std::string>& columns,
                                                  const Row& values, std::string& error) {
  if (columns.size() != values.size()) {
    error = fmt::format("replica status has {} columns but {} values", columns.size(), values.size());
    return std::nullopt;
  }
  const Columns c(columns, values);
  const auto* io = c.find({"Slave_IO_Running", "Replica_IO_Running"});
  const auto* sql = c.find({"Slave_SQL_Running", "Replica_SQL_Running"});
  if (!io || !sql) {
    error = fmt::format("replica status has no {} column",
                        io ? "Slave_SQL_Running/Replica_SQL_Running" : "Slave_IO_Running/Replica_IO_Running");
    return std::nullopt;
  }
  ReplicaStatus r;
  r.io_state = io->value_or("");
  r.io_running = iequals(r.io_state, "Yes");
  r.sql_running = sql->has_value() && iequals(**sql, "Yes");
  // NULL while a thread is stopped or the receiver is not connected: unknown, not zero.
  if (const auto* lag = c.find({"Seconds_Behind_Master", "Seconds_Behind_Source"}); lag && *lag) {
    std::int64_t s = -1;
    if (parse_number(**lag, s) && s >= 0) r.seconds_behind = s;
  }
  r.last_io_error = c.text({"Last_IO_Error"});
  r.last_sql_error = c.text({"Last_SQL_Error"});
  r.source_host = c.text({"Master_Host", "Source_Host"});
  const std::string port = c.text({"Master_Port", "Source_Port"});
  if (!parse_number(std::string_view(port), r.source_port)) r.source_port = 0;
  return r;
}

ReplicaStatus combine(const std::vector<ReplicaStatus>& channels) {
  if (channels.empty()) return {};
  ReplicaStatus out = channels.front();
  for (std::size_t i = 1; i < channels.size(); ++i) {
    const ReplicaStatus& ch = channels[i];
    if (out.io_running && !ch.io_running) out.io_state = ch.io_state;
    out.io_running = out.io_running && ch.io_running;
    out.sql_running = out.sql_running && ch.sql_running;
    // Unknown lag on any channel makes the whole replica's lag unknown.
    out.seconds_behind = (out.seconds_behind < 0 || ch.seconds_behind < 0)
                             ? -1
                             : std::max(out.seconds_behind, ch.seconds_behind);
    if (out.last_io_error.empty()) out.last_io_error = ch.last_io_error;
    if (out.last_sql_error.empty()) out.last_sql_error = ch.last_sql_error;
  }
  return out;
}

ServerState::SemiSync parse_semi_sync(const std::vector<Row>& rows) {
  ServerState::SemiSync out;
  for (const Row& row : rows) {
    if (row.size() < 2 || !row[0] || !row[1]) continue;
    std::string name = *row[0];
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string& value = *row[1];
    const bool on = value == "ON" || value == "on" || value == "1";
    if (name == "rpl_semi_sync_master_status" || name == "rpl_semi_sync_source_status") {
      out.available = true;
      out.source = on;
    } else if (name == "rpl_semi_sync_slave_status" || name == "rpl_semi_sync_replica_status") {
      out.available = true;
      out.replica = on;
    } else if (name == "rpl_semi_sync_master_clients" || name == "rpl_semi_sync_source_clients") {
      out.available = true;
      char* end = nullptr;
      const long long n = std::strtoll(value.c_str(), &end, 10);
      if (end != value.c_str()) out.clients = n;
    }
  }
  return out;
}

ServerState apply_check(const ServerState& previous, const CheckResult& r) {
  ServerState s = previous;
  s.checked = true;
  s.checked_at = r.at;
  // Nothing measured survives a failed check except version and source, which stay as
  // the last known values for operators.
  s.reachable = r.ok;
  s.read_only = true;
  s.is_replica = false;
  s.io_running = false;
  s.sql_running = false;
  s.seconds_behind = -1;
  s.last_error.clear();
  if (!r.ok) {
    s.last_error = r.error.empty() ? std::string("check failed") : r.error;
    return s;
  }
  s.read_only = r.variables.read_only;
  s.version = r.variables.version;
  s.semi_sync = r.semi_sync;
  if (r.replica) {
    const ReplicaStatus& rs = *r.replica;
    s.is_replica = true;
    s.io_running = rs.io_running;
    s.sql_running = rs.sql_running;
    s.seconds_behind = rs.seconds_behind;
    s.last_error = replication_error(rs);
    s.source = rs.source_host.empty() ? std::string()
                                      : fmt::format("{}:{}", rs.source_host, rs.source_port);
  } else {
    s.source.clear();
  }
  return s;
}

std::vector<std::size_t> writer_candidates(const std::vector<ServerState>& servers) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < servers.size(); ++i)
    if (servers[i].is_writer()) out.push_back(i);
  return out;
}

std::optional<std::size_t> pick_writer(const std::vector<ServerState>& servers,
                                       std::optional<std::size_t> previous) {
  for (std::size_t i = 0; i < servers.size(); ++i)
    if (servers[i].configured_role == ConfiguredRole::Primary && servers[i].reachable) return i;
  std::vector<std::size_t> writable;
  for (std::size_t i : writer_candidates(servers))
    if (servers[i].configured_role == ConfiguredRole::Auto) writable.push_back(i);
  if (writable.size() == 1) return writable.front();
  if (previous && std::find(writable.begin(), writable.end(), *previous) != writable.end())
    return previous;
  return std::nullopt;
}

std::int64_t lag_bucket(std::int64_t seconds_behind) {
  return seconds_behind < 0 ? -1 : seconds_behind;
}

bool relevant_change(const ServerState& a, const ServerState& b) {
  return a.checked != b.checked || a.reachable != b.reachable || a.read_only != b.read_only ||
         a.is_replica != b.is_replica || a.io_running != b.io_running ||
         a.sql_running != b.sql_running ||
         lag_bucket(a.seconds_behind) != lag_bucket(b.seconds_behind) ||
         a.last_error != b.last_error || a.source != b.source || a.version != b.version ||
         a.drained != b.drained || a.semi_sync != b.semi_sync;
}

std::string describe(const ServerState& s) {
  if (!s.checked) return "not checked yet";
  if (!s.reachable) return fmt::format("unreachable: {}", s.last_error);
  std::string out = fmt::format("reachable, read_only={}", s.read_only ? "ON" : "OFF");
  if (s.is_replica) {
    out += fmt::format(", replica of {}, IO={} SQL={}", s.source.empty() ? "?" : s.source,
                       s.io_running ? "Yes" : "No", s.sql_running ? "Yes" : "No");
    out += s.seconds_behind < 0 ? ", lag unknown" : fmt::format(", lag {}s", s.seconds_behind);
  }
  if (!s.last_error.empty()) out += fmt::format(", error: {}", s.last_error);
  if (s.drained) out += ", drained";
  return out;
}

}  // namespace causeway::replication
