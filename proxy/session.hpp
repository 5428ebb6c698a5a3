// A client session: one coroutine per client connection, pinned to its worker. It runs the
// handshake, then reads commands, asks the router where each goes, brings that backend
// connection's session state in step, and relays the server's response bytes through as
// they arrive.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/asio.hpp"
#include "proxy/backend.hpp"
#include "proxy/pool.hpp"
#include "proxy/protocol/frame.hpp"
#include "proxy/protocol/packets.hpp"
#include "proxy/protocol/response.hpp"
#include "proxy/stream.hpp"
#include "proxy/worker.hpp"
#include "routing/classifier.hpp"
#include "routing/router.hpp"
#include "routing/rules.hpp"
#include "routing/session_state.hpp"

namespace causeway::proxy {

struct UserEntry;

// A prepared statement as the client knows it: causeway's own id, prepared lazily on each
// backend connection that executes it.
struct PreparedStatement {
  std::string sql;
  routing::Classification classification;  // views into `sql` (kept stable by unique_ptr)
  routing::RouteHint hint;                 // from the SQL, for every execute
  const routing::Rule* rule = nullptr;     // the rule it matched at prepare time
  std::uint16_t num_params = 0;
  std::vector<std::uint8_t> param_types;  // from the last execute that sent them
  struct OnBackend {
    std::uint64_t connection = 0;  // Backend::id() it was prepared on
    std::uint32_t id = 0;          // the server's statement id there
    bool private_copy = false;     // not the connection's cached statement (see backend_statement)
  };
  std::vector<OnBackend> backends;  // one slot per configured server
  std::optional<std::size_t> long_data_server;  // where SEND_LONG_DATA went
  std::optional<std::size_t> cursor_server;     // where an open cursor lives
  bool local_kill = false;  // KILL of a causeway connection id: prepared and run by causeway
};

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
  // Like a server, causeway looks at the client now and then while a statement runs: one
  // that left (its driver's socket timeout, a killed process) gets its statement stopped
  // and its transaction rolled back (abandon_statement), as when connected directly.
  static constexpr std::chrono::milliseconds busy_check{1000};
  // After a server refused a connection for its max_connections, how long sessions wait
  // for one to come back before it is asked again (plus up to as much again, per session).
  static constexpr std::chrono::milliseconds refusal_pause{50};
  void check_client();
  // KILL CONNECTION from another session: closes the client connection; backend
  // connections are closed, never pooled (one may still be running the killed statement).
  void kill();

 private:
  using Clock = std::chrono::steady_clock;
  // What to do after a command: keep reading commands, or end the session.
  enum class Next { proceed, end };

  awaitable<void> run();
  awaitable<void> watchdog();
  bool client_gone();
  void abandon_statement();

  // Client framing (session.cpp). read_client returns false when the session must end
  // (the reason has been sent to the client and counted already).
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
  awaitable<bool> verify_sha2(const UserEntry& user, protocol::Bytes response, std::uint8_t& seq, bool& ok,
                              std::optional<std::string>& cleartext);
  protocol::ErrPacket access_denied(const std::string& user, bool with_password) const;
  // account_discovery: the client's account among those read from the primary, if any.
  std::optional<UserEntry> discovered_user(const std::string& user) const;
  // Has the accounts read again (at most once per account_discovery.refresh) and waits.
  awaitable<void> reread_accounts();
  // Reads the accounts again and looks `user` up in them; nullopt if the read failed.
  awaitable<std::optional<UserEntry>> reread_and_find(const std::string& user);

  // Command phase (session.cpp).
  awaitable<bool> command_loop();
  awaitable<bool> on_command(const protocol::Packet& cmd);
  awaitable<bool> on_query(const protocol::Packet& cmd);
  awaitable<bool> on_kill(std::uint32_t id, bool query_only);
  awaitable<std::optional<protocol::ErrPacket>> kill_session(std::uint32_t id, bool query_only);
  awaitable<bool> kill_then_rest(const routing::Classification& c, std::string_view sql);
  static bool kills_causeway_session(const routing::Classification& c);
  awaitable<bool> on_session_command(const protocol::Packet& cmd);
  awaitable<bool> change_user(const protocol::Packet& cmd);
  // After each command: buffers a large packet made grow give their memory back.
  void shrink_buffers();
  routing::Decision route(const routing::Request& request);
  // Classified SQL -> hint, rule and decision; null when a rule or the policy rejected it
  // (the ERR has been sent).
  // Not copyable: `request` points into the other members.
  struct Routed {
    routing::Decision decision;
    routing::RouteHint hint;
    const routing::Rule* rule = nullptr;
    routing::Request request;
    replication::GtidSet token;  // the hint's min_gtid
    std::string token_error;     // the hint's min_gtid is not a GTID set
    std::chrono::milliseconds wait{0};  // how long the read may wait for a replica
    Routed() = default;
    Routed(const Routed&) = delete;
    Routed& operator=(const Routed&) = delete;
  };
  void route_sql(const routing::Classification& c, std::string_view sql, Routed& out);
  // Fills the request's consistency level, token and wait from hint, rule and session.
  void set_consistency(Routed& r);
  // set_consistency, then the router's decision (which may be to wait).
  void route_routed(Routed& r);
  // What a refusal (no replica, or none fresh enough in time) means for a command.
  enum class Refusal { to_client, timeout_to_client, to_primary };
  // Waits for a replica when the decision says so, then names the server the command runs
  // on; nullopt when the refusal goes to the client (send_reject).
  awaitable<std::optional<std::size_t>> settle(Routed& r, Refusal refusal);
  // A read no replica can serve yet waits for one to catch up, up to its deadline.
  awaitable<void> wait_for_replica(Routed& r);
  // Counts a final decision and keeps a sample for the status port.
  void record_decision(const routing::Request& req, const routing::Decision& d);
  // SET causeway_consistency = ...: answered here, never sent to a server.
  awaitable<bool> on_set_consistency(const routing::ConsistencySetting& setting);
  // The commit GTID the server reported in its last OK, into the session's requirement.
  void capture_commit_gtid(const Backend& backend);
  void note_commit_gtid(const Backend& backend, protocol::Bytes session_state);
  awaitable<bool> send_reject(const Routed& routed);
  void record_session_statement(const routing::Classification& c, std::string_view sql);
  // USE / COM_INIT_DB succeeded: the session's database (login_.database, "" none), also for
  // connections opened later.
  void select_schema(std::string_view schema);

  // Backends and relaying (session_relay.cpp).
  // The backend for `server` with this session's state applied; null after an ERR was sent.
  awaitable<Backend*> acquire(std::size_t server, std::optional<protocol::ErrPacket>& error);
  awaitable<std::optional<BackendError>> open_backend(std::size_t server, const BackendLogin& login,
                                                      std::unique_ptr<Backend>& out);
  awaitable<std::optional<protocol::ErrPacket>> sync_state(Backend& backend);
  // Sends one command of causeway's own on a backend (the response is the caller's).
  awaitable<bool> send_hidden(Backend& backend, protocol::Command cmd, protocol::Bytes args);
  // The first column of the first row of `sql`, run on `backend` out of the client's sight;
  // nullopt for NULL, no row, an error or a lost connection.
  awaitable<std::optional<std::string>> hidden_value(Backend& backend, std::string_view sql);
  // Whether the statement stops its connection from reporting commit GTIDs before it
  // finishes and may commit after that (a multi-statement that sets session tracking).
  bool hides_commit_gtid(const routing::Classification& c) const;
  // For such a statement: the end of its answer (`tail`, then `rewritten` if not null) is
  // held while the connection is asked for its last commit GTID, so that nobody reads
  // without it once the client knows of the commit; then it goes to the client.
  // `consumed` is how much of the backend's buffer the answer took.
  awaitable<Next> answer_after_commit_gtid(Backend& backend, std::size_t server, protocol::Bytes tail,
                                           const protocol::Bytes* rewritten, std::size_t consumed);
  // Reads now wait for these GTIDs (the session's writes; everyone's with scope global).
  bool note_written(std::string_view gtids);
  // Runs a command on a backend without relaying its response (state replay, lazy prepare).
  awaitable<std::optional<protocol::ErrPacket>> run_hidden(Backend& backend, protocol::Command cmd,
                                                           protocol::Bytes args);
  awaitable<bool> write_packet(Backend& backend, const protocol::Packet& pkt, protocol::Bytes payload);
  // `payload` framed as a packet numbered from `seq` (which then names the id after it), in
  // backend_frame_.
  asio::const_buffer backend_frames(std::uint8_t& seq, protocol::Bytes payload);
  // Sends a client command to `server` and relays the response. `payload` may differ from
  // cmd.payload when causeway rewrote it (statement ids).
  awaitable<Next> forward(const protocol::Packet& cmd, protocol::Bytes payload, std::size_t server,
                          const routing::Classification* statement, bool may_retry);
  awaitable<Next> relay_response(Backend& backend, protocol::ResponseKind kind, std::size_t server,
                                 bool several_oks, bool& lost_before_reply);
  awaitable<bool> relay_local_infile(Backend& backend);
  awaitable<Next> backend_lost(std::size_t server, std::uint8_t next_seq, bool mid_response);
  void close_backend(std::size_t server);
  void close_backends();
  // Gives every held backend connection back to the worker's pool.
  void release_backends();
  // Whether no connection holds anything of the session's (sticky_: only until the next
  // statement).
  bool holds_nothing() const { return !state_.in_transaction && !state_.pinned() && !statement_holds_; }
  bool may_release() const { return holds_nothing() && !sticky_; }
  PoolKey pool_key(std::size_t server) const;
  bool leaves_connection_state(const routing::Classification* statement) const;
  void update_signature();
  void forget_session_settings();
  void note_unrecorded_settings(std::size_t server);
  void note_tracking_change(const routing::Classification& c);
  // The connection the last statement ran on, if the session still holds it.
  Backend* last_backend() const;

  // Prepared statements (session_stmt.cpp).
  awaitable<bool> on_stmt_prepare(const protocol::Packet& cmd);
  // ERR 1295, as a server answers COM_STMT_BULK_EXECUTE it cannot run.
  awaitable<bool> refuse_bulk();
  awaitable<bool> on_stmt_command(const protocol::Packet& cmd);
  awaitable<std::optional<std::uint32_t>> backend_statement(PreparedStatement& stmt, std::size_t server,
                                                            Backend& backend, std::uint8_t err_seq);
  void forget_statements();
  awaitable<void> cache_statement(Backend& backend, const std::string& sql, std::uint32_t id);
  awaitable<void> close_backend_statement(Backend& backend, std::uint32_t id);
  // Whether another of this session's statements runs as server statement `id` there.
  bool shared_in_session(const PreparedStatement& stmt, std::uint64_t connection, std::uint32_t id) const;
  bool server_knows_types(Backend& backend, const PreparedStatement& stmt, std::uint32_t id) const;
  Backend::CachedStatement* backend_cached(std::size_t server, const PreparedStatement& stmt, std::uint32_t id);
  void update_statement_holds();
  bool holds_private_copy(const Backend& backend) const;
  bool holds_statement_state(const Backend& backend) const;

  std::chrono::milliseconds idle_limit() const;
  void set_wait_timeout(std::int64_t seconds);
  // Deadlines only ever move later, so the watchdog never needs to be woken early (but
  // see set_wait_timeout).
  void set_deadline(std::chrono::milliseconds d) { deadline_ = Clock::now() + d; }

  Worker& worker_;
  std::shared_ptr<const Runtime> runtime_;
  ClientStream client_;
  protocol::FrameReader client_reader_;
  std::vector<std::uint8_t> out_;    // payload encoding scratch, reused
  std::vector<std::uint8_t> frame_;  // framed packets causeway writes itself, reused
  std::vector<std::uint8_t> rewrite_;  // client commands causeway rewrites, reused
  std::vector<std::uint8_t> backend_frame_;  // framed packets causeway writes to backends, reused
  std::vector<std::uint8_t> kill_rest_;  // a multi-statement's rest after a KILL (kill_then_rest)
  std::optional<std::uint32_t> patch_statement_id_;  // set while relaying a PREPARE response
  std::uint32_t prepared_backend_id_ = 0;            // the server's id from that response
  asio::steady_timer timer_;
  Clock::time_point deadline_ = Clock::now();
  std::string peer_;
  std::string client_host_;  // the client's address as text, IPv4-mapped shown as IPv4
  // The next backend connection is a new login, not a pooled one: a discovered account
  // (account_discovery) is checked by the server itself at the client's login.
  bool server_checks_login_ = false;
  std::optional<routing::IpAddress> client_ip_;  // for rules matching client addresses

  std::uint32_t connection_id_ = 0;
  bool registered_ = false;
  // See SessionRegistry::Entry::running; shared so a KILL can read it after we are gone.
  std::shared_ptr<std::atomic<std::uint64_t>> running_ = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::array<std::uint8_t, 20> nonce_{};
  protocol::Caps client_caps_ = 0;
  BackendLogin login_;  // how to open backend connections for this client
  std::string user_;
  std::vector<std::unique_ptr<Backend>> backends_;  // one slot per configured server
  protocol::ResponseTracker tracker_;
  protocol::Caps tracker_caps_ = 0;  // what tracker_ was started with (the backend's)
  bool stripping_ = false;  // the response being relayed loses its session state (see relay_response)
  bool filtering_gtids_ = false;  // ... or only the commit GTIDs causeway tracks for itself
  bool client_tracks_gtids_ = false;  // the client set session tracking that includes commit GTIDs
  std::vector<std::uint8_t> ok_state_scratch_;
  std::vector<std::uint8_t> ok_rewrite_;  // an OK rewritten for the client, reused
  bool recover_gtid_ = false;              // the statement relayed hides_commit_gtid()
  std::vector<std::uint8_t> held_answer_;  // see answer_after_commit_gtid()
  protocol::Bytes ok_rewrite_bytes_;
  protocol::ResponseTracker hidden_tracker_;

  // Session state causeway keeps in step on every backend connection it uses.
  routing::SessionState state_;
  routing::Consistency session_level_ = routing::Consistency::Unspecified;  // SET causeway_consistency
  std::string_view routing_sql_;        // the statement being routed (for the decision sample)
  Clock::time_point wait_started_{};    // set while a read waits for a replica
  std::vector<std::string> replay_;  // successful session SET statements, in order
  std::uint64_t signature_ = 0;      // of replay_; 0 when empty (server defaults)
  bool unrecorded_settings_ = false; // see note_unrecorded_settings
  bool statement_holds_ = false;      // see update_statement_holds
  bool private_copies_ = false;       // some statement has a private copy on a connection
  // The last statement left something only its connection can answer for (warnings,
  // LAST_INSERT_ID, FOUND_ROWS): keep the connection until the next statement.
  bool sticky_ = false;
  bool clean_end_ = false;
  bool killed_ = false;  // the session ended between commands: its connections are reusable
  std::optional<std::chrono::milliseconds> wait_timeout_;  // SET wait_timeout
  bool client_gone_ = false;  // the client left while a statement ran (abandon_statement)
  std::uint64_t commands_ = 0;         // commands read so far
  std::uint64_t checked_command_ = 0;  // commands_ at the last check_client
  bool multi_statements_ = true;

  std::unordered_map<std::uint32_t, std::unique_ptr<PreparedStatement>> statements_;
  std::uint32_t next_statement_id_ = 1;
  std::optional<std::uint32_t> last_prepared_;  // the last COM_STMT_PREPARE's, if it succeeded

  enum class Phase { handshake, idle, busy };
  Phase phase_ = Phase::handshake;
  bool stop_requested_ = false;
  bool counted_ = false;  // holds a slot in active_clients
};

// Accepts a socket on the worker's thread and runs a session on it.
void spawn_session(Worker& worker, tcp::socket socket);
// Runs Session::check_client on the worker's sessions every Session::busy_check.
awaitable<void> watch_running_statements(Worker& worker);

}  // namespace causeway::proxy
