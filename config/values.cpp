// Scalar value syntax shared by the parser and the messages: integers, booleans,
// durations, sizes, and "did you mean" suggestions.
#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

#include <fmt/format.h>

#include "config/detail.hpp"

namespace causeway::config::detail {
namespace {

// Quoted echo of what the user wrote, cut short so one bad value cannot flood a report.
std::string quoted(std::string_view text) {
  constexpr std::size_t max_echo = 40;
  if (text.size() > max_echo) return fmt::format("\"{}...\"", text.substr(0, max_echo));
  return fmt::format("\"{}\"", text);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "500ms" into digits "500" and unit "ms". False when there are no leading digits.
bool split_number(std::string_view text, std::string_view& digits, std::string_view& unit) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  digits = text.substr(0, i);
  unit = text.substr(i);
  return !digits.empty();
}

// Decimal digits only: YAML's 0x/0o/1_000/+5 forms are rejected so a value means one
// thing to every reader.
bool digits_to_uint(std::string_view digits, std::uint64_t& out) {
  std::uint64_t v = 0;
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  for (char c : digits) {
    auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

bool multiply(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return false;
  out = a * b;
  return true;
}

constexpr std::uint64_t max_duration_ms = 8760ull * 3600 * 1000;  // one year

}  // namespace

bool parse_uint(std::string_view text, std::uint64_t max, std::uint64_t& out,
                std::string& error) {
  std::string_view digits, rest;
  if (!text.empty() && text[0] == '-' && split_number(text.substr(1), digits, rest) &&
      rest.empty()) {
    error = "must not be negative";
    return false;
  }
  if (!split_number(text, digits, rest) || !rest.empty()) {
    error = fmt::format("expected an integer, got {}", quoted(text));
    return false;
  }
  std::uint64_t v = 0;
  if (!digits_to_uint(digits, v) || v > max) {
    error = fmt::format("must be at most {}", max);
    return false;
  }
  out = v;
  return true;
}

bool parse_bool(std::string_view text, bool& out, std::string& error) {
  const std::string t = lower(text);
  if (t == "true" || t == "yes" || t == "on") {
    out = true;
    return true;
  }
  if (t == "false" || t == "no" || t == "off") {
    out = false;
    return true;
  }
  error = fmt::format("expected a boolean (true or false), got {}", quoted(text));
  return false;
}

bool parse_duration(std::string_view text, Millis& out, std::string& error) {
  std::string_view digits, unit;
  if (!text.empty() && text[0] == '-' && split_number(text.substr(1), digits, unit)) {
    error = "must not be negative";
    return false;
  }
  std::uint64_t n = 0;
  std::uint64_t scale = 0;
  if (split_number(text, digits, unit)) {
    if (unit.empty() || unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
  }
  if (scale == 0) {
    error = fmt::format(
        "expected a duration: integer milliseconds or a whole number with a unit "
        "(ms, s, m, h), e.g. 500ms, 10s, 5m, 8h; got {}",
        quoted(text));
    return false;
  }
  std::uint64_t ms = 0;
  if (!digits_to_uint(digits, n) || !multiply(n, scale, ms) || ms > max_duration_ms) {
    error = "must be at most 8760h (one year)";
    return false;
  }
  out = Millis{static_cast<Millis::rep>(ms)};
  return true;
}

bool parse_size(std::string_view text, std::uint64_t& out, std::string& error) {
  std::string_view digits, unit;
  if (!text.empty() && text[0] == '-' && split_number(text.substr(1), digits, unit)) {
    error = "must not be negative";
    return false;
  }
  std::uint64_t scale = 0;
  if (split_number(text, digits, unit)) {
    // K, KB and KiB all mean 1024: MySQL's own size suffixes (max_allowed_packet=64M)
    // are binary, and a proxy limit must line up with the server's.
    const std::string u = lower(unit);
    if (u.empty() || u == "b") scale = 1;
    else if (u == "k" || u == "kb" || u == "kib") scale = 1ull << 10;
    else if (u == "m" || u == "mb" || u == "mib") scale = 1ull << 20;
    else if (u == "g" || u == "gb" || u == "gib") scale = 1ull << 30;
  }
  if (scale == 0) {
    error = fmt::format(
        "expected a size: integer bytes or a whole number with a unit "
        "(K, M, G; KB/KiB etc. also accepted, all powers of 1024), e.g. 16K, 64M; got {}",
        quoted(text));
    return false;
  }
  std::uint64_t n = 0;
  if (!digits_to_uint(digits, n) || !multiply(n, scale, out)) {
    error = "is too large";
    return false;
  }
  return true;
}

std::string format_duration(Millis d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms != 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms != 0 && ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

std::string format_size(std::uint64_t n) {
  constexpr std::array<const char*, 3> units = {"GiB", "MiB", "KiB"};
  for (std::size_t i = 0; i < units.size(); ++i) {
    const std::uint64_t scale = 1ull << (10 * (units.size() - i));
    if (n != 0 && n % scale == 0) return fmt::format("{}{}", n / scale, units[i]);
  }
  return fmt::format("{}B", n);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows of the classic table; the row two back is for transpositions.
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggestion(std::string_view word, const std::vector<std::string_view>& candidates) {
  constexpr std::size_t max_edits = 2;
  std::string_view best;
  std::size_t best_distance = max_edits + 1;
  for (auto candidate : candidates) {
    const std::size_t d = edit_distance(lower(word), candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  if (best.empty()) return {};
  return fmt::format(" (did you mean \"{}\"?)", best);
}

}  // namespace causeway::config::detail
