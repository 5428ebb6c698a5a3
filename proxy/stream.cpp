#include "proxy/stream.hpp"

#include <openssl/ssl.h>

namespace causeway::proxy {

const char* ClientStream::tls_cipher() const {
  return tls_ ? SSL_get_cipher(const_cast<asio::ssl::stream<tcp::socket&>&>(*tls_).native_handle()) : nullptr;
}

void ClientStream::close() {
  boost::system::error_code ignored;
  if (socket_.is_open()) {
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
}

}  // namespace causeway::proxy
