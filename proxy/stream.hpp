// A client connection: plain TCP, upgraded to TLS in place after an SSLRequest.
#pragma once

#include <memory>

#include "proxy/asio.hpp"

namespace causeway::proxy {

class ClientStream {
 public:
  explicit ClientStream(tcp::socket socket) : socket_(std::move(socket)) {}

  awaitable<std::size_t> read_some(asio::mutable_buffer buf, boost::system::error_code& ec) {
    if (tls_) co_return co_await tls_->async_read_some(buf, use_ec(ec));
    co_return co_await socket_.async_read_some(buf, use_ec(ec));
  }
  // Reads exactly buf.size() bytes (plain TCP only): used before TLS starts, where reading
  // ahead would swallow the client's TLS hello.
  awaitable<void> read_exactly(asio::mutable_buffer buf, boost::system::error_code& ec) {
    co_await asio::async_read(socket_, buf, use_ec(ec));
  }
  awaitable<void> write(asio::const_buffer buf, boost::system::error_code& ec) {
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
  bool is_tls() const { return tls_ != nullptr; }
  const char* tls_cipher() const;
  tcp::socket& socket() { return socket_; }
  // Half-close then close; the peer sees an orderly end of stream.
  void close();

 private:
  tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
};

}  // namespace causeway::proxy
