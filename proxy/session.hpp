// A client session: one coroutine per client connection, pinned to its worker. It runs the
// handshake, then reads commands and relays each to the backend the router picks, passing
// the server's response bytes through as they arrive.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/asio.hpp"
#include "proxy/backend.hpp"
#include "proxy/protocol/frame.hpp"
#include "proxy/protocol/packets.hpp"
#include "proxy/protocol/response.hpp"
#include "proxy/stream.hpp"
#include "proxy/worker.hpp"

namespace causeway::proxy {

class Session {
 public:
  Session(Worker& worker, tcp::socket socket);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs the session to its end (the watchdog enforces timeouts alongside).
  awaitable<void> start();
  // Graceful shutdown: an idle session closes now, a busy one after its current command.
  void request_stop();

 private:
  using Clock = std::chrono::steady_clock;

  awaitable<void> run();
  awaitable<void> watchdog();

  // Client framing. read_client returns false when the session must end (the reason has
  // been sent to the client and counted already).
  awaitable<bool> read_client(protocol::Packet& out);
  awaitable<bool> write_client(asio::const_buffer buf);
  awaitable<bool> send_client(std::uint8_t seq, protocol::Bytes payload);
  awaitable<bool> send_err(std::uint8_t seq, const protocol::ErrPacket& err);
  awaitable<bool> send_ok(std::uint8_t seq);

  // Connection phase (session_auth.cpp).
  awaitable<bool> handshake();
  awaitable<bool> read_first_packet(protocol::Packet& out);
  awaitable<std::optional<BackendLogin>> authenticate(std::string user, std::string plugin,
                                                      std::string response, std::uint8_t& seq);
  awaitable<bool> verify_sha2(const struct UserEntry& user, protocol::Bytes response, std::uint8_t& seq,
                              bool& ok, std::optional<std::string>& cleartext);
  protocol::ErrPacket access_denied(const std::string& user, bool with_password) const;

  // Command phase (session.cpp).
  awaitable<bool> command_loop();
  awaitable<bool> on_command(const protocol::Packet& cmd);
  awaitable<bool> forward(const protocol::Packet& cmd, std::size_t server);
  awaitable<bool> relay_response(Backend& backend, protocol::ResponseKind kind);
  awaitable<bool> relay_local_infile(Backend& backend);
  awaitable<bool> change_user(const protocol::Packet& cmd);
  awaitable<Backend*> backend_for(std::size_t server, std::uint8_t err_seq);
  awaitable<std::optional<BackendError>> open_backend(std::size_t server, const BackendLogin& login,
                                                      std::unique_ptr<Backend>& out);
  awaitable<bool> backend_lost(Backend& backend, std::uint8_t next_seq, bool mid_response);
  void close_backends();

  // Deadlines only ever move later, so the watchdog never needs to be woken early.
  void set_deadline(std::chrono::milliseconds d) { deadline_ = Clock::now() + d; }
  std::string peer() const;

  Worker& worker_;
  std::shared_ptr<const Runtime> runtime_;
  ClientStream client_;
  protocol::FrameReader client_reader_;
  std::vector<std::uint8_t> out_;    // payload encoding scratch, reused
  std::vector<std::uint8_t> frame_;  // framed packets causeway writes itself, reused
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::now();
  std::string peer_;

  std::uint32_t connection_id_ = 0;
  std::array<std::uint8_t, 20> nonce_{};
  protocol::Caps client_caps_ = 0;
  BackendLogin login_;  // how to open backend connections for this client
  std::string user_;
  std::vector<std::unique_ptr<Backend>> backends_;  // one slot per configured server
  protocol::ResponseTracker tracker_;
  std::uint16_t status_flags_ = protocol::status::autocommit;

  enum class Phase { handshake, idle, busy };
  Phase phase_ = Phase::handshake;
  bool stop_requested_ = false;
  bool closing_ = false;
  bool counted_ = false;  // holds a slot in active_clients
};

// Accepts a socket on the worker's thread and runs a session on it.
void spawn_session(Worker& worker, tcp::socket socket);

}  // namespace causeway::proxy
