// The status port's output formats as pure functions over values: JSON text, the
// Prometheus text exposition format (0.0.4), ISO-8601 times, and the admin token check.
// No sockets here (proxy/status_server.cpp serves what these build).
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "replication/histogram.hpp"

namespace causeway::proxy::status {

// ---------------------------------------------------------------- text

// Appends `s` with every byte sequence that is not well-formed UTF-8 replaced by U+FFFD:
// server errors and statement prefixes (cut at a byte count) can hold anything.
void append_utf8(std::string& out, std::string_view s);

// "2026-11-22T07:00:00.123Z" (UTC, milliseconds).
std::string iso8601(std::chrono::system_clock::time_point t);

// ---------------------------------------------------------------- JSON

// `s` as a JSON string literal: quoted; `"`, `\` and control characters escaped; invalid
// UTF-8 replaced by U+FFFD (so the document is always valid UTF-8).
void append_json_string(std::string& out, std::string_view s);

// A streaming JSON writer: containers and keys in order, commas placed for the caller.
class Json {
 public:
  Json& begin_object();
  Json& end_object();
  Json& begin_array();
  Json& end_array();
  Json& key(std::string_view k);
  Json& value(std::string_view s);
  Json& value(const char* s) { return value(std::string_view(s)); }
  Json& value(const std::string& s) { return value(std::string_view(s)); }
  Json& value(bool b);
  Json& value(std::int64_t n);
  Json& value(std::uint64_t n);
  Json& value(int n) { return value(static_cast<std::int64_t>(n)); }
  Json& value(unsigned n) { return value(static_cast<std::uint64_t>(n)); }
  Json& value(double d);  // non-finite numbers have no JSON form: null
  Json& null();
  // A string, or null when absent.
  Json& value(const std::optional<std::string>& s) { return s ? value(*s) : null(); }

  template <class T>
  Json& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  Json& null_field(std::string_view k) {
    key(k);
    return null();
  }
  std::string take() { return std::move(out_); }
  const std::string& text() const { return out_; }

 private:
  void separate();  // the comma before a value or key, if one is due
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

// ---------------------------------------------------------------- Prometheus

using Label = std::pair<std::string_view, std::string_view>;
using Labels = std::initializer_list<Label>;

// `s` escaped as a label value (without the quotes): `\` `"` and newline.
void append_label_value(std::string& out, std::string_view s);
// Integer microseconds as exact decimal seconds: 1 -> "0.000001", 1500000 -> "1.5".
std::string seconds_from_us(std::uint64_t us);

// Writes the text exposition format: each family's HELP and TYPE once, then its samples.
class Metrics {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, Labels labels, std::uint64_t value);
  void sample(std::string_view name, Labels labels, std::int64_t value);
  void sample(std::string_view name, Labels labels, double value);
  // A LogHistogram of microseconds as a histogram in seconds: cumulative `le` buckets at
  // the powers of two microseconds (bucket i holds values below 2^i us), +Inf, _sum, _count.
  void histogram(std::string_view name, Labels labels, const replication::LogHistogram::Totals& buckets,
                 std::uint64_t sum_us);
  std::string take() { return std::move(out_); }

 private:
  void begin_sample(std::string_view name, Labels labels, std::string_view suffix = {},
                    std::optional<std::string_view> le = std::nullopt);
  std::string out_;
};

// ---------------------------------------------------------------- admin auth

// The token of an "Authorization: Bearer <token>" header (scheme case-insensitive);
// nullopt for any other form.
std::optional<std::string_view> bearer_token(std::string_view authorization);
// Compares without timing that depends on where the strings differ, or on their lengths
// (both sides are hashed first).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace causeway::proxy::status
