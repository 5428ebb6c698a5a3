#include "proxy/protocol/stmt.hpp"

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/errors.hpp"

namespace causeway::protocol {

int binary_value_size(std::uint8_t type) {
  switch (type) {
    case 0x06: return 0;   // NULL
    case 0x01: return 1;   // TINY
    case 0x02:             // SHORT
    case 0x0d: return 2;   // YEAR
    case 0x03:             // LONG
    case 0x09:             // INT24
    case 0x04: return 4;   // FLOAT
    case 0x08:             // LONGLONG
    case 0x05: return 8;   // DOUBLE
    case 0x07:             // TIMESTAMP
    case 0x0a:             // DATE
    case 0x0c:             // DATETIME
    case 0x0b: return -2;  // TIME
    default: return -1;    // strings, decimals, blobs, enums, sets, JSON, geometry, bit
  }
}

std::error_code decode_stmt_execute(Bytes payload, std::uint16_t num_params, Bytes bound_types,
                                    std::span<const bool> long_data, StmtExecute& out) {
  Reader r(payload);
  if (r.u8() != static_cast<std::uint8_t>(Command::stmt_execute)) return errc::malformed_packet;
  out.statement_id = r.u32();
  out.flags = r.u8();
  out.iterations = r.u32();
  out.null_bitmap = {};
  out.types = {};
  out.values.clear();
  out.new_params_bound = false;
  if (!r.ok()) return errc::malformed_packet;
  if (num_params == 0) return {};
  out.null_bitmap = r.bytes((num_params + 7) / 8);
  out.new_params_bound = r.u8() == 1;
  if (!r.ok()) return errc::malformed_packet;
  Bytes types = bound_types;
  if (out.new_params_bound) {
    out.types = r.bytes(std::size_t(num_params) * 2);
    types = out.types;
  }
  if (!r.ok() || types.size() != std::size_t(num_params) * 2) return errc::malformed_packet;
  out.values.reserve(num_params);
  for (std::uint16_t i = 0; i < num_params; ++i) {
    const bool is_null = (out.null_bitmap[i / 8] >> (i % 8)) & 1;
    const bool is_long = i < long_data.size() && long_data[i];
    if (is_null || is_long) {
      out.values.emplace_back();
      continue;
    }
    const int size = binary_value_size(types[2 * i]);
    if (size >= 0) {
      out.values.push_back(r.bytes(static_cast<std::size_t>(size)));
    } else if (size == -2) {
      const std::uint8_t len = r.u8();
      out.values.push_back(r.bytes(len));
    } else {
      out.values.push_back(r.lenenc_bytes());
    }
    if (!r.ok()) return errc::malformed_packet;
  }
  return {};
}

bool read_statement_id(Bytes payload, std::uint32_t& id) {
  if (payload.size() < 5) return false;
  id = std::uint32_t(payload[1]) | (std::uint32_t(payload[2]) << 8) | (std::uint32_t(payload[3]) << 16) |
       (std::uint32_t(payload[4]) << 24);
  return true;
}

void write_statement_id(std::span<std::uint8_t> payload, std::uint32_t id) {
  if (payload.size() < 5) return;
  for (int i = 0; i < 4; ++i) payload[1 + i] = static_cast<std::uint8_t>(id >> (8 * i));
}

}  // namespace causeway::protocol
