// decode_stmt_execute on anything; what decodes must re-encode (test-side encoder) and
// decode to the same values.
//
// Input: [num_params, 2 bytes little-endian][flags] then the COM_STMT_EXECUTE payload.
// flags bit 0: pass the previous execution's types (the payload's last 2 * num_params
// bytes); bit 1: mark every odd parameter as sent with COM_STMT_SEND_LONG_DATA.
#include <algorithm>
#include <memory>
#include <vector>

#include "proxy/protocol/stmt.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace pr = causeway::protocol;
using causeway::fuzz::check;

namespace {

bool within(pr::Bytes inner, pr::Bytes outer) {
  if (inner.empty()) return true;
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

std::vector<std::uint8_t> encode(const pr::StmtExecute& e, pr::Bytes types, std::uint16_t num_params,
                                 std::span<const bool> long_data) {
  std::vector<std::uint8_t> out;
  pr::Writer w(out);
  w.u8(0x17);
  w.u32(e.statement_id);
  w.u8(e.flags);
  w.u32(e.iterations);
  if (num_params == 0) return out;
  w.bytes(e.null_bitmap);
  w.u8(e.new_params_bound ? 1 : 0);
  if (e.new_params_bound) w.bytes(e.types);
  for (std::uint16_t i = 0; i < num_params; ++i) {
    const bool is_null = (e.null_bitmap[i / 8] >> (i % 8)) & 1;
    if (is_null || long_data[i]) continue;
    const int size = pr::binary_value_size(types[2 * i]);
    if (size >= 0) {
      w.bytes(e.values[i]);
    } else if (size == -2) {
      w.u8(static_cast<std::uint8_t>(e.values[i].size()));
      w.bytes(e.values[i]);
    } else {
      w.lenenc_bytes(e.values[i]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  causeway::fuzz::Input in(data, size);
  const std::uint16_t num_params = in.u16();
  const std::uint8_t flags = in.u8();
  const pr::Bytes payload = in.rest();
  const std::size_t types_size = std::size_t(num_params) * 2;
  const pr::Bytes bound = (flags & 1) && payload.size() >= types_size ? payload.last(types_size) : pr::Bytes{};
  const auto long_data = std::make_unique<bool[]>(num_params + 1);
  for (std::size_t i = 0; i < num_params; ++i) long_data[i] = (flags & 2) && (i % 2 == 1);
  const std::span<const bool> marks(long_data.get(), (flags & 2) ? num_params : 0);

  pr::StmtExecute e;
  if (pr::decode_stmt_execute(payload, num_params, bound, marks, e)) return 0;
  if (num_params == 0) return 0;
  check(e.values.size() == num_params, "one value per parameter");
  check(e.null_bitmap.size() == (num_params + 7u) / 8, "NULL bitmap size");
  check(!e.new_params_bound || e.types.size() == types_size, "types size");
  check(within(e.null_bitmap, payload) && within(e.types, payload), "views outside the payload");
  for (const auto& v : e.values) check(within(v, payload), "a value outside the payload");

  const pr::Bytes types = e.new_params_bound ? e.types : bound;
  const std::span<const bool> all_marks(long_data.get(), num_params);
  const auto again = encode(e, types, num_params, all_marks);
  pr::StmtExecute back;
  check(!pr::decode_stmt_execute(again, num_params, bound, marks, back), "a re-encoded execute does not decode");
  check(back.statement_id == e.statement_id && back.flags == e.flags && back.iterations == e.iterations,
        "header fields");
  check(back.new_params_bound == e.new_params_bound, "new_params_bound");
  for (std::uint16_t i = 0; i < num_params; ++i) {
    check(std::equal(back.values[i].begin(), back.values[i].end(), e.values[i].begin(), e.values[i].end()),
          "a value changed");
  }
  return 0;
}
