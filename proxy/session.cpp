// The command phase of a client session: read a command, route it, relay the response.
#include "proxy/session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/errors.hpp"
#include "proxy/protocol/stmt.hpp"
#include "proxy/rules_from_config.hpp"
#include "routing/hint.hpp"

namespace causeway::proxy {

namespace pr = protocol;
using namespace boost::asio::experimental::awaitable_operators;

Session::Session(Worker& worker, tcp::socket socket)
    : worker_(worker),
      runtime_(worker.runtime),
      client_(std::move(socket)),
      client_reader_(runtime_->config->limits.max_packet_size, 16 * 1024),
      timer_(worker.ctx) {
  boost::system::error_code ec;
  auto ep = client_.socket().remote_endpoint(ec);
  peer_ = ec ? std::string("?") : fmt::format("{}:{}", ep.address().to_string(), ep.port());
  if (!ec) {
    const auto a = ep.address();
    client_host_ = a.is_v6() && a.to_v6().is_v4_mapped()
                       ? asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string()
                       : a.to_string();
    client_ip_ = a.is_v4() ? routing::IpAddress::v4_from(a.to_v4().to_bytes())
                           : routing::IpAddress::v6_from(a.to_v6().to_bytes());
  }
  client_.socket().set_option(tcp::no_delay(true), ec);
  backends_.resize(runtime_->servers.size());
  worker_.sessions.insert(this);
  worker_.stats.client_connections.add();
  worker_.stats.client_connections_active.add(1);
}

Session::~Session() {
  if (registered_) worker_.services.sessions.remove(connection_id_);
  if (clean_end_ && !killed_ && holds_nothing()) release_backends();
  close_backends();
  client_.close();
  worker_.sessions.erase(this);
  worker_.stats.client_connections_active.add(-1);
  if (counted_) worker_.services.active_clients.fetch_sub(1, std::memory_order_relaxed);
}

awaitable<void> Session::start() { co_await (run() || watchdog()); }

void Session::kill() {
  killed_ = true;
  stop_requested_ = true;
  client_.close();
}

void Session::request_stop() {
  stop_requested_ = true;
  if (phase_ == Phase::idle) client_.close();
}

// Enforces deadlines without a timer per read: the deadline is a plain field the session
// moves; this coroutine wakes when it passes and closes the client socket.
awaitable<void> Session::watchdog() {
  for (;;) {
    timer_.expires_at(deadline_);
    boost::system::error_code ec;
    co_await timer_.async_wait(use_ec(ec));
    if (Clock::now() < deadline_) continue;  // the deadline moved on meanwhile
    if (phase_ == Phase::busy) {
      // Statements may run as long as they like (watch_running_statements looks after
      // clients that leave meanwhile); only waiting clients time out.
      set_deadline(idle_limit());
      continue;
    }
    (phase_ == Phase::idle ? worker_.stats.idle_timeouts : worker_.stats.handshake_timeouts).add();
    spdlog::debug("[{}] {} timeout, closing", peer_, phase_ == Phase::idle ? "idle" : "handshake");
    client_.close();
    co_return;
  }
}

awaitable<void> Session::run() {
  const auto& cfg = *runtime_->config;
  const auto active = worker_.services.active_clients.fetch_add(1, std::memory_order_relaxed) + 1;
  counted_ = true;
  if (active > static_cast<std::int64_t>(cfg.limits.max_client_connections)) {
    worker_.stats.too_many_connections.add();
    co_await send_err(0, pr::make_err(pr::er::con_count, "08004", "Too many connections"));
    co_return;
  }
  set_deadline(cfg.timeouts.handshake);
  if (!co_await handshake()) co_return;
  co_await command_loop();
}

awaitable<bool> Session::read_client(pr::Packet& out) {
  for (;;) {
    std::error_code pec;
    const auto st = client_reader_.next(out, pec);
    if (st == pr::FrameStatus::packet) co_return true;
    if (st == pr::FrameStatus::error) {
      const std::uint8_t seq = static_cast<std::uint8_t>(client_reader_.next_seq());
      if (pec == pr::errc::packet_too_large) {
        worker_.stats.oversized_packets.add();
        co_await send_err(seq, pr::make_err(pr::er::net_packet_too_large, "08S01",
                                            fmt::format("Got a packet bigger than 'max_allowed_packet' bytes "
                                                        "(causeway limits.max_packet_size = {})",
                                                        runtime_->config->limits.max_packet_size)));
      } else {
        worker_.stats.sequence_errors.add();
        co_await send_err(seq, pr::make_err(pr::er::net_packets_out_of_order, "08S01", "Got packets out of order"));
      }
      co_return false;
    }
    boost::system::error_code ec;
    const std::size_t n = co_await client_.read_some(to_buffer(client_reader_.prepare(4096)), ec);
    if (ec) {
      if (client_.compression_failed()) {
        worker_.stats.malformed_packets.add();
        co_await send_err(static_cast<std::uint8_t>(client_reader_.next_seq()),
                          pr::make_err(pr::er::net_uncompress_error, "08S01",
                                       "Couldn't uncompress communication packet"));
      }
      co_return false;
    }
    client_reader_.commit(n);
  }
}

awaitable<bool> Session::write_client(asio::const_buffer buf) {
  boost::system::error_code ec;
  co_await client_.write(buf, ec);
  co_return !ec;
}

awaitable<bool> Session::send_client(std::uint8_t seq, pr::Bytes payload) {
  frame_.clear();
  pr::append_packet(frame_, seq, payload);
  co_return co_await write_client(asio::buffer(frame_));
}

awaitable<bool> Session::send_err(std::uint8_t seq, const pr::ErrPacket& err) {
  out_.clear();
  pr::encode_err(err, client_caps_ ? client_caps_ : pr::cap::protocol_41, out_);
  co_return co_await send_client(seq, out_);
}

awaitable<bool> Session::send_ok(std::uint8_t seq) {
  out_.clear();
  pr::OkPacket ok;
  ok.status_flags = static_cast<std::uint16_t>((state_.autocommit ? pr::status::autocommit : 0) |
                                               (state_.in_transaction ? pr::status::in_trans : 0));
  pr::encode_ok(ok, client_caps_, out_);
  co_return co_await send_client(seq, out_);
}

awaitable<bool> Session::command_loop() {
  if (may_release()) release_backends();  // the login's connection goes back to the pool
  while (!stop_requested_) {
    phase_ = Phase::idle;
    set_deadline(idle_limit());
    client_reader_.expect_seq(0);
    pr::Packet cmd;
    const bool got = co_await read_client(cmd);
    phase_ = Phase::busy;
    ++commands_;
    if (!got) {
      clean_end_ = true;  // the client left between commands
      co_return false;
    }
    worker_.stats.commands.add();
    if (sticky_ && cmd.payload.size() > 0 && cmd.payload[0] != static_cast<std::uint8_t>(pr::Command::query)) {
      sticky_ = false;  // only a query can ask about the previous statement's connection
    }
    if (!co_await on_command(cmd)) co_return false;
    shrink_buffers();
    if (may_release()) release_backends();
  }
  clean_end_ = true;
  co_return true;
}

void Session::shrink_buffers() {
  // Above this a buffer only grew for a large packet: idle sessions and pooled connections
  // give the memory back.
  constexpr std::size_t keep = 256 * 1024;
  client_reader_.shrink_if_idle(keep);
  client_.shrink_if_idle(keep);
  for (auto& b : backends_)
    if (b) b->reader().shrink_if_idle(keep);
}

routing::Decision Session::route(const routing::Request& request) {
  const auto& topology = *worker_.topology;
  const routing::LoadView load{worker_.outstanding, worker_.rotation++};
  routing::Request req = request;
  req.now = Clock::now();
  if (runtime_->config->consistency.scope == config::ConsistencyScope::Global &&
      req.consistency != routing::Consistency::Eventual) {
    worker_.services.acknowledged.refresh(worker_.acknowledged, worker_.acknowledged_version);
    req.acknowledged = &worker_.acknowledged;
  }
  const auto d = routing::decide(req, state_, topology, runtime_->policy, load);
  if (d.target != routing::Target::Wait) {
    record_decision(req, d);
    routing_sql_ = {};  // it points into the client's packet
  }
  // What a monotonic session has seen only grows: a replica it read from is its new floor.
  if ((d.target == routing::Target::Replica) && req.consistency == routing::Consistency::Monotonic)
    routing::observe_read(state_, topology.servers[d.server]);
  return d;
}

awaitable<bool> Session::on_command(const pr::Packet& cmd) {
  // A reload keeps the servers as they were, so the session's connections stay valid.
  if (runtime_ != worker_.runtime) runtime_ = worker_.runtime;
  if (cmd.payload.empty()) {
    worker_.stats.malformed_packets.add();
    co_return co_await send_err(1, pr::make_err(pr::er::malformed_packet, "HY000", "Malformed communication packet: empty command"));
  }
  const auto command = static_cast<pr::Command>(cmd.payload[0]);
  switch (command) {
    case pr::Command::quit:
      clean_end_ = true;
      co_return false;
    case pr::Command::query:
      co_return co_await on_query(cmd);
    case pr::Command::change_user:
      co_return co_await change_user(cmd);
    case pr::Command::init_db:
    case pr::Command::reset_connection:
    case pr::Command::set_option:
      co_return co_await on_session_command(cmd);
    case pr::Command::stmt_prepare:
      co_return co_await on_stmt_prepare(cmd);
    case pr::Command::stmt_execute:
    case pr::Command::stmt_fetch:
    case pr::Command::stmt_close:
    case pr::Command::stmt_reset:
    case pr::Command::stmt_send_long_data:
    case pr::Command::stmt_bulk_execute:
      co_return co_await on_stmt_command(cmd);
    case pr::Command::binlog_dump:
    case pr::Command::binlog_dump_gtid:
    case pr::Command::register_slave:
    case pr::Command::clone:
    case pr::Command::subscribe_group_replication_stream:
      worker_.stats.unsupported_commands.add();
      co_return co_await send_err(1, pr::make_err(pr::er::not_supported_yet, "42000",
                                                  "causeway does not relay replication or clone streams; connect "
                                                  "replicas to the primary directly"));
    case pr::Command::process_kill: {
      std::uint32_t id = 0;
      if (!pr::read_statement_id(cmd.payload, id)) {  // the same 4 bytes after the command byte
        worker_.stats.malformed_packets.add();
        co_return co_await send_err(1, pr::make_err(pr::er::malformed_packet, "HY000", "Malformed COM_PROCESS_KILL"));
      }
      // A server thread id (from SHOW PROCESSLIST) goes to the primary, as text KILL does.
      if (id < Services::first_connection_id) {
        const auto d = route(routing::Request{});
        co_return co_await forward(cmd, cmd.payload, d.server, nullptr, false) == Next::proceed;
      }
      co_return co_await on_kill(id, false);
    }
    case pr::Command::field_list: {
      Routed r;
      r.request.is_read_command = true;
      route_routed(r);
      const auto server = co_await settle(r, Refusal::to_primary);
      co_return co_await forward(cmd, cmd.payload, *server, nullptr, true) == Next::proceed;
    }
    case pr::Command::ping:
    case pr::Command::statistics:
    case pr::Command::process_info:
    case pr::Command::refresh:
    case pr::Command::debug:
    case pr::Command::shutdown:
    case pr::Command::create_db:
    case pr::Command::drop_db: {
      const auto d = route(routing::Request{});
      co_return co_await forward(cmd, cmd.payload, d.server, nullptr, false) == Next::proceed;
    }
    default:
      break;  // internal server commands and unknown bytes
  }
  worker_.stats.unsupported_commands.add();
  co_return co_await send_err(1, pr::make_err(pr::er::unknown_com, "08S01",
                                              fmt::format("Unknown command {:#04x}", cmd.payload[0])));
}

void Session::route_sql(const routing::Classification& c, std::string_view sql, Routed& r) {
  routing_sql_ = sql;
  routing::Request& req = r.request;
  req.statement = &c;
  if (c.has(routing::flag::HasHint)) {
    r.hint = routing::parse_hint(c.hint);
    req.hint = &r.hint;
  }
  if (const auto& rules = runtime_->rules; rules && rules->size() > 0) {
    routing::RuleContext ctx;
    ctx.user = user_;
    ctx.schema = login_.database;
    ctx.client = client_ip_;
    ctx.statement = &c;
    ctx.sql = sql;
    r.rule = rules->match(ctx);
    if (r.rule != nullptr) {
      // A reload may have replaced the counters since this session took its rules.
      if (r.rule->index < worker_.rule_hits.size()) worker_.rule_hits[r.rule->index].add();
      req.rule = &r.rule->action;
    }
  }
  route_routed(r);
}

void Session::route_routed(Routed& r) {
  set_consistency(r);
  r.decision = route(r.request);
}

awaitable<std::optional<std::size_t>> Session::settle(Routed& r, Refusal refusal) {
  co_await wait_for_replica(r);
  if (r.decision.target != routing::Target::Reject) co_return r.decision.server;
  if (refusal == Refusal::to_client ||
      (refusal == Refusal::timeout_to_client && r.decision.reason == routing::Reason::ConsistencyTimeout))
    co_return std::nullopt;
  co_return routing::primary_index(*worker_.topology);
}

void Session::set_consistency(Routed& r) {
  routing::Request& req = r.request;
  // The most specific setting wins: statement hint, rule, session, user (or the default).
  using routing::Consistency;
  Consistency level = Consistency::Unspecified;
  if (req.hint != nullptr) level = req.hint->consistency;
  if (level == Consistency::Unspecified && req.rule != nullptr) level = req.rule->consistency;
  if (level == Consistency::Unspecified) level = session_level_;
  if (level == Consistency::Unspecified) {
    const UserEntry* u = runtime_->find_user(user_);
    level = u != nullptr ? u->consistency : Consistency::ReadYourWrites;
  }
  req.consistency = level;
  r.wait = req.rule != nullptr && req.rule->wait_ms >= 0 ? std::chrono::milliseconds(req.rule->wait_ms)
                                                         : consistency_wait(runtime_->config->consistency, level);
  req.wait_ms = r.wait.count();
  if (req.hint != nullptr && !req.hint->min_gtid.empty()) {
    replication::GtidError error;
    if (auto token = replication::GtidSet::parse(req.hint->min_gtid, error)) {
      r.token = std::move(*token);
      req.token = &r.token;
    } else {
      r.token_error = fmt::format("causeway: min_gtid '{}' is not a GTID set: {} at offset {}", req.hint->min_gtid,
                                  error.message, error.offset);
    }
  }
}

void Session::record_decision(const routing::Request& req, const routing::Decision& d) {
  auto& stats = worker_.stats;
  stats.decisions[static_cast<std::size_t>(d.reason)].add();
  if (req.statement != nullptr) stats.statements_by_class[static_cast<std::size_t>(req.statement->cls)].add();
  const bool waited = wait_started_ != Clock::time_point{};
  if (!worker_.decisions.wants(d.reason, waited)) return;
  DecisionRecord& rec = worker_.decisions.next();
  rec.at = std::chrono::system_clock::now();
  rec.session = connection_id_;
  rec.target = d.target;
  rec.reason = d.reason;
  rec.consistency = req.consistency;
  rec.server = static_cast<std::uint16_t>(d.server);
  rec.waited_us = waited ? static_cast<std::uint32_t>(std::min<std::int64_t>(
                               std::chrono::duration_cast<std::chrono::microseconds>(req.now - wait_started_).count(),
                               UINT32_MAX))
                         : 0;
  copy_truncated(user_, rec.user.data(), rec.user.size());
  copy_truncated(routing_sql_, rec.statement.data(), rec.statement.size());
}

awaitable<void> Session::wait_for_replica(Routed& r) {
  if (r.decision.target != routing::Target::Wait) co_return;
  const auto started = Clock::now();
  wait_started_ = started;
  const auto deadline = started + r.wait;
  asio::steady_timer timer(worker_.ctx);
  while (r.decision.target == routing::Target::Wait) {
    bool expired = Clock::now() >= deadline;
    if (!expired) {
      timer.expires_at(deadline);
      worker_.topology_waiters.push_back(&timer);
      boost::system::error_code ec;
      co_await timer.async_wait(use_ec(ec));
      std::erase(worker_.topology_waiters, &timer);
      expired = !ec || Clock::now() >= deadline;
    }
    r.request.waited = expired;
    r.decision = route(r.request);
  }
  wait_started_ = {};
  worker_.stats.consistency_wait.add(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count()));
}

awaitable<bool> Session::on_set_consistency(const routing::ConsistencySetting& setting) {
  if (!setting.valid) {
    co_return co_await send_err(1, pr::make_err(pr::er::wrong_value_for_var, "42000",
                                                fmt::format("Variable 'causeway_consistency' can't be set to the value "
                                                            "of '{}' (eventual, read_your_writes, monotonic, strong "
                                                            "or DEFAULT)",
                                                            setting.value)));
  }
  session_level_ = setting.level;
  co_return co_await send_ok(1);
}

awaitable<bool> Session::send_reject(const Routed& r) {
  if (r.decision.reason == routing::Reason::RuleReject) {
    worker_.stats.rule_rejects.add();
    co_return co_await send_err(1, pr::make_err(pr::er::rule_reject, "42000", r.rule->action.reject_message));
  }
  worker_.stats.routing_rejects.add();
  if (r.decision.reason == routing::Reason::ConsistencyTimeout) {
    co_return co_await send_err(
        1, pr::make_err(pr::er::no_replica, "HY000",
                        fmt::format("causeway: no replica applied what this {} read requires within {} ms, and "
                                    "consistency.on_timeout is 'error'",
                                    routing::to_string(r.request.consistency), r.wait.count())));
  }
  co_return co_await send_err(1, pr::make_err(pr::er::no_replica, "HY000",
                                              fmt::format("causeway: no replica can serve this read ({}) and "
                                                          "routing.fallback is 'error'",
                                                          routing::to_string(r.decision.reason))));
}

awaitable<bool> Session::on_query(const pr::Packet& cmd) {
  const std::string_view sql = pr::as_string_view(cmd.payload.subspan(1));
  const routing::Classification c = routing::classify(sql);
  constexpr std::uint32_t asks_previous = routing::flag::ServerSpecific | routing::flag::LastInsertId |
                                          routing::flag::FoundRows | routing::flag::RowCount;
  if (sticky_ && !c.has(asks_previous)) {
    sticky_ = false;
    if (may_release()) release_backends();
  }
  if (kills_causeway_session(c)) {
    // Without multi-statements on, a server refuses the whole text (1064): so does it here.
    if (!c.has(routing::flag::MultiStatement))
      co_return co_await on_kill(static_cast<std::uint32_t>(c.kill_id), c.action == routing::StatementAction::KillQuery);
    if (multi_statements_) co_return co_await kill_then_rest(c, sql);
  }
  if (c.cls == routing::StatementClass::Session && c.action == routing::StatementAction::Set) {
    if (const auto setting = routing::parse_consistency_setting(sql); setting.matched)
      co_return co_await on_set_consistency(setting);
  }
  Routed r;
  route_sql(c, sql, r);
  if (!r.token_error.empty())
    co_return co_await send_err(1, pr::make_err(pr::er::wrong_arguments, "HY000", r.token_error));
  const auto server = co_await settle(r, Refusal::to_client);
  if (!server) co_return co_await send_reject(r);
  const bool may_retry = r.decision.target == routing::Target::Replica;
  recover_gtid_ = hides_commit_gtid(c);
  const Next next = co_await forward(cmd, cmd.payload, *server, &c, may_retry);
  recover_gtid_ = false;
  if (next == Next::end) co_return false;
  note_tracking_change(c);
  if (c.has(routing::flag::MultiStatement) && routing::changes_session_settings(c)) {
    if (state_.last_server) note_unrecorded_settings(*state_.last_server);
  } else if (!tracker_.ended_with_error()) {
    record_session_statement(c, sql);
  }
  co_return true;
}

PoolKey Session::pool_key(std::size_t server) const {
  // Capabilities that change what the server does or sends; the rest are per hop.
  constexpr pr::Caps behaviour = pr::cap::found_rows | pr::cap::ignore_space | pr::cap::multi_statements |
                                 pr::cap::multi_results | pr::cap::ps_multi_results | pr::cap::local_files |
                                 pr::cap::deprecate_eof | pr::cap::session_track | pr::cap::interactive |
                                 pr::cap::long_flag | pr::cap::odbc | pr::cap::no_schema;
  return PoolKey{server, login_.user, client_caps_ & behaviour, login_.charset,
                 login_.mariadb_caps & pr::mariadb_cap::layout, login_.database.empty()};
}

awaitable<bool> Session::on_session_command(const pr::Packet& cmd) {
  const auto command = static_cast<pr::Command>(cmd.payload[0]);
  // Where the session's state lives: its transaction's or pinned server, else the primary.
  const std::size_t server = route(routing::Request{}).server;
  if (command == pr::Command::reset_connection) {
    // The server-side session is reset everywhere: close the other connections rather than
    // resetting each, and forget what they had.
    for (std::size_t i = 0; i < backends_.size(); ++i) {
      if (i != server) close_backend(i);
    }
    forget_statements();
  }
  if (co_await forward(cmd, cmd.payload, server, nullptr, false) == Next::end) co_return false;
  if (tracker_.ended_with_error() || !backends_[server]) co_return true;
  Backend& backend = *backends_[server];
  switch (command) {
    case pr::Command::init_db:
      select_schema(pr::as_string_view(cmd.payload.subspan(1)));
      backend.applied.schema = login_.database;
      break;
    case pr::Command::reset_connection:
      forget_session_settings();
      backend.applied.signature = 0;
      backend.applied.gtid_tracking = false;  // the server forgot causeway's tracking too
      backend.statements.clear();  // the server dropped its prepared statements
      break;
    case pr::Command::set_option:
      if (cmd.payload.size() >= 3) {
        multi_statements_ = cmd.payload[1] == 0;  // MYSQL_OPTION_MULTI_STATEMENTS_ON is 0
        backend.applied.multi_statements = multi_statements_;
      }
      break;
    default:
      break;
  }
  co_return true;
}

awaitable<bool> Session::change_user(const pr::Packet& cmd) {
  pr::ChangeUser cu;
  if (pr::decode_change_user(cmd.payload, client_caps_, cu)) {
    worker_.stats.malformed_packets.add();
    co_return co_await send_err(1, pr::make_err(pr::er::malformed_packet, "HY000", "Malformed COM_CHANGE_USER packet"));
  }
  std::uint8_t seq = 1;
  const std::string plugin = cu.auth_plugin.empty() ? pr::native_password_plugin : cu.auth_plugin;
  auto login = co_await authenticate(cu.username, plugin, cu.auth_response, seq);
  // The login below is a new one in any case: the server checks it.
  server_checks_login_ = false;
  if (!login) co_return true;  // the client got ERR 1045; the old user stays logged in
  login->database = cu.database;
  login->caps = client_caps_;
  login->mariadb_caps = login_.mariadb_caps;
  login->charset = cu.charset != 0 ? static_cast<std::uint8_t>(cu.charset) : login_.charset;
  login->connect_attrs = cu.connect_attrs.empty() ? login_.connect_attrs : cu.connect_attrs;
  // A new login on the primary replaces every backend connection: the old session state
  // (variables, temporary tables, transactions) ends exactly as COM_CHANGE_USER ends it.
  const std::size_t primary = routing::primary_index(*worker_.topology);
  std::unique_ptr<Backend> fresh;
  if (auto err = co_await open_backend(primary, *login, fresh)) {
    co_return co_await send_err(seq, err->err);
  }
  // The old user's session ends before the new one answers, as on a server: its locks
  // (GET_LOCK), temporary tables and transaction go now, not whenever the server gets round
  // to the closed connections (the client's next statement may ask IS_FREE_LOCK). They live
  // on the primary or where the session is pinned or in a transaction; connections that
  // only served reads are closed without waiting (a stalled replica cannot hold the change).
  for (std::size_t i = 0; i < backends_.size(); ++i) {
    const bool may_hold = i == primary || state_.pinned_server == i || state_.transaction_server == i;
    if (may_hold && backends_[i] && backends_[i]->is_open())
      (void)co_await run_hidden(*backends_[i], pr::Command::reset_connection, {});
  }
  close_backends();
  forget_statements();
  backends_[primary] = std::move(fresh);
  login_ = std::move(*login);
  user_ = cu.username;
  worker_.services.sessions.add(connection_id_, SessionRegistry::Entry{&worker_, this, user_, running_});
  forget_session_settings();
  multi_statements_ = (client_caps_ & pr::cap::multi_statements) != 0;
  co_return co_await send_ok(seq);
}

void spawn_session(Worker& worker, tcp::socket socket) {
  auto session = std::make_shared<Session>(worker, std::move(socket));
  auto run = [session]() -> awaitable<void> { co_await session->start(); };
  auto on_exit = [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("session ended with an exception: {}", ex.what());
    }
  };
  asio::co_spawn(worker.ctx, run, on_exit);
}

}  // namespace causeway::proxy
