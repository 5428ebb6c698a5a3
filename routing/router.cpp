#include "routing/router.hpp"

namespace causeway::routing {

Decision decide(const Statement&, const Topology& topology) {
  return Decision{Target::Server, topology.primary, Reason::SplitDisabled};
}

const char* to_string(Reason reason) {
  switch (reason) {
    case Reason::SplitDisabled: return "split_disabled";
  }
  return "unknown";
}

}  // namespace causeway::routing
