// Routing rules: an ordered list of (match keys -> action); the first rule whose keys all
// match a statement decides its action. Built once from specs (the proxy converts the
// config's `rules`), immutable afterwards and shared by every worker.
//
// Matching is pure. It does not allocate unless a rule with a `digest` regex is reached
// with all its other keys matching: the digest is then computed once for that call.
// RE2 objects are safe to use from several threads at once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "routing/classifier.hpp"
#include "routing/hint.hpp"
#include "routing/lexer.hpp"

namespace re2 {
class RE2;
}

namespace causeway::routing {

// A client address. IPv4 and IPv4-mapped IPv6 (::ffff:a.b.c.d, what a dual-stack listener
// reports for IPv4 clients) are the same address.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};  // IPv4: the first 4
  bool v6 = false;

  static IpAddress v4_from(std::array<std::uint8_t, 4> b);
  static IpAddress v6_from(std::array<std::uint8_t, 16> b);  // v4-mapped becomes IPv4
  static std::optional<IpAddress> parse(std::string_view text);
  bool operator==(const IpAddress&) const = default;
};

// An address with a prefix length: 10.0.0.0/8, ::1/128. A plain address is a full-length prefix.
struct IpNetwork {
  IpAddress address;
  unsigned prefix = 0;

  // Nullopt if `text` is not an address or CIDR, or has bits set past the prefix.
  static std::optional<IpNetwork> parse(std::string_view text);
  bool contains(const IpAddress& a) const;
};

// One rule as configured. Empty match lists and patterns mean "any".
struct RuleSpec {
  std::string name;
  std::vector<std::string> users;
  std::vector<std::string> schemas;
  std::vector<std::string> clients;  // addresses or CIDR networks
  std::vector<StatementClass> classes;
  std::string match;   // RE2, searched for in the statement text; empty: any
  std::string digest;  // RE2, searched for in the statement's digest; empty: any
  RouteTarget route = RouteTarget::Unspecified;
  std::string server;  // route == Server
  Consistency consistency = Consistency::Unspecified;
  std::int64_t wait_ms = -1;  // how long its reads may wait for a replica; -1: the level's
  std::optional<std::string> reject;  // the client's error message
};

// What a matching rule asks for.
struct RuleAction {
  RouteTarget route = RouteTarget::Unspecified;
  std::size_t server = 0;  // route == Server: index into the topology's servers (config order)
  Consistency consistency = Consistency::Unspecified;
  std::int64_t wait_ms = -1;  // -1: the consistency level's wait
  bool reject = false;
  std::string reject_message;
};

// What a statement is matched against. A rule with a class, match or digest key never
// matches without a statement (a command without SQL); one with user, schema or client
// keys never matches when that value is unknown (empty / nullopt).
struct RuleContext {
  std::string_view user;
  std::string_view schema;  // the session's default schema
  std::optional<IpAddress> client;
  const Classification* statement = nullptr;
  std::string_view sql;  // the statement text `statement` was classified from
  LexOptions lex_options{};  // for the digest
};

struct Rule {
  std::string name;
  std::size_t index = 0;  // position in the rule list (config: rules[index])
  RuleAction action;

  // Match keys, compiled.
  std::vector<std::string> users;
  std::vector<std::string> schemas;
  std::vector<IpNetwork> clients;
  std::uint32_t classes = 0;  // bit (1 << StatementClass); 0: any
  std::shared_ptr<const re2::RE2> match;
  std::shared_ptr<const re2::RE2> digest;
};

class RuleSet {
 public:
  // Compiles the rules. `server_names` are the topology's servers in order, for
  // route=server:NAME. Throws std::invalid_argument naming the rule and the problem (bad
  // regex, address or server name, reject with a route); config validation reports the
  // same problems with line numbers first.
  static std::shared_ptr<const RuleSet> build(std::span<const RuleSpec> specs,
                                              std::span<const std::string> server_names);

  // The first rule that matches, or null.
  const Rule* match(const RuleContext& context) const;

  std::size_t size() const { return rules_.size(); }
  bool empty() const { return rules_.empty(); }
  const std::string& name(std::size_t i) const { return rules_[i].name; }
  const Rule& rule(std::size_t i) const { return rules_[i]; }
  bool uses_digest() const { return uses_digest_; }

 private:
  std::vector<Rule> rules_;
  bool uses_digest_ = false;
};

using RuleSetPtr = std::shared_ptr<const RuleSet>;

}  // namespace causeway::routing
