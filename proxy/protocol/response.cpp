#include "proxy/protocol/response.hpp"

#include <algorithm>
#include <cstring>

namespace causeway::protocol {

namespace {

// The fixed fields of an OK packet, for one whose info or session state does not decode
// (the kept head cuts off an OK longer than capture_size).
bool decode_ok_fixed_fields(Bytes payload, std::uint16_t& status_flags, std::uint16_t& warnings) {
  Reader r(payload);
  r.u8();
  r.lenenc();
  r.lenenc();
  const std::uint16_t flags = r.u16();
  const std::uint16_t warns = r.u16();
  if (!r.ok()) return false;
  status_flags = flags;
  warnings = warns;
  return true;
}

}  // namespace

ResponseShape response_shape(Command cmd, Bytes payload) {
  // COM_STMT_EXECUTE: command, statement id (4), flags: a cursor type in the flags.
  constexpr std::size_t flags_at = 5;
  constexpr std::uint8_t cursor_types = 0x01;  // CURSOR_TYPE_READ_ONLY: the only type servers open
  switch (cmd) {
    case Command::quit:
    case Command::stmt_close:
    case Command::stmt_send_long_data:
      return {false, ResponseKind::single};
    case Command::stmt_execute:
      if (payload.size() > flags_at && (payload[flags_at] & cursor_types) != 0)
        return {true, ResponseKind::cursor_result};
      return {true, ResponseKind::result};
    case Command::query:
    case Command::process_info:
    case Command::stmt_bulk_execute:
      return {true, ResponseKind::result};
    case Command::stmt_prepare:
      return {true, ResponseKind::prepare};
    case Command::stmt_fetch:
      return {true, ResponseKind::fetch};
    case Command::field_list:
      return {true, ResponseKind::field_list};
    default:
      return {true, ResponseKind::single};
  }
}

void ResponseTracker::start(ResponseKind kind, Caps caps, bool hold_oks) {
  caps_ = caps;
  kind_ = kind;
  hold_ = hold_oks;
  held_ = false;
  releasing_ = false;
  held_size_ = 0;
  ec_.clear();
  header_have_ = 0;
  frame_left_ = 0;
  in_frame_ = false;
  continuation_ = false;
  ended_with_error_ = false;
  has_status_ = false;
  error_code_ = 0;
  warnings_ = 0;
  packets_ = 0;
  last_ok_len_ = 0;
  last_ok_complete_ = false;
  columns_left_ = params_left_ = 0;
  switch (kind) {
    case ResponseKind::result:
    case ResponseKind::cursor_result:
    case ResponseKind::prepare:
      state_ = State::first;
      break;
    case ResponseKind::fetch:
      state_ = State::rows;
      break;
    case ResponseKind::field_list:
      state_ = State::field_list;
      break;
    case ResponseKind::single:
      state_ = State::single;
      break;
  }
}

void ResponseTracker::continue_after_local_infile() {
  if (state_ == State::local_infile) state_ = State::first;
}

std::size_t ResponseTracker::feed(Bytes data) {
  if (held_) return 0;
  std::size_t pos = 0;
  while (pos < data.size() && !done()) {
    if (!in_frame_) {
      if (hold_ && !releasing_ && header_have_ == 0 && !continuation_ && may_hold_next() &&
          !pass_next_packet(data.subspan(pos))) {
        break;
      }
      const std::size_t take = std::min(data.size() - pos, 4 - header_have_);
      std::memcpy(header_.data() + header_have_, data.data() + pos, take);
      header_have_ += take;
      pos += take;
      if (header_have_ < 4) break;
      header_have_ = 0;
      frame_len_ = load_u24(header_.data());
      frame_left_ = frame_len_;
      in_frame_ = true;
      if (!continuation_) {
        head_len_ = 0;
        packet_len_ = 0;
        first_frame_len_ = frame_len_;
      }
      packet_len_ += frame_len_;
    }
    const std::size_t take = std::min(data.size() - pos, frame_left_);
    if (head_len_ < capture_size) {
      const std::size_t keep = std::min(take, capture_size - head_len_);
      std::memcpy(head_.data() + head_len_, data.data() + pos, keep);
      head_len_ += keep;
    }
    pos += take;
    frame_left_ -= take;
    if (frame_left_ > 0) break;
    in_frame_ = false;
    continuation_ = frame_len_ == max_frame_payload;
    if (!continuation_) {
      ++packets_;
      on_packet();
    }
  }
  return pos;
}

// Hold mode, at a packet boundary: can the next packet be an OK in this state at all?
bool ResponseTracker::may_hold_next() const {
  switch (state_) {
    case State::first:
      return kind_ == ResponseKind::result || kind_ == ResponseKind::cursor_result;
    case State::single:
      return true;
    case State::rows:
    case State::field_list:
      return (caps_ & cap::deprecate_eof) != 0;
    default:
      return false;
  }
}

// Whether a packet starting with `first` may be an OK here (may_hold_next() holds).
bool ResponseTracker::may_be_ok(std::uint8_t first) const {
  const bool eof_ok = first == eof_header && (caps_ & cap::deprecate_eof);
  switch (state_) {
    case State::first:
      return first == ok_header;
    case State::single:
      return first == ok_header || eof_ok;
    default:
      return eof_ok;
  }
}

// Looks at the start of the next packet without taking any of it: true to walk it as
// usual; false to stop in front of it, held or with too few bytes to tell yet.
bool ResponseTracker::pass_next_packet(Bytes rest) {
  if (rest.size() < frame_header_size) return false;
  const std::uint32_t len = load_u24(rest.data());
  if (len == 0 || len == max_frame_payload) return true;
  if (rest.size() < frame_header_size + 1) return false;
  if (!may_be_ok(rest[frame_header_size])) return true;
  held_ = true;
  held_size_ = frame_header_size + len;
  std::memcpy(held_header_.data(), rest.data(), frame_header_size);
  return false;
}

std::size_t ResponseTracker::release(Bytes data) {
  if (!held_ || data.size() < held_size_) return 0;
  held_ = false;
  if (std::memcmp(data.data(), held_header_.data(), frame_header_size) != 0) {
    fail();
    return 0;
  }
  releasing_ = true;
  const std::size_t took = feed(data.first(held_size_));
  releasing_ = false;
  // The packet is complete, so the walk ends exactly at its last byte.
  if (took != held_size_ || !at_packet_boundary()) fail();
  return took;
}

void ResponseTracker::on_packet() {
  const std::uint8_t first = head_len_ > 0 ? head_[0] : 0;
  const bool short_packet = first_frame_len_ < max_frame_payload;
  if (head_len_ > 0 && first == err_header && state_ != State::single) {
    finish_err();
    return;
  }
  switch (state_) {
    case State::first:
      on_first();
      break;
    case State::columns:
      if (--columns_left_ == 0) after_definitions(State::columns_eof, State::rows);
      break;
    case State::columns_eof: {
      if (first != eof_header || !short_packet) return fail();
      read_ok_status(true);
      // An open cursor ends the response after the metadata; rows come with COM_STMT_FETCH.
      state_ = kind_ == ResponseKind::cursor_result && (status_flags_ & status::cursor_exists) ? State::done
                                                                                               : State::rows;
      break;
    }
    case State::rows:
      on_rows_packet();
      break;
    case State::prepare_params:
      if (--params_left_ == 0) after_definitions(State::prepare_params_eof, State::prepare_columns);
      break;
    case State::prepare_params_eof:
      if (first != eof_header) return fail();
      state_ = State::prepare_columns;
      if (columns_left_ == 0) state_ = State::done;
      break;
    case State::prepare_columns:
      if (--columns_left_ == 0) after_definitions(State::prepare_columns_eof, State::done);
      break;
    case State::prepare_columns_eof:
      if (first != eof_header) return fail();
      state_ = State::done;
      break;
    case State::field_list:
      if (first == eof_header && short_packet) {
        read_ok_status(true);
        state_ = State::done;
      }
      break;
    case State::single:
      if (first == err_header) {
        finish_err();
      } else if (first == ok_header || (first == eof_header && short_packet)) {
        read_ok_status(first == eof_header);
        state_ = State::done;
      } else {
        state_ = State::done;  // COM_STATISTICS answers with a bare string
      }
      break;
    case State::local_infile:
    case State::done:
      break;
  }
}

void ResponseTracker::on_first() {
  const std::uint8_t first = head_[0];
  if (head_len_ == 0) return fail();
  if (kind_ == ResponseKind::prepare) {
    if (decode_prepare_ok(Bytes(head_.data(), head_len_), prepare_ok_)) return fail();
    warnings_ = prepare_ok_.warnings;
    params_left_ = prepare_ok_.num_params;
    columns_left_ = prepare_ok_.num_columns;
    if (params_left_ > 0) {
      state_ = State::prepare_params;
    } else if (columns_left_ > 0) {
      state_ = State::prepare_columns;
    } else {
      state_ = State::done;
    }
    return;
  }
  if (first == ok_header) {
    read_ok_status(false);
    state_ = (status_flags_ & status::more_results_exist) ? State::first : State::done;
    return;
  }
  if (first == local_infile_header) {
    state_ = State::local_infile;
    return;
  }
  Reader r(Bytes(head_.data(), head_len_));
  columns_left_ = r.lenenc();
  if (!r.ok() || columns_left_ == 0) return fail();
  state_ = State::columns;
}

void ResponseTracker::after_definitions(State next_eof, State next) {
  state_ = (caps_ & cap::deprecate_eof) ? next : next_eof;
  // PREPARE_OK's definitions: with no columns there is nothing after the params' EOF.
  if (state_ == State::prepare_columns && columns_left_ == 0) state_ = State::done;
}

void ResponseTracker::on_rows_packet() {
  const bool end = head_len_ > 0 && head_[0] == eof_header && first_frame_len_ < max_frame_payload;
  if (!end) return;  // a row
  read_ok_status(true);
  const bool more = (status_flags_ & status::more_results_exist) &&
                    (kind_ == ResponseKind::result || kind_ == ResponseKind::cursor_result);
  state_ = more ? State::first : State::done;
}

void ResponseTracker::finish_err() {
  ended_with_error_ = true;
  error_code_ = head_len_ >= 3 ? static_cast<std::uint16_t>(head_[1] | (head_[2] << 8)) : 0;
  state_ = State::done;
}

void ResponseTracker::read_ok_status(bool eof_header_packet) {
  const Bytes payload(head_.data(), head_len_);
  has_status_ = true;
  if (eof_header_packet && !(caps_ & cap::deprecate_eof)) {
    EofPacket eof;
    if (!decode_eof(payload, eof)) {
      status_flags_ = eof.status_flags;
      warnings_ = eof.warnings;
    }
    return;
  }
  // An OK packet (0x00, or 0xfe with CLIENT_DEPRECATE_EOF). Older servers send a plain EOF
  // of 5 bytes even then in a few places; both layouts read the same way up to the flags
  // only for OK, so fall back to the EOF layout when the OK layout does not fit.
  OkPacket ok;
  if (!decode_ok(payload, caps_, ok)) {
    status_flags_ = ok.status_flags;
    warnings_ = ok.warnings;
  } else if (decode_ok_fixed_fields(payload, status_flags_, warnings_)) {
    // The info or session state did not decode: cut off past capture_size (large
    // session-state changes), or malformed. The flags before them still count.
  } else {
    EofPacket eof;
    if (eof_header_packet && !decode_eof(payload, eof)) {
      status_flags_ = eof.status_flags;
      warnings_ = eof.warnings;
    }
  }
  last_ok_len_ = head_len_;
  last_ok_complete_ = packet_len_ <= capture_size;
  std::memcpy(last_ok_.data(), head_.data(), head_len_);
}

}  // namespace causeway::protocol
