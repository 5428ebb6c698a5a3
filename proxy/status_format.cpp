#include "proxy/status_format.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <cmath>
#include <ctime>

#include "proxy/protocol/auth.hpp"

namespace causeway::proxy::status {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF); 0 if there is none.
std::size_t utf8_sequence(std::string_view s) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  return n;
}

// Calls `plain(byte)` for each ASCII byte and `multi(sequence)` for each well-formed
// multi-byte sequence, with U+FFFD standing in for every byte that starts none.
template <class Ascii, class Multi>
void walk_utf8(std::string_view s, Ascii ascii, Multi multi) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8_sequence(s.substr(i));
    if (n == 1) {
      ascii(s[i]);
      i += 1;
    } else if (n == 0) {
      multi(replacement);
      i += 1;
    } else {
      multi(s.substr(i, n));
      i += n;
    }
  }
}

void append_number(std::string& out, double d) {
  if (std::isnan(d)) out += "NaN";
  else if (std::isinf(d)) out += d > 0 ? "+Inf" : "-Inf";
  else fmt::format_to(std::back_inserter(out), "{}", d);
}

}  // namespace

void append_utf8(std::string& out, std::string_view s) {
  walk_utf8(s, [&](char c) { out += c; }, [&](std::string_view m) { out += m; });
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ((ms % 1000) + 1000) % 1000);
}

// ---------------------------------------------------------------- JSON

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  const auto ascii = [&](char c) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        else out += c;
    }
  };
  walk_utf8(s, ascii, [&](std::string_view m) { out += m; });
  out += '"';
}

void Json::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (first_.empty()) return;
  if (!first_.back()) out_ += ',';
  first_.back() = false;
}

Json& Json::begin_object() {
  separate();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

Json& Json::end_object() {
  out_ += '}';
  first_.pop_back();
  return *this;
}

Json& Json::begin_array() {
  separate();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

Json& Json::end_array() {
  out_ += ']';
  first_.pop_back();
  return *this;
}

Json& Json::key(std::string_view k) {
  separate();
  append_json_string(out_, k);
  out_ += ':';
  after_key_ = true;
  return *this;
}

Json& Json::value(std::string_view s) {
  separate();
  append_json_string(out_, s);
  return *this;
}

Json& Json::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

Json& Json::value(std::int64_t n) {
  separate();
  fmt::format_to(std::back_inserter(out_), "{}", n);
  return *this;
}

Json& Json::value(std::uint64_t n) {
  separate();
  fmt::format_to(std::back_inserter(out_), "{}", n);
  return *this;
}

Json& Json::value(double d) {
  if (!std::isfinite(d)) return null();
  separate();
  fmt::format_to(std::back_inserter(out_), "{}", d);
  return *this;
}

Json& Json::null() {
  separate();
  out_ += "null";
  return *this;
}

// ---------------------------------------------------------------- Prometheus

void append_label_value(std::string& out, std::string_view s) {
  const auto ascii = [&](char c) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  };
  walk_utf8(s, ascii, [&](std::string_view m) { out += m; });
}

std::string seconds_from_us(std::uint64_t us) {
  std::string out = fmt::format("{}", us / 1'000'000);
  if (const auto frac = us % 1'000'000; frac != 0) {
    std::string digits = fmt::format("{:06}", frac);
    while (digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
  return out;
}

void Metrics::family(std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} ", name);
  for (char c : help) {
    if (c == '\\') out_ += "\\\\";
    else if (c == '\n') out_ += "\\n";
    else out_ += c;
  }
  fmt::format_to(std::back_inserter(out_), "\n# TYPE {} {}\n", name, type);
}

void Metrics::begin_sample(std::string_view name, Labels labels, std::string_view suffix,
                           std::optional<std::string_view> le) {
  out_ += name;
  out_ += suffix;
  if (labels.size() == 0 && !le) {
    out_ += ' ';
    return;
  }
  out_ += '{';
  bool first = true;
  const auto label = [&](std::string_view k, std::string_view v) {
    if (!first) out_ += ',';
    first = false;
    out_ += k;
    out_ += "=\"";
    append_label_value(out_, v);
    out_ += '"';
  };
  for (const auto& [k, v] : labels) label(k, v);
  if (le) label("le", *le);
  out_ += "} ";
}

void Metrics::sample(std::string_view name, Labels labels, std::uint64_t value) {
  begin_sample(name, labels);
  fmt::format_to(std::back_inserter(out_), "{}\n", value);
}

void Metrics::sample(std::string_view name, Labels labels, std::int64_t value) {
  begin_sample(name, labels);
  fmt::format_to(std::back_inserter(out_), "{}\n", value);
}

void Metrics::sample(std::string_view name, Labels labels, double value) {
  begin_sample(name, labels);
  append_number(out_, value);
  out_ += '\n';
}

void Metrics::histogram(std::string_view name, Labels labels, const replication::LogHistogram::Totals& buckets,
                        std::uint64_t sum_us) {
  using replication::LogHistogram;
  std::uint64_t cumulative = 0;
  // The last bucket also holds everything above its lower bound: only +Inf covers it.
  for (std::size_t i = 0; i + 1 < LogHistogram::buckets; ++i) {
    cumulative += buckets[i];
    begin_sample(name, labels, "_bucket", seconds_from_us(std::uint64_t{1} << i));
    fmt::format_to(std::back_inserter(out_), "{}\n", cumulative);
  }
  cumulative += buckets[LogHistogram::buckets - 1];
  begin_sample(name, labels, "_bucket", "+Inf");
  fmt::format_to(std::back_inserter(out_), "{}\n", cumulative);
  begin_sample(name, labels, "_sum");
  out_ += seconds_from_us(sum_us);
  out_ += '\n';
  begin_sample(name, labels, "_count");
  fmt::format_to(std::back_inserter(out_), "{}\n", cumulative);
}

// ---------------------------------------------------------------- admin auth

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != scheme[i]) return std::nullopt;
  }
  std::string_view rest = authorization.substr(scheme.size());
  if (rest.front() != ' ') return std::nullopt;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  if (rest.empty() || rest.find(' ') != std::string_view::npos) return std::nullopt;
  return rest;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  const auto ha = protocol::auth::sha256(protocol::as_bytes(a));
  const auto hb = protocol::auth::sha256(protocol::as_bytes(b));
  return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

}  // namespace causeway::proxy::status
