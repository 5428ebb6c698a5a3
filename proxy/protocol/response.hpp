// Response tracker: walks the raw bytes a server sends in answer to one command, frame by
// frame, without copying or re-encoding them, and says where the response ends. It keeps
// the first bytes of each packet (enough for OK/ERR/EOF, column counts and PREPARE_OK) so
// the relay learns status flags, errors and session-state changes on the way. In hold mode
// it stops in front of OK packets so that the relay can read or rewrite them first.
#pragma once

#include <array>
#include <cstdint>
#include <system_error>

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/errors.hpp"
#include "proxy/protocol/packets.hpp"
#include "proxy/protocol/wire.hpp"

namespace causeway::protocol {

enum class ResponseKind {
  result,      // COM_QUERY, COM_STMT_EXECUTE, COM_PROCESS_INFO: OK | ERR | LOCAL INFILE | result sets
  prepare,     // COM_STMT_PREPARE: PREPARE_OK + param and column definitions | ERR
  fetch,       // COM_STMT_FETCH: rows then EOF | ERR
  field_list,  // COM_FIELD_LIST: column definitions then EOF | ERR
  single,      // COM_PING, COM_INIT_DB, COM_STMT_RESET, COM_SET_OPTION, COM_STATISTICS, ...: one packet
  cursor_result,  // COM_STMT_EXECUTE asking for a cursor: as `result`, but SERVER_STATUS_CURSOR_EXISTS
                  // after the column definitions ends it (rows come with COM_STMT_FETCH). Only then:
                  // MariaDB also leaks that flag from a stored procedure's own cursors.
};
inline constexpr int response_kinds = 6;

// Which response a command produces; nullopt for commands without a response
// (COM_QUIT, COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA).
struct ResponseShape {
  bool has_response = true;
  ResponseKind kind = ResponseKind::single;
};
// `payload` (the command packet's, command byte first) tells an execute asking for a cursor.
ResponseShape response_shape(Command cmd, Bytes payload = {});

// Holding OK packets. Started with hold_oks, the tracker stops in front of every packet
// that may be an OK packet, so that the caller has it whole before any byte of it goes on
// (to read the commit GTID in its session state, or to re-encode it for a client without
// CLIENT_SESSION_TRACK). Those packets: in a `result` response, a first packet starting
// with 0x00 (also after LOCAL INFILE and after MORE_RESULTS); a `single` answer starting
// with 0x00; and under CLIENT_DEPRECATE_EOF a 0xfe packet ending rows (also COM_STMT_FETCH),
// a field list or a `single` command. A frame of 0xffffff bytes is never held (an OK that
// long passes as in normal mode), nor PREPARE_OK, rows, ERR or classic EOF packets.
//
// - To tell, feed() needs the next packet's header and first payload byte. With fewer
//   (under 5 bytes) left at such a point it returns what it took so far, neither done()
//   nor held(): the caller keeps the rest and feeds it again once more bytes are behind it.
// - held(): feed() took every byte before the packet and none of it; it takes nothing more
//   until release(). held_size() is the packet's size on the wire (header included);
//   held_payload(data), where `data` starts at the held packet, is its payload once `data`
//   holds all of it.
// - release(data) walks the held packet, from `data` holding at least held_size() bytes,
//   exactly as feed() would have (same state, flags, last_ok(), ...) and returns
//   held_size(); then feed() goes on. With `data` still short of the packet it returns 0
//   and the packet stays held. Bytes that are not the held packet's header end the
//   response with error().
// Start it with the capabilities the server's bytes were sent under (the backend
// connection's, which may have CLIENT_SESSION_TRACK when the client's do not).
// Without hold_oks none of this applies: feed() takes every byte given until the end.
class ResponseTracker {
 public:
  void start(ResponseKind kind, Caps caps, bool hold_oks = false);

  // Consumes bytes of the response; returns how many belong to it (stops at its end, and
  // in hold mode in front of a packet that may be an OK: see above).
  std::size_t feed(Bytes data);

  bool held() const { return held_; }
  bool holding_oks() const { return hold_; }  // started with hold_oks
  std::size_t held_size() const { return held_ ? held_size_ : 0; }
  Bytes held_payload(Bytes data) const {
    if (!held_ || data.size() < held_size_) return {};
    return data.subspan(frame_header_size, held_size_ - frame_header_size);
  }
  std::size_t release(Bytes data);

  bool done() const { return state_ == State::done || state_ == State::local_infile; }
  // The server asked for a LOCAL INFILE: relay the client's file, then call this.
  bool local_infile_requested() const { return state_ == State::local_infile; }
  void continue_after_local_infile();

  std::error_code error() const { return ec_; }  // the server's bytes made no sense

  // What the response said, valid once done().
  bool ended_with_error() const { return ended_with_error_; }
  // The command never reached a server (causeway answered it with an ERR itself): the
  // response counts as an error, with no status flags.
  void end_unsent() {
    start(ResponseKind::single, caps_);
    ended_with_error_ = true;
    state_ = State::done;
  }
  std::uint16_t error_code() const { return error_code_; }
  std::uint16_t status_flags() const { return status_flags_; }
  // Whether this response carried server status (an OK or EOF); PREPARE_OK, ERR and
  // COM_STATISTICS answers do not, and status_flags() then still holds an older value.
  bool has_status() const { return has_status_; }
  std::uint16_t warnings() const { return warnings_; }
  const PrepareOk& prepare_ok() const { return prepare_ok_; }
  std::uint64_t packets() const { return packets_; }
  // Sequence id of the last frame walked: the next packet on this exchange uses +1.
  std::uint8_t last_seq() const { return header_[3]; }
  // Bytes of the last OK packet (may be truncated past capture_size; see last_ok_complete()).
  Bytes last_ok() const { return {last_ok_.data(), last_ok_len_}; }
  bool last_ok_complete() const { return last_ok_complete_; }
  // The first bytes of the last complete packet (an ERR's code, state and message).
  Bytes last_packet() const { return {head_.data(), head_len_}; }
  // True between packets: nothing of a packet has been walked but not finished.
  bool at_packet_boundary() const { return !in_frame_ && header_have_ == 0 && !continuation_; }

  static constexpr std::size_t capture_size = 1024;

 private:
  enum class State {
    first,            // a result's first packet
    columns,          // column definitions of a result set
    columns_eof,      // EOF after column definitions (no CLIENT_DEPRECATE_EOF)
    rows,             // rows until EOF/OK or ERR
    prepare_params,   // parameter definitions after PREPARE_OK
    prepare_params_eof,
    prepare_columns,
    prepare_columns_eof,
    field_list,       // column definitions until EOF
    single,           // one packet
    local_infile,     // waiting for the client's file
    done,
  };

  void on_packet();
  void on_first();
  void on_rows_packet();
  void on_end_of_rows();
  void after_definitions(State next_eof, State next);
  void finish_err();
  void read_ok_status(bool eof_header);
  bool may_hold_next() const;
  bool may_be_ok(std::uint8_t first) const;
  bool pass_next_packet(Bytes rest);
  void fail() {
    ec_ = errc::malformed_packet;
    state_ = State::done;
  }

  Caps caps_ = 0;
  ResponseKind kind_ = ResponseKind::single;
  bool hold_ = false;
  bool held_ = false;
  bool releasing_ = false;  // release() walks the held packet: do not hold it again
  std::size_t held_size_ = 0;
  std::array<std::uint8_t, 4> held_header_{};
  State state_ = State::done;
  std::error_code ec_;

  // Frame walking.
  std::array<std::uint8_t, 4> header_{};
  std::size_t header_have_ = 0;
  std::size_t frame_left_ = 0;       // payload bytes of the current frame still to come
  std::uint32_t frame_len_ = 0;
  bool in_frame_ = false;
  bool continuation_ = false;        // current frame continues a >16 MB packet
  std::uint32_t first_frame_len_ = 0;
  std::array<std::uint8_t, capture_size> head_{};
  std::size_t head_len_ = 0;
  std::uint64_t packet_len_ = 0;

  // Result-set progress.
  std::uint64_t columns_left_ = 0;
  std::uint64_t params_left_ = 0;

  bool ended_with_error_ = false;
  std::uint16_t error_code_ = 0;
  std::uint16_t status_flags_ = 0;
  bool has_status_ = false;
  std::uint16_t warnings_ = 0;
  PrepareOk prepare_ok_{};
  std::uint64_t packets_ = 0;
  std::array<std::uint8_t, capture_size> last_ok_{};
  std::size_t last_ok_len_ = 0;
  bool last_ok_complete_ = false;
};

}  // namespace causeway::protocol
