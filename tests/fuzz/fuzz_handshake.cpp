// decode_handshake on anything; what decodes must encode and decode to the same fields.
//
// Input: a greeting payload.
#include "proxy/protocol/packets.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace pr = causeway::protocol;
using causeway::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pr::Handshake h;
  if (pr::decode_handshake(pr::Bytes(data, size), h)) return 0;
  // encode_handshake always writes nonce part 2 and the plugin name, as causeway's own
  // greeting (SECURE_CONNECTION and PLUGIN_AUTH set) needs; a decoder that skips part 2
  // but reads a plugin name would take the nonce for it.
  if ((h.capabilities & pr::cap::plugin_auth) && !(h.capabilities & pr::cap::secure_connection)) return 0;
  std::vector<std::uint8_t> out;
  pr::encode_handshake(h, out);
  pr::Handshake back;
  check(!pr::decode_handshake(out, back), "an encoded handshake does not decode");
  check(back.protocol_version == h.protocol_version, "protocol_version");
  check(back.server_version == h.server_version, "server_version");
  check(back.connection_id == h.connection_id, "connection_id");
  check(back.nonce == h.nonce, "nonce");
  check(back.capabilities == h.capabilities, "capabilities");
  check(back.mariadb_capabilities == h.mariadb_capabilities, "mariadb_capabilities");
  check(back.charset == h.charset, "charset");
  check(back.status_flags == h.status_flags, "status_flags");
  check(back.auth_plugin == h.auth_plugin, "auth_plugin");
  return 0;
}
