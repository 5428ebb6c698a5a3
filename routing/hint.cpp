#include "routing/hint.hpp"

#include "routing/lexer.hpp"

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
    if (same_name(value, "eventual")) {
      h.consistency = Consistency::Eventual;
    } else if (same_name(value, "read_your_writes")) {
      h.consistency = Consistency::ReadYourWrites;
    } else if (same_name(value, "monotonic")) {
      h.consistency = Consistency::Monotonic;
    } else if (same_name(value, "strong")) {
      h.consistency = Consistency::Strong;
    } else {
      h.error = HintError::BadConsistency;
      return false;
    }
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
