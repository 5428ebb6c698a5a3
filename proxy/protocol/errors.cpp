#include "proxy/protocol/errors.hpp"

#include <string>

namespace causeway::protocol {

namespace {

class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "mysql-protocol"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::malformed_packet: return "malformed packet";
      case errc::sequence_mismatch: return "packets out of order";
      case errc::packet_too_large: return "packet larger than the configured limit";
      case errc::unexpected_packet: return "unexpected packet";
      case errc::unsupported_protocol: return "unsupported protocol version or feature";
      case errc::bad_handshake: return "bad handshake";
      case errc::auth_failed: return "authentication failed";
      case errc::crypto_failure: return "cryptographic operation failed";
      case errc::bad_compressed_packet: return "compressed packet does not inflate to its stated length";
    }
    return "unknown protocol error";
  }
};

}  // namespace

const std::error_category& protocol_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace causeway::protocol
