// A client connection: plain TCP, upgraded to TLS in place after an SSLRequest, and to the
// compressed protocol after the login when the client asked for it.
#pragma once

#include <algorithm>
#include <memory>
#include <vector>

#include "proxy/asio.hpp"
#include "proxy/protocol/compression.hpp"

namespace causeway::proxy {

class ClientStream {
 public:
  explicit ClientStream(tcp::socket socket) : socket_(std::move(socket)) {}

  awaitable<std::size_t> read_some(asio::mutable_buffer buf, boost::system::error_code& ec) {
    if (!compressed_) co_return co_await read_raw(buf, ec);
    for (;;) {
      std::error_code bad;
      const std::size_t n = compressed_->reader.take(
          compressed_->zlib, {static_cast<std::uint8_t*>(buf.data()), buf.size()}, bad);
      if (bad) {
        compression_failed_ = true;
        ec = asio::error::invalid_argument;
        co_return 0;
      }
      if (n > 0) co_return n;
      const auto space = compressed_->reader.prepare(4096);
      const std::size_t got = co_await read_raw(asio::buffer(space.data(), space.size()), ec);
      if (ec) co_return 0;
      compressed_->reader.commit(got);
    }
  }
  // Reads exactly buf.size() bytes (plain TCP only): used before TLS starts, where reading
  // ahead would swallow the client's TLS hello.
  awaitable<void> read_exactly(asio::mutable_buffer buf, boost::system::error_code& ec) {
    co_await asio::async_read(socket_, buf, use_ec(ec));
  }
  awaitable<void> write(asio::const_buffer buf, boost::system::error_code& ec) {
    if (compressed_) {
      auto& c = *compressed_;
      c.out.clear();
      c.reader.sent(c.zlib.append({static_cast<const std::uint8_t*>(buf.data()), buf.size()}, c.reader.next_seq(),
                                  c.out));
      buf = asio::buffer(c.out);
    }
    if (tls_) {
      co_await asio::async_write(*tls_, buf, use_ec(ec));
    } else {
      co_await asio::async_write(socket_, buf, use_ec(ec));
    }
  }
  awaitable<void> start_tls(asio::ssl::context& ctx, boost::system::error_code& ec) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, ctx);
    co_await tls_->async_handshake(asio::ssl::stream_base::server, use_ec(ec));
  }
  // From now on every byte either way is in compressed packets; `zlib` is the worker's.
  void start_compression(protocol::Zlib& zlib, protocol::Bytes already_read) {
    compressed_ = std::make_unique<Compressed>(zlib);
    const auto space = compressed_->reader.prepare(already_read.size());
    std::copy(already_read.begin(), already_read.end(), space.begin());
    compressed_->reader.commit(already_read.size());
  }
  bool is_compressed() const { return compressed_ != nullptr; }
  // read_some() failed on a packet that does not inflate (the client gets ERR 1157).
  bool compression_failed() const { return compression_failed_; }
  // Client bytes read from the socket and not yet taken (compressed connections only).
  bool has_buffered() const { return compressed_ && compressed_->reader.has_buffered(); }
  bool is_tls() const { return tls_ != nullptr; }
  const char* tls_cipher() const;
  tcp::socket& socket() { return socket_; }
  // Half-close then close; the peer sees an orderly end of stream.
  void close();

 private:
  awaitable<std::size_t> read_raw(asio::mutable_buffer buf, boost::system::error_code& ec) {
    if (tls_) co_return co_await tls_->async_read_some(buf, use_ec(ec));
    co_return co_await socket_.async_read_some(buf, use_ec(ec));
  }

  struct Compressed {
    explicit Compressed(protocol::Zlib& z) : zlib(z) {}
    protocol::Zlib& zlib;
    protocol::CompressedReader reader;
    std::vector<std::uint8_t> out;  // compressed packets being written, reused
  };

  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  std::unique_ptr<Compressed> compressed_;
  bool compression_failed_ = false;
};

}  // namespace causeway::proxy
