// causeway: a MySQL replication proxy.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <iostream>
#include <string>

#include "config/config.hpp"
#include "proxy/server.hpp"

#ifndef CAUSEWAY_VERSION
#define CAUSEWAY_VERSION "0.0.0"
#endif

namespace {

constexpr const char* usage = R"(usage: causeway --config FILE        run the proxy
       causeway --check --config FILE validate FILE, print a summary, exit non-zero on errors
       causeway --version | --help

causeway sits between MySQL/MariaDB clients and a replicated set of servers.
Signals: SIGTERM/SIGINT stop accepting connections, let running statements finish
(timeouts.shutdown_grace), then exit 0.
)";

struct Args {
  std::string config;
  bool check = false;
};

int parse_args(int argc, char** argv, Args& args) {
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
    } else if (a == "--config" || a == "-c") {
      if (i + 1 >= argc) {
        std::cerr << "causeway: --config needs a file\n";
        return 2;
      }
      args.config = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      args.config = a.substr(9);
    } else {
      std::cerr << "causeway: unknown argument '" << a << "'\n" << usage;
      return 2;
    }
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

  auto logger = spdlog::stderr_color_mt("causeway");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(cfg->log_level));
  try {
    causeway::proxy::Server server(cfg);
    return server.run();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
