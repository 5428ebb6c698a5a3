// decode_handshake_response on anything; what decodes must encode and decode to the same
// fields, and the SSLRequest must be the encoding's first 32 bytes.
//
// Input: a HandshakeResponse41 payload.
#include <algorithm>

#include "proxy/protocol/packets.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace pr = causeway::protocol;
using causeway::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pr::HandshakeResponse r;
  if (pr::decode_handshake_response(pr::Bytes(data, size), r)) return 0;
  std::vector<std::uint8_t> out;
  pr::encode_handshake_response(r, out);
  pr::HandshakeResponse back;
  check(!pr::decode_handshake_response(out, back), "an encoded response does not decode");
  check(back.capabilities == r.capabilities, "capabilities");
  check(back.max_packet_size == r.max_packet_size, "max_packet_size");
  check(back.charset == r.charset, "charset");
  check(back.mariadb_capabilities == r.mariadb_capabilities, "mariadb_capabilities");
  check(back.username == r.username, "username");
  check(back.auth_response == r.auth_response, "auth_response");
  check(back.database == r.database, "database");
  check(back.auth_plugin == r.auth_plugin, "auth_plugin");
  check(back.connect_attrs == r.connect_attrs, "connect_attrs");

  std::vector<std::uint8_t> ssl;
  pr::encode_ssl_request(r, ssl);
  check(ssl.size() == pr::ssl_request_size && std::equal(ssl.begin(), ssl.end(), out.begin()),
        "the SSLRequest is not the response's first 32 bytes");
  return 0;
}
