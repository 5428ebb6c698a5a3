// The compressed protocol (CLIENT_COMPRESS, zlib) on the client's hop. After the login,
// every byte in either direction travels in compressed packets: a 7-byte header (payload
// length, a sequence id of its own, the length before compression or 0 when the payload
// is sent as it is) and a payload that may hold part of a MySQL packet or several. The
// packets inside are the ordinary ones, so the rest of causeway reads and relays them as
// on a plain connection; only the client's hop pays for compression.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "proxy/protocol/wire.hpp"

struct z_stream_s;

namespace causeway::protocol {

inline constexpr std::size_t compressed_header_size = 7;
// Payloads shorter than this go uncompressed, as servers send them.
inline constexpr std::size_t min_compress_length = 50;
inline constexpr std::size_t max_compressed_payload = 0xffffff;
// What causeway puts in one compressed packet at most, as a server sends its net buffer
// (net_buffer_length, 16 KiB): a client needs room for a whole packet, uncompressed.
inline constexpr std::size_t compressed_packet_size = 16 * 1024;
// zlib level for what causeway sends: fast, most of the gain of the default 6.
inline constexpr int compression_level = 3;

// One deflate and one inflate stream, reset for each packet: one per worker thread, so
// sessions share them without locks and no packet allocates zlib state.
class Zlib {
 public:
  Zlib();
  ~Zlib();
  Zlib(const Zlib&) = delete;
  Zlib& operator=(const Zlib&) = delete;

  // Appends compressed packets holding `data` (compressed_packet_size bytes each, the last
  // one less) to `out`, starting at sequence id `seq`; returns the id after the last one.
  std::uint8_t append(Bytes data, std::uint8_t seq, std::vector<std::uint8_t>& out);
  // Inflates `in` into `out` (resized); false unless `in` is one zlib stream of exactly
  // `size` bytes.
  bool inflate_exact(Bytes in, std::size_t size, std::vector<std::uint8_t>& out);

 private:
  z_stream_s* deflate_;
  z_stream_s* inflate_;
};

// The reading side: compressed packets in (from the socket), plain bytes out. A packet is
// inflated only once the bytes before it were taken, so next_seq() follows what the
// client has sent so far.
class CompressedReader {
 public:
  // Where the next bytes from the socket go (room for at least `n` bytes, more while a
  // large packet arrives), and how many arrived.
  std::span<std::uint8_t> prepare(std::size_t n);
  void commit(std::size_t n) { raw_end_ += n; }

  // Moves up to out.size() plain bytes into `out`; 0 when a whole packet is not there yet
  // (read more) or on error (`ec`: a packet that does not inflate to its stated length).
  std::size_t take(Zlib& zlib, std::span<std::uint8_t> out, std::error_code& ec);
  // Whether bytes the client sent wait here (plain, or still compressed).
  bool has_buffered() const { return plain_pos_ < plain_.size() || raw_end_ > raw_begin_; }
  // Gives back what a large packet made the buffers grow to, once nothing waits in them.
  void shrink_if_idle(std::size_t keep);
  // The sequence id of the next compressed packet causeway sends: one past the client's last.
  std::uint8_t next_seq() const { return next_seq_; }
  void sent(std::uint8_t next) { next_seq_ = next; }

 private:
  std::vector<std::uint8_t> raw_;
  std::size_t raw_begin_ = 0;
  std::size_t raw_end_ = 0;
  std::vector<std::uint8_t> plain_;
  std::size_t plain_pos_ = 0;
  std::uint8_t next_seq_ = 0;
};

}  // namespace causeway::protocol
