// The statement classifier, digest and hint parser take raw client SQL: any bytes must be
// classified without reading out of bounds, and the views in the result must point into
// the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "routing/classifier.hpp"
#include "routing/digest.hpp"
#include "routing/hint.hpp"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view sql(reinterpret_cast<const char*>(data), size);
  // Walk every statement of a multi-statement text, as the session would.
  std::string_view rest = sql;
  for (int i = 0; i < 64 && !rest.empty(); ++i) {
    const auto c = causeway::routing::classify(rest);
    if (!inside(c.keyword, rest) || !inside(c.object, rest) || !inside(c.hint, rest)) __builtin_trap();
    if (c.first_end > rest.size()) __builtin_trap();
    if (c.has(causeway::routing::flag::HasHint)) (void)causeway::routing::parse_hint(c.hint);
    if (c.first_end == 0) break;
    rest.remove_prefix(c.first_end);
  }
  (void)causeway::routing::parse_hint(sql);
  const std::string d = causeway::routing::digest(sql);
  (void)d;
  return 0;
}
