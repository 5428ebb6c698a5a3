// The routing decision: a pure function from a statement and the session's situation to
// a target server and the reason for it. Read/write splitting arrives in its own change;
// for now every statement goes to the primary, but sessions already ask per statement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace causeway::routing {

enum class Target { Primary, Replica, Server };

enum class Reason {
  SplitDisabled,  // read/write splitting is not enabled: everything goes to the primary
};

struct Decision {
  Target target = Target::Primary;
  std::size_t server = 0;  // with Target::Server: index into the configured servers
  Reason reason = Reason::SplitDisabled;
};

struct Topology {
  std::size_t primary = 0;
};

struct Statement {
  std::uint8_t command = 0;
  std::string_view text;  // COM_QUERY text, empty otherwise
};

Decision decide(const Statement& stmt, const Topology& topology);
const char* to_string(Reason reason);

}  // namespace causeway::routing
