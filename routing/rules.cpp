#include "routing/rules.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

#include <re2/re2.h>

#include "routing/digest.hpp"

namespace causeway::routing {

namespace {

// Statement text is bytes, not always valid UTF-8 (binary literals): match it as Latin-1,
// where every byte is a character and a UTF-8 literal in a pattern still matches its bytes.
// `.` also matches a newline, since statements span lines. config/ validates with the same.
RE2::Options regex_options() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_dot_nl(true);
  o.set_log_errors(false);
  return o;
}

std::shared_ptr<const re2::RE2> compile(const std::string& pattern, const std::string& rule, const char* key) {
  if (pattern.empty()) return nullptr;
  auto re = std::make_shared<const re2::RE2>(pattern, regex_options());
  if (!re->ok()) {
    throw std::invalid_argument("rule \"" + rule + "\": " + key + ": invalid regular expression: " + re->error());
  }
  return re;
}

bool search(const re2::RE2& re, std::string_view text) {
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re);
}

bool contains(const std::vector<std::string>& values, std::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

RuleAction action_of(const RuleSpec& s, std::span<const std::string> servers) {
  RuleAction a;
  a.route = s.route;
  a.consistency = s.consistency;
  a.wait_ms = s.wait_ms;
  if (s.reject) {
    if (s.route != RouteTarget::Unspecified) {
      throw std::invalid_argument("rule \"" + s.name + "\": reject cannot be combined with route");
    }
    a.reject = true;
    a.reject_message = *s.reject;
  }
  if (s.route == RouteTarget::Server) {
    const auto it = std::find(servers.begin(), servers.end(), s.server);
    if (it == servers.end()) {
      throw std::invalid_argument("rule \"" + s.name + "\": route: unknown server \"" + s.server + "\"");
    }
    a.server = static_cast<std::size_t>(it - servers.begin());
  }
  return a;
}

Rule compile_rule(const RuleSpec& s, std::size_t index, std::span<const std::string> servers) {
  Rule r;
  r.name = s.name;
  r.index = index;
  r.action = action_of(s, servers);
  r.users = s.users;
  r.schemas = s.schemas;
  for (const auto& text : s.clients) {
    auto network = IpNetwork::parse(text);
    if (!network) throw std::invalid_argument("rule \"" + s.name + "\": client: not an address or network: " + text);
    r.clients.push_back(*network);
  }
  for (auto cls : s.classes) r.classes |= 1u << static_cast<unsigned>(cls);
  r.match = compile(s.match, s.name, "match");
  r.digest = compile(s.digest, s.name, "digest");
  return r;
}

// Every key except the digest, cheapest first.
bool matches_without_digest(const Rule& r, const RuleContext& c) {
  const Classification* st = c.statement;
  if ((r.classes != 0 || r.match || r.digest) && st == nullptr) return false;
  if (r.classes != 0 && (r.classes & (1u << static_cast<unsigned>(st->cls))) == 0) return false;
  if (!r.users.empty() && !contains(r.users, c.user)) return false;
  if (!r.schemas.empty() && !contains(r.schemas, c.schema)) return false;
  if (!r.clients.empty()) {
    if (!c.client) return false;
    const auto in = [&](const IpNetwork& n) { return n.contains(*c.client); };
    if (std::none_of(r.clients.begin(), r.clients.end(), in)) return false;
  }
  if (r.match && !search(*r.match, c.sql)) return false;
  return true;
}

}  // namespace

IpAddress IpAddress::v4_from(std::array<std::uint8_t, 4> b) {
  IpAddress a;
  std::copy(b.begin(), b.end(), a.bytes.begin());
  return a;
}

IpAddress IpAddress::v6_from(std::array<std::uint8_t, 16> b) {
  constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(std::begin(mapped), std::end(mapped), b.begin())) return v4_from({b[12], b[13], b[14], b[15]});
  IpAddress a;
  a.bytes = b;
  a.v6 = true;
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  char buf[INET6_ADDRSTRLEN + 1] = {};  // inet_pton wants a terminated string
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::copy(text.begin(), text.end(), buf);
  std::array<std::uint8_t, 16> b{};
  if (inet_pton(AF_INET, buf, b.data()) == 1) return v4_from({b[0], b[1], b[2], b[3]});
  if (inet_pton(AF_INET6, buf, b.data()) == 1) return v6_from(b);
  return std::nullopt;
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text) {
  const auto slash = text.find('/');
  const bool literal_v6 = text.substr(0, slash).find(':') != std::string_view::npos;
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  const unsigned written_bits = literal_v6 ? 128 : 32;
  unsigned prefix = written_bits;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    prefix = 0;
    for (char ch : digits) {
      if (ch < '0' || ch > '9') return std::nullopt;
      prefix = prefix * 10 + static_cast<unsigned>(ch - '0');
    }
    if (prefix > written_bits) return std::nullopt;
  }
  // ::ffff:10.0.0.0/104 is 10.0.0.0/8.
  if (literal_v6 && !address->v6) {
    if (prefix < 96) return std::nullopt;
    prefix -= 96;
  }
  IpNetwork n{*address, prefix};
  const unsigned bits = address->v6 ? 128 : 32;
  for (unsigned b = prefix; b < bits; ++b) {
    if (n.address.bytes[b / 8] & (0x80u >> (b % 8))) return std::nullopt;
  }
  return n;
}

bool IpNetwork::contains(const IpAddress& a) const {
  if (a.v6 != address.v6) return false;
  const unsigned whole = prefix / 8;
  if (!std::equal(address.bytes.begin(), address.bytes.begin() + whole, a.bytes.begin())) return false;
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
  return (address.bytes[whole] & mask) == (a.bytes[whole] & mask);
}

std::shared_ptr<const RuleSet> RuleSet::build(std::span<const RuleSpec> specs,
                                              std::span<const std::string> server_names) {
  auto set = std::make_shared<RuleSet>();
  set->rules_.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    set->rules_.push_back(compile_rule(specs[i], i, server_names));
    if (set->rules_.back().digest) set->uses_digest_ = true;
  }
  return set;
}

const Rule* RuleSet::match(const RuleContext& c) const {
  std::optional<std::string> digest_text;  // computed at most once, and only if needed
  for (const Rule& r : rules_) {
    if (!matches_without_digest(r, c)) continue;
    if (r.digest) {
      if (!digest_text) digest_text = digest(c.sql, c.lex_options);
      if (!search(*r.digest, *digest_text)) continue;
    }
    return &r;
  }
  return nullptr;
}

}  // namespace causeway::routing
