// COM_STMT_EXECUTE and the other binary-protocol request headers.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "proxy/protocol/wire.hpp"

namespace causeway::protocol {

// Cursor flags of COM_STMT_EXECUTE.
namespace cursor {
inline constexpr std::uint8_t no_cursor = 0x00;
inline constexpr std::uint8_t read_only = 0x01;
inline constexpr std::uint8_t for_update = 0x02;
inline constexpr std::uint8_t scrollable = 0x04;
}  // namespace cursor

struct StmtExecute {
  std::uint32_t statement_id = 0;
  std::uint8_t flags = 0;
  std::uint32_t iterations = 0;
  Bytes null_bitmap;
  bool new_params_bound = false;
  Bytes types;                 // 2 bytes per parameter, when new_params_bound
  std::vector<Bytes> values;   // one per parameter; empty span for NULL or long data
};

// Decodes and validates a COM_STMT_EXECUTE payload (command byte included) for a statement
// with `num_params` parameters. `bound_types` are the types of the previous execution (used
// when the client does not resend them); `long_data` marks parameters whose value came with
// COM_STMT_SEND_LONG_DATA (they have no value here). Both may be empty.
[[nodiscard]] std::error_code decode_stmt_execute(Bytes payload, std::uint16_t num_params, Bytes bound_types,
                                                  std::span<const bool> long_data, StmtExecute& out);

// The statement id of COM_STMT_EXECUTE/FETCH/CLOSE/RESET/SEND_LONG_DATA: bytes 1..4.
[[nodiscard]] bool read_statement_id(Bytes payload, std::uint32_t& id);
void write_statement_id(std::span<std::uint8_t> payload, std::uint32_t id);

// Size in bytes of a binary-protocol value of `type`, or -1 for length-encoded values and
// -2 for the one-byte-length temporal values.
int binary_value_size(std::uint8_t type);

}  // namespace causeway::protocol
