// Step 1 of loading: YAML -> Config structs. Only what can be judged from one value
// alone is checked here (type, syntax, representable range); rules live in validate.cpp.
#include <algorithm>
#include <functional>
#include <limits>
#include <span>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/detail.hpp"

namespace causeway::config::detail {
namespace {

Pos pos_of(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};  // yaml-cpp counts from 0
}

const char* kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: return "a single value";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "an empty value";
  }
}

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

using Keys = std::vector<std::string_view>;

class Parser {
 public:
  explicit Parser(Parsed& out) : out_(out) {}
  void document(const YAML::Node& root);

 private:
  using Fn = std::function<void(const YAML::Node&, const std::string&)>;
  struct Field {
    std::string_view key;
    Fn read;
  };

  void issue(const std::string& path, Pos pos, std::string message) {
    out_.issues.push_back({path, pos.line, pos.column, std::move(message)});
  }
  void issue(const std::string& path, const YAML::Node& n, std::string message) {
    issue(path, pos_of(n.Mark()), std::move(message));
  }

  void map(const YAML::Node& n, const std::string& path, const std::vector<Field>& fields);
  void list(const YAML::Node& n, const std::string& path,
            const std::function<void(const YAML::Node&, const std::string&, std::size_t)>& item);
  bool scalar(const YAML::Node& n, const std::string& path, const char* expected);

  void string(const YAML::Node& n, const std::string& path, std::string& out);
  void optional_string(const YAML::Node& n, const std::string& path,
                       std::optional<std::string>& out);
  void boolean(const YAML::Node& n, const std::string& path, bool& out);
  template <class T>
  void integer(const YAML::Node& n, const std::string& path, T& out);
  void port(const YAML::Node& n, const std::string& path, std::uint16_t& out, bool zero_ok);
  void duration(const YAML::Node& n, const std::string& path, Millis& out);
  void size(const YAML::Node& n, const std::string& path, std::uint64_t& out);
  template <class E>
  void choice(const YAML::Node& n, const std::string& path,
              std::span<const std::pair<std::string_view, E>> options, E& out);

  void listener(const YAML::Node& n, const std::string& path, Listener& out);
  void server(const YAML::Node& n, const std::string& path, Server& out);
  void user(const YAML::Node& n, const std::string& path, User& out);
  void replication(const YAML::Node& n, const std::string& path, std::optional<ReplicationSettings>& out);
  void consistency(const YAML::Node& n, const std::string& path, ConsistencySettings& out);
  void level(const YAML::Node& n, const std::string& path, std::optional<Consistency>& out);
  void monitor(const YAML::Node& n, const std::string& path, std::optional<MonitorSettings>& out);
  void backend_tls(const YAML::Node& n, const std::string& path, BackendTls& out);
  void string_list(const YAML::Node& n, const std::string& path, std::vector<std::string>& out);
  void class_list(const YAML::Node& n, const std::string& path, std::vector<StatementClass>& out);
  void route(const YAML::Node& n, const std::string& path, Rule& out);
  void rule(const YAML::Node& n, const std::string& path, Rule& out);

  Parsed& out_;
};

// Walks a mapping: reports keys that are not strings, duplicated or unknown (with a
// suggestion), records where each known key is, then reads the known ones in file order.
void Parser::map(const YAML::Node& n, const std::string& path, const std::vector<Field>& fields) {
  if (n.IsNull()) return;  // "tls:" with nothing under it: all defaults
  if (!n.IsMap()) {
    issue(path, n, fmt::format("expected a map, got {}", kind_of(n)));
    return;
  }
  Keys known;
  for (const auto& f : fields) known.push_back(f.key);
  std::unordered_map<std::string, int> first_line;
  for (auto it = n.begin(); it != n.end(); ++it) {
    // By value: the iterator hands out a temporary pair proxy, so references into it
    // would dangle.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const Pos key_pos = pos_of(key.Mark());
    if (!key.IsScalar()) {
      issue(path, key_pos, "keys must be plain names");
      continue;
    }
    const std::string& name = key.Scalar();
    const std::string p = child_path(path, name);
    if (auto [prev, fresh] = first_line.emplace(name, key_pos.line); !fresh) {
      issue(p, key_pos, fmt::format("duplicate key (first given at line {})", prev->second));
      continue;
    }
    auto f = std::find_if(fields.begin(), fields.end(), [&](const Field& x) { return x.key == name; });
    if (f == fields.end()) {
      issue(p, key_pos, fmt::format("unknown key \"{}\"{}", name, suggestion(name, known)));
      continue;
    }
    // An empty value has no position of its own (yaml-cpp puts it on the next token),
    // so the key's position stands in for it.
    out_.locations.add(p, value.IsNull() ? key_pos : pos_of(value.Mark()));
    f->read(value, p);
  }
}

void Parser::list(
    const YAML::Node& n, const std::string& path,
    const std::function<void(const YAML::Node&, const std::string&, std::size_t)>& item) {
  if (n.IsNull()) return;  // "servers:" with nothing: validation says one is required
  if (!n.IsSequence()) {
    issue(path, n, fmt::format("expected a list, got {}", kind_of(n)));
    return;
  }
  std::size_t i = 0;
  for (const YAML::Node& element : n) {
    const std::string p = fmt::format("{}[{}]", path, i);
    // An empty "-" entry takes the next token's position; the list's is closer.
    out_.locations.add(p, element.IsNull() ? out_.locations.nearest(path) : pos_of(element.Mark()));
    item(element, p, i++);
  }
}

bool Parser::scalar(const YAML::Node& n, const std::string& path, const char* expected) {
  if (n.IsScalar()) return true;
  const char* hint = n.IsNull() ? " (write \"\" for an empty string)" : "";
  issue(path, n.IsNull() ? out_.locations.nearest(path) : pos_of(n.Mark()),
        fmt::format("expected {}, got {}{}", expected, kind_of(n),
                    std::string_view(expected) == "a string" ? hint : ""));
  return false;
}

void Parser::string(const YAML::Node& n, const std::string& path, std::string& out) {
  if (scalar(n, path, "a string")) out = n.Scalar();
}

void Parser::optional_string(const YAML::Node& n, const std::string& path,
                             std::optional<std::string>& out) {
  if (scalar(n, path, "a string")) out = n.Scalar();
}

void Parser::boolean(const YAML::Node& n, const std::string& path, bool& out) {
  std::string error;
  if (scalar(n, path, "a boolean (true or false)") && !parse_bool(n.Scalar(), out, error))
    issue(path, n, error);
}

template <class T>
void Parser::integer(const YAML::Node& n, const std::string& path, T& out) {
  std::uint64_t v = 0;
  std::string error;
  if (!scalar(n, path, "an integer")) return;
  if (!parse_uint(n.Scalar(), std::numeric_limits<T>::max(), v, error)) {
    issue(path, n, error);
    return;
  }
  out = static_cast<T>(v);
}

void Parser::port(const YAML::Node& n, const std::string& path, std::uint16_t& out,
                  bool zero_ok) {
  std::uint64_t v = 0;
  std::string error;
  if (!scalar(n, path, "an integer (port number)")) return;
  if (!parse_uint(n.Scalar(), std::numeric_limits<std::uint64_t>::max(), v, error)) {
    issue(path, n, error);
    return;
  }
  if (v > 65535) {
    // Same words as validate.cpp's check of port 0, so both read alike.
    issue(path, n, zero_ok ? "must be between 0 and 65535 (0 disables it)"
                           : "must be between 1 and 65535");
    return;
  }
  out = static_cast<std::uint16_t>(v);
}

void Parser::duration(const YAML::Node& n, const std::string& path, Millis& out) {
  std::string error;
  if (scalar(n, path, "a duration (e.g. 500ms, 10s, 5m, 8h)") &&
      !parse_duration(n.Scalar(), out, error))
    issue(path, n, error);
}

void Parser::size(const YAML::Node& n, const std::string& path, std::uint64_t& out) {
  std::string error;
  if (scalar(n, path, "a size (e.g. 16K, 64M, 1G)") && !parse_size(n.Scalar(), out, error))
    issue(path, n, error);
}

template <class E>
void Parser::choice(const YAML::Node& n, const std::string& path,
                    std::span<const std::pair<std::string_view, E>> options, E& out) {
  if (!scalar(n, path, "a single value")) return;
  Keys names;
  for (const auto& [name, value] : options) {
    if (n.Scalar() == name) {
      out = value;
      return;
    }
    names.push_back(name);
  }
  std::string list;
  for (auto name : names) list += fmt::format("{}{}", list.empty() ? "" : ", ", name);
  issue(path, n,
        fmt::format("must be one of {}; got \"{}\"{}", list, n.Scalar(),
                    suggestion(n.Scalar(), names)));
}

constexpr std::pair<std::string_view, ServerRole> roles[] = {
    {"primary", ServerRole::Primary}, {"replica", ServerRole::Replica}, {"auto", ServerRole::Auto}};
constexpr std::pair<std::string_view, Fallback> fallbacks[] = {
    {"primary", Fallback::Primary}, {"error", Fallback::Error}};

constexpr std::pair<std::string_view, StatementClass> classes[] = {
    {"read", StatementClass::Read},         {"write", StatementClass::Write},
    {"ddl", StatementClass::Ddl},           {"dcl", StatementClass::Dcl},
    {"transaction", StatementClass::Transaction}, {"session", StatementClass::Session},
    {"lock", StatementClass::Lock},         {"show", StatementClass::Show},
    {"call", StatementClass::Call},         {"prepare", StatementClass::Prepare},
    {"execute", StatementClass::Execute},   {"deallocate", StatementClass::Deallocate},
    {"kill", StatementClass::Kill},         {"admin", StatementClass::Admin},
    {"other", StatementClass::Other},       {"empty", StatementClass::Empty}};
constexpr std::pair<std::string_view, Consistency> consistencies[] = {
    {"eventual", Consistency::Eventual},
    {"read_your_writes", Consistency::ReadYourWrites},
    {"monotonic", Consistency::Monotonic},
    {"strong", Consistency::Strong}};

constexpr std::pair<std::string_view, ConsistencyScope> scopes[] = {
    {"global", ConsistencyScope::Global}, {"session", ConsistencyScope::Session}};

constexpr std::pair<std::string_view, AuthPlugin> plugins[] = {
    {"mysql_native_password", AuthPlugin::MysqlNativePassword},
    {"caching_sha2_password", AuthPlugin::CachingSha2Password}};

void Parser::listener(const YAML::Node& n, const std::string& path, Listener& out) {
  map(n, path,
      {{"name", [&](auto& v, auto& p) { string(v, p, out.name); }},
       {"address", [&](auto& v, auto& p) { string(v, p, out.address); }},
       {"port", [&](auto& v, auto& p) { port(v, p, out.port, false); }}});
}

void Parser::server(const YAML::Node& n, const std::string& path, Server& out) {
  map(n, path,
      {{"name", [&](auto& v, auto& p) { string(v, p, out.name); }},
       {"host", [&](auto& v, auto& p) { string(v, p, out.host); }},
       {"port", [&](auto& v, auto& p) { port(v, p, out.port, false); }},
       {"role", [&](auto& v, auto& p) { choice<ServerRole>(v, p, roles, out.role); }},
       {"weight", [&](auto& v, auto& p) { integer(v, p, out.weight); }},
       {"tls", [&](auto& v, auto& p) { backend_tls(v, p, out.tls.emplace()); }}});
}

constexpr std::pair<std::string_view, BackendTlsMode> tls_modes[] = {
    {"disabled", BackendTlsMode::Disabled},   {"preferred", BackendTlsMode::Preferred},
    {"required", BackendTlsMode::Required},   {"verify_ca", BackendTlsMode::VerifyCa},
    {"verify_identity", BackendTlsMode::VerifyIdentity},
};

void Parser::backend_tls(const YAML::Node& n, const std::string& path, BackendTls& out) {
  map(n, path,
      {{"mode", [&](auto& v, auto& p) { choice<BackendTlsMode>(v, p, tls_modes, out.mode); }},
       {"ca_file", [&](auto& v, auto& p) { string(v, p, out.ca_file); }},
       {"cert_file", [&](auto& v, auto& p) { string(v, p, out.cert_file); }},
       {"key_file", [&](auto& v, auto& p) { string(v, p, out.key_file); }}});
}

void Parser::user(const YAML::Node& n, const std::string& path, User& out) {
  map(n, path,
      {{"name", [&](auto& v, auto& p) { string(v, p, out.name); }},
       {"password", [&](auto& v, auto& p) { optional_string(v, p, out.password); }},
       {"password_hash", [&](auto& v, auto& p) { optional_string(v, p, out.password_hash); }},
       {"auth_plugin",
        [&](auto& v, auto& p) { choice<AuthPlugin>(v, p, plugins, out.auth_plugin); }},
       {"consistency", [&](auto& v, auto& p) { level(v, p, out.consistency); }}});
}

void Parser::replication(const YAML::Node& n, const std::string& path,
                         std::optional<ReplicationSettings>& out) {
  out.emplace();  // present even when empty, so validation can ask for user/password
  map(n, path,
      {{"user", [&](auto& v, auto& p) { string(v, p, out->user); }},
       {"password", [&](auto& v, auto& p) { string(v, p, out->password); }},
       {"heartbeat", [&](auto& v, auto& p) { duration(v, p, out->heartbeat); }},
       {"poll_interval", [&](auto& v, auto& p) { duration(v, p, out->poll_interval); }},
       {"server_id", [&](auto& v, auto& p) { integer(v, p, out->server_id); }}});
}

void Parser::level(const YAML::Node& n, const std::string& path, std::optional<Consistency>& out) {
  Consistency value{};
  const std::size_t before = out_.issues.size();
  choice<Consistency>(n, path, consistencies, value);
  if (out_.issues.size() == before) out = value;
}

void Parser::consistency(const YAML::Node& n, const std::string& path, ConsistencySettings& out) {
  map(n, path,
      {{"default",
        [&](auto& v, auto& p) { choice<Consistency>(v, p, consistencies, out.level); }},
       {"scope", [&](auto& v, auto& p) { choice<ConsistencyScope>(v, p, scopes, out.scope); }},
       {"max_replica_lag", [&](auto& v, auto& p) { duration(v, p, out.max_replica_lag); }},
       {"on_timeout", [&](auto& v, auto& p) { choice<Fallback>(v, p, fallbacks, out.on_timeout); }},
       {"wait",
        [&](auto& v, auto& p) {
          map(v, p,
              {{"read_your_writes", [&](auto& v2, auto& p2) { duration(v2, p2, out.wait_read_your_writes); }},
               {"monotonic", [&](auto& v2, auto& p2) { duration(v2, p2, out.wait_monotonic); }},
               {"strong", [&](auto& v2, auto& p2) { duration(v2, p2, out.wait_strong); }}});
        }}});
}

void Parser::monitor(const YAML::Node& n, const std::string& path,
                     std::optional<MonitorSettings>& out) {
  out.emplace();  // present even when empty, so validation can ask for user/password
  map(n, path,
      {{"user", [&](auto& v, auto& p) { string(v, p, out->user); }},
       {"password", [&](auto& v, auto& p) { string(v, p, out->password); }},
       {"interval", [&](auto& v, auto& p) { duration(v, p, out->interval); }},
       {"timeout", [&](auto& v, auto& p) { duration(v, p, out->timeout); }}});
}

// "user: app" or "user: [app, report]": one value or a list of them.
void Parser::string_list(const YAML::Node& n, const std::string& path, std::vector<std::string>& out) {
  if (n.IsSequence()) {
    list(n, path, [&](auto& item, auto& ip, std::size_t) {
      if (scalar(item, ip, "a string")) out.push_back(item.Scalar());
    });
    return;
  }
  if (scalar(n, path, "a string or a list of strings")) out.push_back(n.Scalar());
}

void Parser::class_list(const YAML::Node& n, const std::string& path, std::vector<StatementClass>& out) {
  const auto one = [&](const YAML::Node& item, const std::string& ip) {
    const std::size_t before = out_.issues.size();
    StatementClass v{};
    choice<StatementClass>(item, ip, classes, v);
    if (out_.issues.size() == before) out.push_back(v);
  };
  if (n.IsSequence()) {
    list(n, path, [&](auto& item, auto& ip, std::size_t) { one(item, ip); });
    return;
  }
  one(n, path);
}

// route: primary | replica | server:NAME (whether NAME exists is validation's business).
void Parser::route(const YAML::Node& n, const std::string& path, Rule& out) {
  if (!scalar(n, path, "a single value")) return;
  const std::string& v = n.Scalar();
  if (v == "primary") {
    out.route = RuleRoute::Primary;
  } else if (v == "replica") {
    out.route = RuleRoute::Replica;
  } else if (v.starts_with("server:") && v.size() > 7) {
    out.route = RuleRoute::Server;
    out.server = v.substr(7);
  } else {
    const Keys names = {"primary", "replica", "server:"};
    issue(path, n,
          fmt::format("must be primary, replica or server:NAME; got \"{}\"{}", v,
                      v == "server:" ? " (the server name is missing)" : suggestion(v, names)));
  }
}

void Parser::rule(const YAML::Node& n, const std::string& path, Rule& out) {
  map(n, path,
      {{"name", [&](auto& v, auto& p) { string(v, p, out.name); }},
       {"user", [&](auto& v, auto& p) { string_list(v, p, out.users); }},
       {"schema", [&](auto& v, auto& p) { string_list(v, p, out.schemas); }},
       {"client", [&](auto& v, auto& p) { string_list(v, p, out.clients); }},
       {"class", [&](auto& v, auto& p) { class_list(v, p, out.classes); }},
       {"match", [&](auto& v, auto& p) { optional_string(v, p, out.match); }},
       {"digest", [&](auto& v, auto& p) { optional_string(v, p, out.digest); }},
       {"route", [&](auto& v, auto& p) { route(v, p, out); }},
       {"consistency", [&](auto& v, auto& p) { level(v, p, out.consistency); }},
       {"wait",
        [&](auto& v, auto& p) {
          Millis wait{};
          const std::size_t before = out_.issues.size();
          duration(v, p, wait);
          if (out_.issues.size() == before) out.wait = wait;
        }},
       {"reject", [&](auto& v, auto& p) { optional_string(v, p, out.reject); }}});
}

void Parser::document(const YAML::Node& root) {
  Config& c = out_.config;
  if (!root.IsNull() && !root.IsMap()) {
    issue("", root, fmt::format("the document must be a map of settings, got {}", kind_of(root)));
    out_.readable = false;  // nothing was read, so "at least one server" would be noise
    return;
  }
  map(root, "",
      {{"listeners",
        [&](auto& v, auto& p) {
          list(v, p, [&](auto& item, auto& ip, std::size_t) {
            listener(item, ip, c.listeners.emplace_back());
          });
        }},
       {"servers",
        [&](auto& v, auto& p) {
          list(v, p, [&](auto& item, auto& ip, std::size_t) {
            server(item, ip, c.servers.emplace_back());
          });
        }},
       {"users",
        [&](auto& v, auto& p) {
          list(v, p, [&](auto& item, auto& ip, std::size_t) { user(item, ip, c.users.emplace_back()); });
        }},
       {"server_version", [&](auto& v, auto& p) { string(v, p, c.server_version); }},
       {"workers", [&](auto& v, auto& p) { integer(v, p, c.workers); }},
       {"tls",
        [&](auto& v, auto& p) {
          map(v, p,
              {{"cert_file", [&](auto& v2, auto& p2) { string(v2, p2, c.tls.cert_file); }},
               {"key_file", [&](auto& v2, auto& p2) { string(v2, p2, c.tls.key_file); }},
               {"require", [&](auto& v2, auto& p2) { boolean(v2, p2, c.tls.require); }}});
        }},
       {"backend_tls", [&](auto& v, auto& p) { backend_tls(v, p, c.backend_tls); }},
       {"limits",
        [&](auto& v, auto& p) {
          map(v, p,
              {{"max_client_connections",
                [&](auto& v2, auto& p2) { integer(v2, p2, c.limits.max_client_connections); }},
               {"max_packet_size",
                [&](auto& v2, auto& p2) { size(v2, p2, c.limits.max_packet_size); }}});
        }},
       {"timeouts",
        [&](auto& v, auto& p) {
          Timeouts& t = c.timeouts;
          map(v, p,
              {{"handshake", [&](auto& v2, auto& p2) { duration(v2, p2, t.handshake); }},
               {"client_idle", [&](auto& v2, auto& p2) { duration(v2, p2, t.client_idle); }},
               {"backend_connect",
                [&](auto& v2, auto& p2) { duration(v2, p2, t.backend_connect); }},
               {"shutdown_grace",
                [&](auto& v2, auto& p2) { duration(v2, p2, t.shutdown_grace); }}});
        }},
       {"monitor", [&](auto& v, auto& p) { monitor(v, p, c.monitor); }},
       {"account_discovery",
        [&](auto& v, auto& p) {
          auto& d = c.account_discovery.emplace();
          map(v, p,
              {{"user", [&](auto& v2, auto& p2) { string(v2, p2, d.user); }},
               {"password", [&](auto& v2, auto& p2) { string(v2, p2, d.password); }},
               {"refresh", [&](auto& v2, auto& p2) { duration(v2, p2, d.refresh); }}});
        }},
       {"replication", [&](auto& v, auto& p) { replication(v, p, c.replication); }},
       {"consistency", [&](auto& v, auto& p) { consistency(v, p, c.consistency); }},
       {"routing",
        [&](auto& v, auto& p) {
          map(v, p,
              {{"read_write_split",
                [&](auto& v2, auto& p2) { boolean(v2, p2, c.routing.read_write_split); }},
               {"fallback",
                [&](auto& v2, auto& p2) { choice<Fallback>(v2, p2, fallbacks, c.routing.fallback); }}});
        }},
       {"pool",
        [&](auto& v, auto& p) {
          map(v, p,
              {{"max_connections_per_server",
                [&](auto& v2, auto& p2) { integer(v2, p2, c.pool.max_connections_per_server); }},
               {"idle_timeout", [&](auto& v2, auto& p2) { duration(v2, p2, c.pool.idle_timeout); }},
               {"min_idle", [&](auto& v2, auto& p2) { integer(v2, p2, c.pool.min_idle); }}});
        }},
       {"rules",
        [&](auto& v, auto& p) {
          list(v, p, [&](auto& item, auto& ip, std::size_t) { rule(item, ip, c.rules.emplace_back()); });
        }},
       {"status",
        [&](auto& v, auto& p) {
          map(v, p,
              {{"address", [&](auto& v2, auto& p2) { string(v2, p2, c.status.address); }},
               {"port", [&](auto& v2, auto& p2) { port(v2, p2, c.status.port, true); }},
               {"admin_token",
                [&](auto& v2, auto& p2) { optional_string(v2, p2, c.status.admin_token); }}});
        }},
       {"log_level", [&](auto& v, auto& p) { string(v, p, c.log_level); }}});
}

// yaml-cpp's words for the two mistakes people actually make, plus what to do.
std::string syntax_hint(const std::string& message, const std::string& line_text) {
  if (message.find("anchor") != std::string::npos)
    return "; a value starting with '*' is read as a YAML alias: quote it, "
           "e.g. password_hash: \"*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9\"";
  if (line_text.find('\t') != std::string::npos)
    return "; YAML does not allow tabs for indentation";
  return {};
}

std::string line_at(const std::string& text, int line) {
  std::size_t begin = 0;
  for (int i = 0; i < line && begin != std::string::npos; ++i) {
    begin = text.find('\n', begin);
    if (begin != std::string::npos) ++begin;
  }
  if (begin == std::string::npos) return {};
  return text.substr(begin, text.find('\n', begin) - begin);
}

}  // namespace

Pos Locations::nearest(std::string path) const {
  for (;;) {
    if (auto it = pos_.find(path); it != pos_.end()) return it->second;
    const auto cut = path.find_last_of(".[");
    if (cut == std::string::npos) return {};
    path.resize(cut);
  }
}

Parsed parse(const std::string& yaml) {
  Parsed out;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    const std::string line = e.mark.is_null() ? std::string() : line_at(yaml, e.mark.line);
    const Pos pos = pos_of(e.mark);
    out.issues.push_back(
        {"", pos.line, pos.column, "YAML syntax error: " + e.msg + syntax_hint(e.msg, line)});
    out.readable = false;
    return out;
  }
  Parser(out).document(root);
  return out;
}

}  // namespace causeway::config::detail
