// Entry points of config/: load, report, name enums.
#include "config/config.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <system_error>

#include <fmt/format.h>

#include "config/detail.hpp"

namespace causeway::config {
namespace {

// Compiler style, so editors and CI annotate the right line: "file:12:9: key: message".
std::string describe(const std::string& source, const std::vector<Issue>& issues) {
  if (issues.empty()) return source.empty() ? "invalid configuration" : source + ": invalid";
  std::string out;
  for (const Issue& i : issues) {
    if (!out.empty()) out += '\n';
    std::string where = source;
    if (i.line > 0) where += fmt::format("{}{}:{}", where.empty() ? "" : ":", i.line, i.column);
    if (!where.empty()) out += where + ": ";
    if (!i.path.empty()) out += i.path + ": ";
    out += i.message;
  }
  return out;
}

// A value that failed to parse keeps its default, so a rule about the same key would
// only repeat the first complaint ("port: abc" is not also "must be 1..65535").
bool covered_by(const std::vector<Issue>& parse_issues, const std::string& path) {
  return std::any_of(parse_issues.begin(), parse_issues.end(), [&](const Issue& p) {
    if (p.path.empty() || !path.starts_with(p.path)) return false;
    return path.size() == p.path.size() || path[p.path.size()] == '.' || path[p.path.size()] == '[';
  });
}

Config load(const std::string& yaml, const std::string& source, const std::string& base_dir) {
  std::vector<Issue> issues;
  try {
    detail::Parsed parsed = detail::parse(yaml);
    issues = std::move(parsed.issues);
    if (parsed.readable) {
      detail::resolve_relative_paths(parsed.config, base_dir);
      std::vector<Issue> kept;
      for (Issue& v : detail::validate(parsed.config, parsed.locations))
        if (!covered_by(issues, v.path)) kept.push_back(std::move(v));
      std::move(kept.begin(), kept.end(), std::back_inserter(issues));
    }
    if (issues.empty()) return std::move(parsed.config);
  } catch (const std::exception& e) {
    // yaml-cpp can throw beyond parsing (e.g. its recursion guard); never let it out.
    issues.push_back({"", 0, 0, fmt::format("cannot load configuration: {}", e.what())});
  }
  // File order; problems with no position (a missing section) come last.
  std::stable_sort(issues.begin(), issues.end(), [](const Issue& a, const Issue& b) {
    const auto key = [](const Issue& i) {
      return std::pair(i.line > 0 ? i.line : INT_MAX, i.column);
    };
    return key(a) < key(b);
  });
  throw Error(source, std::move(issues));
}

// The admin token is a secret: deployments keep it out of the file (systemd credentials,
// Kubernetes secrets) and hand it over in the environment, which then wins.
void apply_environment(Config& config, const std::string& source) {
  const char* token = std::getenv("CAUSEWAY_ADMIN_TOKEN");
  if (token == nullptr || *token == '\0') return;
  if (auto problem = detail::admin_token_problem(token); !problem.empty())
    throw Error(source, {{"CAUSEWAY_ADMIN_TOKEN", 0, 0, "(environment) " + problem}});
  config.status.admin_token = token;
}

}  // namespace

std::string Issue::to_string() const {
  std::string out = path;
  if (line > 0) out += fmt::format("{}({}:{})", out.empty() ? "" : " ", line, column);
  return out.empty() ? message : out + ": " + message;
}

Error::Error(std::vector<Issue> issues) : Error(std::string(), std::move(issues)) {}

Error::Error(std::string source, std::vector<Issue> issues)
    : std::runtime_error(describe(source, issues)),
      issues_(std::move(issues)),
      source_(std::move(source)) {}

Config load_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  const int open_errno = errno;
  if (f == nullptr || std::filesystem::is_directory(path)) {
    if (f != nullptr) std::fclose(f);
    const std::string reason =
        f != nullptr ? "it is a directory" : std::generic_category().message(open_errno);
    throw Error(path, {{"", 0, 0, fmt::format("cannot read config file {}: {}", path, reason)}});
  }
  std::string text;
  char buf[8192];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed)
    throw Error(path, {{"", 0, 0, fmt::format("cannot read config file {}: read error", path)}});
  Config config = load(text, path, std::filesystem::path(path).parent_path().string());
  apply_environment(config, path);
  return config;
}

Config load_string(const std::string& yaml, const std::string& source_name) {
  return load(yaml, source_name, std::string());
}

const char* to_string(AuthPlugin p) {
  switch (p) {
    case AuthPlugin::MysqlNativePassword: return "mysql_native_password";
    case AuthPlugin::CachingSha2Password: return "caching_sha2_password";
  }
  return "unknown";
}

const char* to_string(StatementClass c) {
  switch (c) {
    case StatementClass::Empty: return "empty";
    case StatementClass::Read: return "read";
    case StatementClass::Write: return "write";
    case StatementClass::Ddl: return "ddl";
    case StatementClass::Dcl: return "dcl";
    case StatementClass::Transaction: return "transaction";
    case StatementClass::Session: return "session";
    case StatementClass::Lock: return "lock";
    case StatementClass::Show: return "show";
    case StatementClass::Call: return "call";
    case StatementClass::Prepare: return "prepare";
    case StatementClass::Execute: return "execute";
    case StatementClass::Deallocate: return "deallocate";
    case StatementClass::Kill: return "kill";
    case StatementClass::Admin: return "admin";
    case StatementClass::Other: return "other";
  }
  return "other";
}

const char* to_string(Consistency c) {
  switch (c) {
    case Consistency::Eventual: return "eventual";
    case Consistency::ReadYourWrites: return "read_your_writes";
    case Consistency::Monotonic: return "monotonic";
    case Consistency::Strong: return "strong";
  }
  return "unknown";
}

const char* to_string(BackendTlsMode m) {
  switch (m) {
    case BackendTlsMode::Disabled: return "disabled";
    case BackendTlsMode::Preferred: return "preferred";
    case BackendTlsMode::Required: return "required";
    case BackendTlsMode::VerifyCa: return "verify_ca";
    case BackendTlsMode::VerifyIdentity: return "verify_identity";
  }
  return "unknown";
}

const char* to_string(ServerRole r) {
  switch (r) {
    case ServerRole::Auto: return "auto";
    case ServerRole::Primary: return "primary";
    case ServerRole::Replica: return "replica";
  }
  return "unknown";
}

}  // namespace causeway::config
