#include "proxy/protocol/compression.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "proxy/protocol/errors.hpp"

namespace causeway::protocol {

Zlib::Zlib() : deflate_(new z_stream{}), inflate_(new z_stream{}) {
  const bool deflating = deflateInit(deflate_, compression_level) == Z_OK;
  if (deflating && inflateInit(inflate_) == Z_OK) return;
  if (deflating) deflateEnd(deflate_);
  delete deflate_;
  delete inflate_;
  throw std::bad_alloc();
}

Zlib::~Zlib() {
  deflateEnd(deflate_);
  inflateEnd(inflate_);
  delete deflate_;
  delete inflate_;
}

std::uint8_t Zlib::append(Bytes data, std::uint8_t seq, std::vector<std::uint8_t>& out) {
  while (!data.empty()) {
    const Bytes chunk = data.first(std::min(data.size(), compressed_packet_size));
    data = data.subspan(chunk.size());
    const std::size_t header = out.size();
    std::size_t plain_length = 0;  // 0: the payload goes as it is
    if (chunk.size() >= min_compress_length) {
      const auto bound = deflateBound(deflate_, static_cast<uLong>(chunk.size()));
      out.resize(header + compressed_header_size + bound);
      deflateReset(deflate_);
      deflate_->next_in = const_cast<Bytef*>(chunk.data());
      deflate_->avail_in = static_cast<uInt>(chunk.size());
      deflate_->next_out = out.data() + header + compressed_header_size;
      deflate_->avail_out = static_cast<uInt>(bound);
      const int rc = deflate(deflate_, Z_FINISH);
      const std::size_t produced = bound - deflate_->avail_out;
      if (rc == Z_STREAM_END && produced < chunk.size()) {
        out.resize(header + compressed_header_size + produced);
        plain_length = chunk.size();
      }
    }
    if (plain_length == 0) {
      out.resize(header + compressed_header_size);
      out.insert(out.end(), chunk.begin(), chunk.end());
    }
    store_u24(out.data() + header, static_cast<std::uint32_t>(out.size() - header - compressed_header_size));
    out[header + 3] = seq++;
    store_u24(out.data() + header + 4, static_cast<std::uint32_t>(plain_length));
  }
  return seq;
}

bool Zlib::inflate_exact(Bytes in, std::size_t size, std::vector<std::uint8_t>& out) {
  inflateReset(inflate_);
  inflate_->next_in = const_cast<Bytef*>(in.data());
  inflate_->avail_in = static_cast<uInt>(in.size());
  // The buffer grows with what really comes out, not with what the header claims.
  out.resize(std::min(size, std::max<std::size_t>(16 * 1024, in.size() * 4)));
  std::size_t done = 0;
  for (;;) {
    inflate_->next_out = out.data() + done;
    inflate_->avail_out = static_cast<uInt>(out.size() - done);
    const int rc = inflate(inflate_, Z_NO_FLUSH);
    done = out.size() - inflate_->avail_out;
    if (rc == Z_STREAM_END) return done == size && inflate_->avail_in == 0;
    if ((rc != Z_OK && rc != Z_BUF_ERROR) || done < out.size() || out.size() == size) return false;
    out.resize(std::min(size, out.size() * 2));
  }
}

std::span<std::uint8_t> CompressedReader::prepare(std::size_t n) {
  if (raw_begin_ == raw_end_) raw_begin_ = raw_end_ = 0;
  const std::size_t have = raw_end_ - raw_begin_;
  if (have >= compressed_header_size) {  // room for more of the packet begun, as it arrives
    const std::size_t whole = compressed_header_size + load_u24(raw_.data() + raw_begin_);
    if (whole > have) n = std::max(n, std::min<std::size_t>(whole - have, 256 * 1024));
  }
  if (raw_.size() - raw_end_ < n && raw_begin_ > 0) {
    std::memmove(raw_.data(), raw_.data() + raw_begin_, have);
    raw_begin_ = 0;
    raw_end_ = have;
  }
  if (raw_.size() - raw_end_ < n) raw_.resize(raw_end_ + n);
  return {raw_.data() + raw_end_, raw_.size() - raw_end_};
}

std::size_t CompressedReader::take(Zlib& zlib, std::span<std::uint8_t> out, std::error_code& ec) {
  while (plain_pos_ == plain_.size()) {
    const std::size_t have = raw_end_ - raw_begin_;
    if (have < compressed_header_size) return 0;
    const std::uint8_t* h = raw_.data() + raw_begin_;
    const std::size_t length = load_u24(h);
    if (have < compressed_header_size + length) return 0;
    const std::size_t plain_length = load_u24(h + 4);
    const Bytes payload(h + compressed_header_size, length);
    plain_pos_ = 0;
    next_seq_ = static_cast<std::uint8_t>(h[3] + 1);  // an ERR about this packet answers it
    if (plain_length == 0) {  // stored as it is
      plain_.assign(payload.begin(), payload.end());
    } else if (plain_length > length * 1032 + 64 || !zlib.inflate_exact(payload, plain_length, plain_)) {
      // deflate shrinks nothing more than 1032 to 1: a packet claiming more is refused before
      // anything is allocated for it.
      plain_.clear();
      ec = errc::bad_compressed_packet;
      return 0;
    }
    raw_begin_ += compressed_header_size + length;
  }
  const std::size_t n = std::min(out.size(), plain_.size() - plain_pos_);
  std::memcpy(out.data(), plain_.data() + plain_pos_, n);
  plain_pos_ += n;
  return n;
}

void CompressedReader::shrink_if_idle(std::size_t keep) {
  if (raw_begin_ == raw_end_ && raw_.size() > keep) {
    std::vector<std::uint8_t>().swap(raw_);
    raw_begin_ = raw_end_ = 0;
  }
  if (plain_pos_ == plain_.size() && plain_.capacity() > keep) {
    std::vector<std::uint8_t>().swap(plain_);
    plain_pos_ = 0;
  }
}

}  // namespace causeway::protocol
