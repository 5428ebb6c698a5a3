#include "proxy/protocol/frame.hpp"

#include <algorithm>
#include <cstring>

#include "proxy/protocol/errors.hpp"

namespace causeway::protocol {

FrameReader::FrameReader(std::size_t max_payload, std::size_t initial_capacity)
    : buf_(initial_capacity), max_payload_(max_payload) {}

std::span<std::uint8_t> FrameReader::prepare(std::size_t min_free) {
  release_pending();
  if (buf_.size() - end_ < min_free) {
    // Compact first: unread bytes move to the front, then grow only if still short.
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (buf_.size() - end_ < min_free) buf_.resize(std::max(buf_.size() * 2, end_ + min_free));
  }
  return {buf_.data() + end_, buf_.size() - end_};
}

void FrameReader::commit(std::size_t n) { end_ += n; }

void FrameReader::feed(Bytes bytes) {
  if (bytes.empty()) return;  // an empty span may have no data(): memcpy from null is UB
  auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

void FrameReader::release_pending() {
  begin_ += pending_consume_;
  pending_consume_ = 0;
  if (begin_ == end_) begin_ = end_ = 0;
}

void FrameReader::consume_raw(std::size_t n) {
  release_pending();
  begin_ += std::min(n, end_ - begin_);
  if (begin_ == end_) begin_ = end_ = 0;
}

void FrameReader::shrink_if_idle(std::size_t keep) {
  release_pending();
  if (begin_ == end_ && buf_.size() > keep) {
    std::vector<std::uint8_t>(keep).swap(buf_);
    begin_ = end_ = 0;
  }
}

FrameStatus FrameReader::next(Packet& out, std::error_code& ec) {
  release_pending();
  // Walk the frames of one logical packet without moving anything until it is complete.
  std::size_t pos = begin_;
  std::size_t total = 0;
  std::uint8_t seq = check_seq_ ? expected_seq_ : 0;
  bool first = true;
  std::uint8_t first_seq = 0;
  for (;;) {
    if (end_ - pos < frame_header_size) return FrameStatus::need_more;
    const std::uint32_t len = load_u24(buf_.data() + pos);
    const std::uint8_t frame_seq = buf_[pos + 3];
    if (first) {
      if (check_seq_ && !ignore_seq_ && frame_seq != seq) {
        ec = errc::sequence_mismatch;
        return FrameStatus::error;
      }
      first_seq = frame_seq;
      seq = frame_seq;
      first = false;
    } else if (!ignore_seq_ && frame_seq != seq) {
      ec = errc::sequence_mismatch;
      return FrameStatus::error;
    }
    total += len;
    if (total > max_payload_) {
      ec = errc::packet_too_large;
      return FrameStatus::error;
    }
    if (end_ - pos - frame_header_size < len) return FrameStatus::need_more;
    pos += frame_header_size + len;
    if (len < max_frame_payload) break;
    seq = static_cast<std::uint8_t>(seq + 1);
  }
  // Complete: join continuation frames in place by sliding payloads over their headers.
  std::size_t src = begin_;
  std::size_t dst = begin_ + frame_header_size;
  std::size_t write = dst;
  for (;;) {
    const std::uint32_t len = load_u24(buf_.data() + src);
    if (write != src + frame_header_size) {
      std::memmove(buf_.data() + write, buf_.data() + src + frame_header_size, len);
    }
    write += len;
    src += frame_header_size + len;
    if (len < max_frame_payload) break;
  }
  out.seq = first_seq;
  out.last_seq = seq;
  out.payload = Bytes{buf_.data() + dst, total};
  pending_consume_ = pos - begin_;
  expected_seq_ = static_cast<std::uint8_t>(seq + 1);
  return FrameStatus::packet;
}

std::uint8_t finish_packet(std::vector<std::uint8_t>& out, std::size_t header_pos, std::uint8_t seq) {
  std::size_t len = out.size() - header_pos - frame_header_size;
  if (len < max_frame_payload) {
    store_u24(out.data() + header_pos, static_cast<std::uint32_t>(len));
    out[header_pos + 3] = seq;
    return static_cast<std::uint8_t>(seq + 1);
  }
  // Rare slow path (payload of 16 MB or more): re-lay the payload out as several frames.
  std::vector<std::uint8_t> payload(out.begin() + static_cast<std::ptrdiff_t>(header_pos + frame_header_size),
                                    out.end());
  out.resize(header_pos);
  return append_packet(out, seq, payload);
}

std::uint8_t append_packet(std::vector<std::uint8_t>& out, std::uint8_t seq, Bytes payload) {
  std::size_t off = 0;
  for (;;) {
    const std::size_t chunk = std::min(payload.size() - off, max_frame_payload);
    out.push_back(static_cast<std::uint8_t>(chunk));
    out.push_back(static_cast<std::uint8_t>(chunk >> 8));
    out.push_back(static_cast<std::uint8_t>(chunk >> 16));
    out.push_back(seq);
    seq = static_cast<std::uint8_t>(seq + 1);
    out.insert(out.end(), payload.begin() + static_cast<std::ptrdiff_t>(off),
               payload.begin() + static_cast<std::ptrdiff_t>(off + chunk));
    off += chunk;
    if (chunk < max_frame_payload) return seq;
  }
}

}  // namespace causeway::protocol
