// `causeway --explain "SQL" --config FILE`: what the router would do with one statement,
// computed with the same pure steps the sessions use, without any server.
#pragma once

#include <string>

#include "config/config.hpp"

namespace causeway::proxy {

struct ExplainInput {
  std::string sql;
  std::string user;    // empty: unknown, rules with `user` do not match
  std::string schema;  // empty: none selected
  std::string client;  // an IP address; empty: unknown, rules with `client` do not match
};

// One "key: value" line per step: statement, class, action, flags, replica-safe, hint,
// digest, rule, consistency, policy, decision. The topology is the configured one with
// every server up, streamed and level with the primary (see configured_topology()); the
// session is idle (no transaction, no pins, nothing written yet).
// Throws std::invalid_argument if `client` is not an IP address.
std::string explain(const config::Config& config, const ExplainInput& input);

}  // namespace causeway::proxy
