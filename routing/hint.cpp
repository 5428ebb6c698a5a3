#include "routing/hint.hpp"

#include "routing/lexer.hpp"

#include <cctype>
#include <optional>

namespace causeway::routing {

namespace {

constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// read_your_writes and read-your-writes are both accepted.
bool same_name(std::string_view s, std::string_view lower_snake) {
  if (s.size() != lower_snake.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i] == '-' ? '_' : to_lower_ascii(s[i]);
    if (c != lower_snake[i]) return false;
  }
  return true;
}

std::optional<Consistency> level_named(std::string_view value) {
  if (same_name(value, "eventual")) return Consistency::Eventual;
  if (same_name(value, "read_your_writes")) return Consistency::ReadYourWrites;
  if (same_name(value, "monotonic")) return Consistency::Monotonic;
  if (same_name(value, "strong")) return Consistency::Strong;
  return std::nullopt;
}

bool apply(RouteHint& h, std::string_view key, std::string_view value) {
  if (same_name(key, "route")) {
    if (same_name(value, "primary")) {
      h.route = RouteTarget::Primary;
    } else if (same_name(value, "replica")) {
      h.route = RouteTarget::Replica;
    } else if (value.size() > 7 && same_name(value.substr(0, 7), "server:")) {
      h.route = RouteTarget::Server;
      h.server = value.substr(7);
    } else {
      h.error = HintError::BadRoute;
      return false;
    }
  } else if (same_name(key, "consistency")) {
    const auto level = level_named(value);
    if (!level) {
      h.error = HintError::BadConsistency;
      return false;
    }
    h.consistency = *level;
  } else if (same_name(key, "min_gtid")) {
    h.min_gtid = value;
  }
  return true;
}

}  // namespace

RouteHint parse_hint(std::string_view text) {
  RouteHint h;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    while (i < n && is_space(text[i])) ++i;
    if (i >= n) break;
    const std::size_t item = i;
    while (i < n && text[i] != '=' && !is_space(text[i])) ++i;
    const auto key = text.substr(item, i - item);
    if (i >= n || text[i] != '=' || key.empty()) {
      while (i < n && !is_space(text[i])) ++i;
      h.error = HintError::Malformed;
      h.error_item = text.substr(item, i - item);
      return h;
    }
    ++i;  // '='
    std::string_view value;
    if (i < n && (text[i] == '\'' || text[i] == '"')) {
      const auto close = text.find(text[i], i + 1);
      if (close == std::string_view::npos) {
        h.error = HintError::Malformed;
        h.error_item = text.substr(item);
        return h;
      }
      value = text.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      const std::size_t v = i;
      while (i < n && !is_space(text[i])) ++i;
      value = text.substr(v, i - v);
    }
    h.error_item = text.substr(item, i - item);
    if (value.empty()) {
      h.error = HintError::Malformed;
      return h;
    }
    if (h.pair_count == RouteHint::max_pairs) {
      h.error = HintError::TooManyItems;
      return h;
    }
    h.pairs[h.pair_count++] = {key, value};
    if (!apply(h, key, value)) return h;
  }
  h.error_item = {};
  return h;
}

// A tiny cursor for the one statement form causeway answers itself.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  void skip_space() {
    for (;;) {
      while (i < s.size() && is_space(s[i])) ++i;
      if (s.substr(i, 2) != "/*") return;
      const auto end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    }
  }
  bool word(std::string_view lower) {
    skip_space();
    if (s.size() - i < lower.size()) return false;
    for (std::size_t k = 0; k < lower.size(); ++k)
      if (to_lower_ascii(s[i + k]) != lower[k]) return false;
    const std::size_t end = i + lower.size();
    const bool ident_char = end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_');
    if (ident_char && (std::isalnum(static_cast<unsigned char>(lower.back())) || lower.back() == '_')) return false;
    i = end;
    return true;
  }
};

ConsistencySetting parse_consistency_setting(std::string_view sql) {
  ConsistencySetting out;
  Cursor c{sql};
  if (!c.word("set")) return out;
  if (!(c.word("session") || c.word("local") || c.word("@@session.") || c.word("@@local."))) c.word("@@");
  if (!c.word("causeway_consistency")) return out;
  if (!c.word(":=") && !c.word("=")) return out;
  out.matched = true;
  c.skip_space();
  std::string_view value;
  if (c.i < sql.size() && (sql[c.i] == '\'' || sql[c.i] == '"')) {
    const char q = sql[c.i];
    const auto end = sql.find(q, c.i + 1);
    if (end == std::string_view::npos) return out;  // matched, but no level: an error
    value = sql.substr(c.i + 1, end - c.i - 1);
    c.i = end + 1;
  } else {
    const std::size_t start = c.i;
    while (c.i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[c.i])) || sql[c.i] == '_' || sql[c.i] == '-')) ++c.i;
    value = sql.substr(start, c.i - start);
  }
  out.value = value;
  c.word(";");
  c.skip_space();
  if (c.i != sql.size()) return out;
  if (same_name(value, "default")) {
    out.valid = true;
    out.level = Consistency::Unspecified;
  } else if (auto level = level_named(value)) {
    out.valid = true;
    out.level = *level;
  }
  return out;
}

const char* to_string(RouteTarget target) {
  switch (target) {
    case RouteTarget::Unspecified: return "unspecified";
    case RouteTarget::Primary: return "primary";
    case RouteTarget::Replica: return "replica";
    case RouteTarget::Server: return "server";
  }
  return "unspecified";
}

const char* to_string(Consistency consistency) {
  switch (consistency) {
    case Consistency::Unspecified: return "unspecified";
    case Consistency::Eventual: return "eventual";
    case Consistency::ReadYourWrites: return "read_your_writes";
    case Consistency::Monotonic: return "monotonic";
    case Consistency::Strong: return "strong";
  }
  return "unspecified";
}

const char* to_string(HintError error) {
  switch (error) {
    case HintError::None: return "none";
    case HintError::Malformed: return "malformed hint item (expected key=value)";
    case HintError::BadRoute: return "route must be primary, replica or server:NAME";
    case HintError::BadConsistency: return "consistency must be eventual, read_your_writes, monotonic or strong";
    case HintError::TooManyItems: return "too many hint items";
  }
  return "none";
}

}  // namespace causeway::routing
