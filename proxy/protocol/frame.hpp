// Incremental frame reader (no I/O) and frame writer.
//
// A logical packet is one or more frames: 3-byte length, 1-byte sequence id, payload.
// A frame of exactly 0xffffff bytes means another frame of the same packet follows.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/wire.hpp"

namespace causeway::protocol {

struct Packet {
  std::uint8_t seq = 0;        // sequence id of the packet's first frame
  std::uint8_t last_seq = 0;   // sequence id of its last frame
  Bytes payload;               // joined payload; valid until the reader is changed
};

enum class FrameStatus { need_more, packet, error };

class FrameReader {
 public:
  explicit FrameReader(std::size_t max_payload = 64 * 1024 * 1024,
                       std::size_t initial_capacity = 16 * 1024);

  // Receive side: a writable region of at least `min_free` bytes, then commit what arrived.
  std::span<std::uint8_t> prepare(std::size_t min_free = 4096);
  void commit(std::size_t n);
  void feed(Bytes bytes);  // prepare + copy + commit

  // The next complete logical packet. `ec` is set when the status is `error`; after an
  // error the stream is unusable. The previous packet's payload is released by this call.
  FrameStatus next(Packet& out, std::error_code& ec);

  // Sequence checking: the next packet must start with `seq`. Afterwards the reader
  // expects last_seq + 1 by itself. Without a call, the first packet may have any id.
  void expect_seq(std::uint8_t seq) {
    expected_seq_ = seq;
    check_seq_ = true;
  }
  void stop_checking_seq() { check_seq_ = false; }
  // For good: on a compressed connection the ids inside are nobody's check (libmariadb numbers
  // every frame of a split command 0). last_seq then counts the packet's frames on.
  void ignore_seq() { ignore_seq_ = true; }
  std::uint8_t next_seq() const { return expected_seq_; }

  void set_max_payload(std::size_t n) { max_payload_ = n; }
  std::size_t max_payload() const { return max_payload_; }

  // Raw access for relaying bytes without framing them into packets.
  // Bytes received and not yet handed out (the last packet from next() excluded).
  Bytes buffered() const {
    return {buf_.data() + begin_ + pending_consume_, end_ - begin_ - pending_consume_};
  }
  void consume_raw(std::size_t n);
  // The same bytes, writable: causeway patches statement ids in place before relaying.
  std::span<std::uint8_t> mutable_buffered() {
    return {buf_.data() + begin_ + pending_consume_, end_ - begin_ - pending_consume_};
  }
  std::size_t capacity() const { return buf_.size(); }
  // Give back memory after a huge packet so idle sessions stay small.
  void shrink_if_idle(std::size_t keep);

 private:
  void release_pending();
  std::vector<std::uint8_t> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t pending_consume_ = 0;  // bytes of the packet handed out by the last next()
  std::size_t max_payload_;
  std::uint8_t expected_seq_ = 0;
  bool check_seq_ = false;
  bool ignore_seq_ = false;
};

// Appends a logical packet (payload already encoded after a 4-byte placeholder that starts
// at `header_pos`) and fixes up its frame headers, splitting at 0xffffff bytes.
// Returns the sequence id to use for the next packet.
std::uint8_t finish_packet(std::vector<std::uint8_t>& out, std::size_t header_pos, std::uint8_t seq);

// Convenience: append `payload` as a packet with sequence id `seq`; returns the next seq.
std::uint8_t append_packet(std::vector<std::uint8_t>& out, std::uint8_t seq, Bytes payload);

// Starts a packet in `out`: reserves the header and returns its position for finish_packet.
inline std::size_t begin_packet(std::vector<std::uint8_t>& out) {
  const std::size_t pos = out.size();
  out.resize(pos + frame_header_size);
  return pos;
}

}  // namespace causeway::protocol
