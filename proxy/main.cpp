// causeway: a MySQL replication proxy.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <algorithm>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.hpp"
#include "proxy/explain.hpp"
#include "proxy/server.hpp"

#ifndef CAUSEWAY_VERSION
#define CAUSEWAY_VERSION "0.0.0"
#endif

namespace {

constexpr const char* usage = R"(usage: causeway --config FILE        run the proxy
       causeway --check --config FILE validate FILE, print a summary, exit non-zero on errors
       causeway --explain "SQL" --config FILE [--user U] [--schema S] [--client ADDR]
                                      how SQL would be classified and routed (rules, hint,
                                      decision) with every configured server up; no server
                                      is contacted
       causeway --version | --help

causeway sits between MySQL/MariaDB clients and a replicated set of servers.
Signals: SIGTERM/SIGINT stop accepting connections, let running statements finish
(timeouts.shutdown_grace), then exit 0.
)";

struct Args {
  std::string config;
  bool check = false;
  bool explain = false;
  causeway::proxy::ExplainInput input;  // --explain: the statement, user, schema, client
};

int parse_args(int argc, char** argv, Args& args) {
  // Options with a value, as "--name VALUE" or "--name=VALUE".
  const std::pair<std::string_view, std::string*> valued[] = {
      {"--config", &args.config},     {"-c", &args.config},
      {"--explain", &args.input.sql}, {"--user", &args.input.user},
      {"--schema", &args.input.schema}, {"--client", &args.input.client}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
    if (a == "--version" || a == "-V") {
      std::cout << "causeway " << CAUSEWAY_VERSION << "\n";
      return 0;
    }
    if (a == "--check") {
      args.check = true;
      continue;
    }
    const auto eq = a.find('=');
    const std::string_view name = std::string_view(a).substr(0, a.starts_with("--") ? eq : std::string::npos);
    const auto option =
        std::find_if(std::begin(valued), std::end(valued), [&](const auto& o) { return o.first == name; });
    if (option == std::end(valued)) {
      std::cerr << "causeway: unknown argument '" << a << "'\n" << usage;
      return 2;
    }
    if (eq != std::string::npos && name.size() == eq) {
      *option->second = a.substr(eq + 1);
    } else if (i + 1 < argc) {
      *option->second = argv[++i];
    } else {
      std::cerr << "causeway: " << name << " needs a value\n";
      return 2;
    }
    if (name == "--explain") args.explain = true;
  }
  const auto& in = args.input;
  if (!args.explain && (!in.user.empty() || !in.schema.empty() || !in.client.empty())) {
    std::cerr << "causeway: --user, --schema and --client go with --explain\n";
    return 2;
  }
  if (args.config.empty()) {
    std::cerr << "causeway: --config FILE is required\n" << usage;
    return 2;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (const int rc = parse_args(argc, argv, args); rc >= 0) return rc;

  std::shared_ptr<const causeway::config::Config> cfg;
  try {
    cfg = std::make_shared<const causeway::config::Config>(causeway::config::load_file(args.config));
  } catch (const causeway::config::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  if (args.check) {
    std::cout << "configuration OK: " << args.config << "\n" << causeway::config::summary(*cfg);
    return 0;
  }
  if (args.explain) {
    try {
      std::cout << causeway::proxy::explain(*cfg, args.input);
      return 0;
    } catch (const std::invalid_argument& e) {
      std::cerr << "causeway: " << e.what() << "\n";
      return 2;
    }
  }

  // Every client and backend connection is a descriptor: take the hard limit, as servers do.
  if (rlimit lim{}; getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }

  auto logger = spdlog::stderr_color_mt("causeway");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(cfg->log_level));
  try {
    causeway::proxy::Server server(cfg, args.config);
    return server.run();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
