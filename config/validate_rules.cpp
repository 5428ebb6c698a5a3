// Validation of `rules`: names, match keys (addresses, regexes) and actions. RE2 is used
// here only to check that each regex compiles; the proxy compiles them for use.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include <fmt/format.h>
#include <re2/re2.h>

#include "config/detail.hpp"

namespace causeway::config::detail {
namespace {

class RuleChecker {
 public:
  RuleChecker(const Config& cfg, const Locations& loc) : cfg_(cfg), loc_(loc) {}

  std::vector<Issue> run() {
    for (std::size_t i = 0; i < cfg_.rules.size(); ++i) rule(cfg_.rules[i], fmt::format("rules[{}]", i));
    unique_names();
    return std::move(issues_);
  }

 private:
  void fail(const std::string& path, std::string message) {
    const Pos p = loc_.nearest(path);
    issues_.push_back({path, p.line, p.column, std::move(message)});
  }
  // The path of element j of a key given either as one value or as a list.
  std::string element(const std::string& key, std::size_t j) const {
    const std::string listed = fmt::format("{}[{}]", key, j);
    return loc_.has(listed) ? listed : key;
  }

  void rule(const Rule& r, const std::string& path);
  void name(const Rule& r, const std::string& path);
  void strings(const std::vector<std::string>& values, const std::string& key);
  void clients(const Rule& r, const std::string& key);
  void regex(const std::optional<std::string>& pattern, const std::string& key);
  void actions(const Rule& r, const std::string& path);
  void unique_names();

  const Config& cfg_;
  const Locations& loc_;
  std::vector<Issue> issues_;
};

// "10.0.0.0/8", "10.1.2.3", "::1/128", "fe80::/10". Empty error: valid.
std::string network_error(const std::string& text) {
  const auto slash = text.find('/');
  const std::string address = text.substr(0, slash);
  unsigned char bytes[16] = {};
  std::size_t bits = 0;
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
    bits = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    bits = 128;
  } else {
    return fmt::format("must be an IPv4 or IPv6 address or network (CIDR), e.g. 10.0.0.0/8, "
                       "127.0.0.1, ::1/128; got \"{}\"",
                       text);
  }
  if (slash == std::string::npos) return {};
  const std::string len = text.substr(slash + 1);
  std::size_t prefix = 0;
  const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  const bool digits = !len.empty() && len.size() <= 3 && std::all_of(len.begin(), len.end(), digit);
  if (digits) prefix = std::stoul(len);
  if (!digits || prefix > bits)
    return fmt::format("prefix length after '/' must be 0 to {}; got \"{}\"", bits, text);
  // Bits past the prefix are usually a typo for a different network.
  for (std::size_t b = prefix; b < bits; ++b) {
    if (bytes[b / 8] & (0x80u >> (b % 8)))
      return fmt::format("\"{}\" has address bits set past the /{} prefix; write the network "
                         "address (or a single address without a prefix)",
                         text, prefix);
  }
  return {};
}

bool plain_name(const std::string& name) {
  return name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
         });
}

void RuleChecker::rule(const Rule& r, const std::string& path) {
  name(r, path);
  strings(r.users, path + ".user");
  strings(r.schemas, path + ".schema");
  clients(r, path + ".client");
  if (loc_.has(path + ".class") && r.classes.empty()) fail(path + ".class", "must not be an empty list");
  regex(r.match, path + ".match");
  regex(r.digest, path + ".digest");
  actions(r, path);
}

void RuleChecker::name(const Rule& r, const std::string& path) {
  const std::string key = path + ".name";
  if (r.name.empty())
    fail(key, loc_.has(key) ? "must not be empty" : "is required");
  else if (!plain_name(r.name))
    fail(key, "may contain only letters, digits, '_', '-' and '.' (at most 64); it is used in "
              "logs, metrics labels and status API paths");
}

void RuleChecker::strings(const std::vector<std::string>& values, const std::string& key) {
  if (loc_.has(key) && values.empty()) fail(key, "must not be an empty list");
  for (std::size_t j = 0; j < values.size(); ++j)
    if (values[j].empty()) fail(element(key, j), "must not be empty");
}

void RuleChecker::clients(const Rule& r, const std::string& key) {
  if (loc_.has(key) && r.clients.empty()) fail(key, "must not be an empty list");
  for (std::size_t j = 0; j < r.clients.size(); ++j)
    if (auto error = network_error(r.clients[j]); !error.empty()) fail(element(key, j), std::move(error));
}

void RuleChecker::regex(const std::optional<std::string>& pattern, const std::string& key) {
  if (!pattern) return;
  if (pattern->empty()) {
    fail(key, "must not be empty (leave the key out to match every statement)");
    return;
  }
  // The options routing/rules.cpp compiles with: bytes (Latin-1), `.` matches newlines.
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_dot_nl(true);
  options.set_log_errors(false);
  const RE2 re(*pattern, options);
  if (!re.ok()) fail(key, fmt::format("invalid regular expression: {}", re.error()));
}

void RuleChecker::actions(const Rule& r, const std::string& path) {
  if (r.route == RuleRoute::None && !r.consistency && !r.wait && !r.reject) {
    // A route that failed to parse was reported already.
    if (!loc_.has(path + ".route") && !loc_.has(path + ".consistency") && !loc_.has(path + ".wait") &&
        !loc_.has(path + ".reject"))
      fail(path, "needs an action: route, consistency, wait or reject");
    return;
  }
  if (r.reject) {
    if (r.reject->empty()) fail(path + ".reject", "must not be empty: it is the error message the client gets");
    if (loc_.has(path + ".route"))
      fail(path + ".reject", "cannot be combined with route: a rejected statement goes nowhere");
    if (loc_.has(path + ".consistency"))
      fail(path + ".reject", "cannot be combined with consistency: a rejected statement reads nothing");
    if (loc_.has(path + ".wait"))
      fail(path + ".reject", "cannot be combined with wait: a rejected statement reads nothing");
  }
  if (r.route != RuleRoute::Server) return;
  std::vector<std::string_view> names;
  for (const Server& s : cfg_.servers) {
    if (s.name == r.server) return;
    names.push_back(s.name);
  }
  fail(path + ".route", fmt::format("unknown server \"{}\"{}", r.server, suggestion(r.server, names)));
}

void RuleChecker::unique_names() {
  std::unordered_map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < cfg_.rules.size(); ++i) {
    const std::string& n = cfg_.rules[i].name;
    if (n.empty()) continue;
    auto [it, fresh] = first.emplace(n, i);
    if (fresh) continue;
    const int line = loc_.nearest(fmt::format("rules[{}].name", it->second)).line;
    fail(fmt::format("rules[{}].name", i),
         fmt::format("duplicate rule name \"{}\" (already used by rules[{}]{})", n, it->second,
                     line ? fmt::format(" at line {}", line) : ""));
  }
}

}  // namespace

std::vector<Issue> validate_rules(const Config& config, const Locations& locations) {
  return RuleChecker(config, locations).run();
}

}  // namespace causeway::config::detail
