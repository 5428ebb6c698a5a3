// Protocol-level error codes: values on the data path, never exceptions.
#pragma once

#include <system_error>

namespace causeway::protocol {

enum class errc {
  malformed_packet = 1,
  sequence_mismatch,
  packet_too_large,
  unexpected_packet,
  unsupported_protocol,
  bad_handshake,
  auth_failed,
  crypto_failure,
  bad_compressed_packet,
};

const std::error_category& protocol_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), protocol_category()};
}

}  // namespace causeway::protocol

template <>
struct std::is_error_code_enum<causeway::protocol::errc> : std::true_type {};
