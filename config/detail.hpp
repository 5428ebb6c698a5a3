// Internals of config/: shared by parse.cpp, validate.cpp, values.cpp, config.cpp.
// Not part of the interface the rest of the proxy uses, and free of yaml-cpp types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"

namespace causeway::config::detail {

struct Pos {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

// Where each key path ("servers[1].port") was found in the source. A path is present
// exactly when the file spelled it out, so validation can tell "absent" from "empty".
class Locations {
 public:
  void add(const std::string& path, Pos pos) { pos_.emplace(path, pos); }
  bool has(const std::string& path) const { return pos_.count(path) != 0; }
  // Position of `path`, or of its nearest ancestor that is present ({0,0} if none):
  // a missing key is reported where its enclosing entry is.
  Pos nearest(std::string path) const;

 private:
  std::unordered_map<std::string, Pos> pos_;
};

struct Parsed {
  Config config;
  Locations locations;
  std::vector<Issue> issues;
  bool readable = true;  // false: not YAML, or not a map: there is nothing to validate
};

// Step 1: YAML text -> structs. Reports syntax errors, wrong types, unknown and
// duplicate keys, values that cannot be represented; records every key's position.
Parsed parse(const std::string& yaml);

// Step 2: rules over the structs (ranges, uniqueness, cross-field constraints, files).
std::vector<Issue> validate(const Config& config, const Locations& locations);
// Why `token` cannot be status.admin_token (also checked for CAUSEWAY_ADMIN_TOKEN); empty if it can.
std::string admin_token_problem(std::string_view token);
// The `rules` part of validate() (validate_rules.cpp: the only user of RE2 in config/).
std::vector<Issue> validate_rules(const Config& config, const Locations& locations);

// Relative TLS file names are taken relative to the config file's directory, so a
// config works the same whatever the working directory of the service is.
void resolve_relative_paths(Config& config, const std::string& base_dir);

// --- scalar values (values.cpp) ---------------------------------------------------
// Each returns false and sets `error` to a message naming the expected form.

bool parse_uint(std::string_view text, std::uint64_t max, std::uint64_t& out,
                std::string& error);
bool parse_bool(std::string_view text, bool& out, std::string& error);
// Integer milliseconds, or a number with a unit: 500ms, 10s, 5m, 8h.
bool parse_duration(std::string_view text, Millis& out, std::string& error);
// Integer bytes, or a number with a 1024-based unit: 16K, 64M, 64MB, 64MiB, 1G.
bool parse_size(std::string_view text, std::uint64_t& out, std::string& error);

std::string format_duration(Millis d);     // "8h", "10s", "1500ms"
std::string format_size(std::uint64_t n);  // "64MiB", "1000B"

// Optimal string alignment distance (a swap of two neighbours counts as one edit).
std::size_t edit_distance(std::string_view a, std::string_view b);
// " (did you mean \"port\"?)" when a candidate is within two edits, else "".
std::string suggestion(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace causeway::config::detail
