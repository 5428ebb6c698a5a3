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

  // The plain paths call the socket directly (no nested coroutine per packet).
  awaitable<std::size_t> read_some(asio::mutable_buffer buf, boost::system::error_code& ec) {
    if (compressed_) co_return co_await read_compressed(buf, ec);
    if (tls_) co_return co_await tls_->async_read_some(buf, use_ec(ec));
    co_return co_await socket_.async_read_some(buf, use_ec(ec));
  }
  // Reads exactly buf.size() bytes (plain TCP only): used before TLS starts, where reading
  // ahead would swallow the client's TLS hello.
  awaitable<void> read_exactly(asio::mutable_buffer buf, boost::system::error_code& ec) {
    co_await asio::async_read(socket_, buf, use_ec(ec));
  }
  awaitable<void> write(asio::const_buffer buf, boost::system::error_code& ec) {
    if (compressed_) {
      co_await write_compressed(buf, ec);
    } else if (tls_) {
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
  // `already_read`: bytes the client sent behind its login, compressed ones already.
  void start_compression(protocol::Zlib& zlib, protocol::Bytes already_read) {
    compressed_ = std::make_unique<Compressed>(zlib);
    const auto space = compressed_->reader.prepare(already_read.size());
    std::copy(already_read.begin(), already_read.end(), space.begin());
    compressed_->reader.commit(already_read.size());
  }
  // read_some() failed on a packet that does not inflate (the client gets ERR 1157).
  bool compression_failed() const { return compression_failed_; }
  // Client bytes read from the socket and not yet taken (compressed connections only).
  bool has_buffered() const { return compressed_ && compressed_->reader.has_buffered(); }
  // Gives back buffer memory a large compressed packet took, once nothing waits in it.
  void shrink_if_idle(std::size_t keep) {
    if (compressed_) compressed_->reader.shrink_if_idle(keep);
  }
  bool is_tls() const { return tls_ != nullptr; }
  const char* tls_cipher() const;
  tcp::socket& socket() { return socket_; }
  // Half-close then close; the peer sees an orderly end of stream.
  void close();

 private:
  // Deflated a slice at a time, each written before the next is deflated: a large result
  // neither takes a second copy nor keeps the worker's other sessions waiting.
  static constexpr std::size_t compressed_write_slice = 256 * 1024;

  // The compressed path's socket reads and writes.
  awaitable<std::size_t> read_raw(asio::mutable_buffer buf, boost::system::error_code& ec) {
    if (tls_) co_return co_await tls_->async_read_some(buf, use_ec(ec));
    co_return co_await socket_.async_read_some(buf, use_ec(ec));
  }
  awaitable<void> write_raw(asio::const_buffer buf, boost::system::error_code& ec) {
    if (tls_) {
      co_await asio::async_write(*tls_, buf, use_ec(ec));
    } else {
      co_await asio::async_write(socket_, buf, use_ec(ec));
    }
  }
  awaitable<std::size_t> read_compressed(asio::mutable_buffer buf, boost::system::error_code& ec) {
    auto& c = *compressed_;
    for (;;) {
      std::error_code bad;
      const std::size_t n = c.reader.take(c.zlib, {static_cast<std::uint8_t*>(buf.data()), buf.size()}, bad);
      if (bad) {
        compression_failed_ = true;
        ec = asio::error::invalid_argument;
        co_return 0;
      }
      if (n > 0) co_return n;
      const auto space = c.reader.prepare(4096);
      const std::size_t got = co_await read_raw(asio::buffer(space.data(), space.size()), ec);
      if (ec) co_return 0;
      c.reader.commit(got);
    }
  }
  awaitable<void> write_compressed(asio::const_buffer buf, boost::system::error_code& ec) {
    auto& c = *compressed_;
    protocol::Bytes rest(static_cast<const std::uint8_t*>(buf.data()), buf.size());
    while (!rest.empty()) {
      const auto slice = rest.first(std::min(rest.size(), compressed_write_slice));
      rest = rest.subspan(slice.size());
      c.out.clear();
      c.reader.sent(c.zlib.append(slice, c.reader.next_seq(), c.out));
      co_await write_raw(asio::buffer(c.out), ec);
      if (ec) co_return;
    }
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
