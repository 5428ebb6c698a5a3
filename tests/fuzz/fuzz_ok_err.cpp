// The generic response packets: decode_ok, decode_err, decode_eof, decode_auth_switch round
// trips, and decode_prepare_ok / decode_change_user on anything.
//
// Input: [caps, 4 bytes little-endian] then a payload.
#include <algorithm>

#include "proxy/protocol/packets.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace pr = causeway::protocol;
using causeway::fuzz::check;

namespace {

void ok_round_trip(pr::Bytes payload, pr::Caps caps) {
  pr::OkPacket ok;
  if (pr::decode_ok(payload, caps, ok)) return;
  std::vector<std::uint8_t> out;
  pr::encode_ok(ok, caps, out);
  pr::OkPacket back;
  check(!pr::decode_ok(out, caps, back), "an encoded OK does not decode");
  check(back.eof_header == ok.eof_header, "OK header");
  check(back.affected_rows == ok.affected_rows, "affected_rows");
  check(back.last_insert_id == ok.last_insert_id, "last_insert_id");
  check(back.status_flags == ok.status_flags, "status_flags");
  check(back.warnings == ok.warnings, "warnings");
  check(back.info == ok.info, "info");
  check(std::equal(back.session_state.begin(), back.session_state.end(), ok.session_state.begin(),
                   ok.session_state.end()),
        "session_state");
}

void err_round_trip(pr::Bytes payload, pr::Caps caps) {
  pr::ErrPacket err;
  if (pr::decode_err(payload, caps, err)) return;
  check(err.sql_state.size() == 5, "SQLSTATE is not five characters");
  std::vector<std::uint8_t> out;
  pr::encode_err(err, caps, out);
  pr::ErrPacket back;
  check(!pr::decode_err(out, caps, back), "an encoded ERR does not decode");
  check(back.code == err.code, "code");
  check(back.sql_state == err.sql_state, "sql_state");
  check(back.message == err.message, "message");
}

void eof_round_trip(pr::Bytes payload) {
  pr::EofPacket eof;
  if (pr::decode_eof(payload, eof)) return;
  std::vector<std::uint8_t> out;
  pr::encode_eof(eof, out);
  check(out.size() == 5 && std::equal(out.begin(), out.end(), payload.begin()), "EOF re-encodes differently");
}

void auth_switch_round_trip(pr::Bytes payload) {
  pr::AuthSwitch sw;
  if (pr::decode_auth_switch(payload, sw)) return;
  std::vector<std::uint8_t> out;
  pr::encode_auth_switch(sw, out);
  pr::AuthSwitch back;
  check(!pr::decode_auth_switch(out, back), "an encoded auth switch does not decode");
  check(back.plugin == sw.plugin && back.data == sw.data, "auth switch fields");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  causeway::fuzz::Input in(data, size);
  const pr::Caps caps = in.u32();
  const pr::Bytes payload = in.rest();
  ok_round_trip(payload, caps);
  err_round_trip(payload, caps);
  eof_round_trip(payload);
  auth_switch_round_trip(payload);
  pr::PrepareOk prepare;
  (void)pr::decode_prepare_ok(payload, prepare);
  pr::ChangeUser change;
  (void)pr::decode_change_user(payload, caps, change);
  return 0;
}
