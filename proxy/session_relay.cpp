// Backend connections of a session: opening them, keeping their session state in step
// with the client's, forwarding commands and relaying responses.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/session_track.hpp"
#include "proxy/protocol/stmt.hpp"
#include "proxy/session.hpp"

namespace causeway::proxy {

namespace pr = protocol;

awaitable<std::optional<BackendError>> Session::open_backend(std::size_t server, const BackendLogin& login,
                                                             std::unique_ptr<Backend>& out) {
  // The worker's runtime: its server slots are a superset of any older one's.
  auto backend = std::make_unique<Backend>(worker_.ctx.get_executor(), worker_.runtime->servers[server]);
  worker_.stats.backend_connects.add();
  auto err = co_await backend->connect(login, runtime_->config->timeouts.backend_connect);
  if (err) {
    if (!err->from_server) worker_.stats.backend_connect_failures.add();
    spdlog::debug("[{}] backend '{}' login failed: {}", peer_, worker_.runtime->servers[server].name, err->err.message);
    co_return err;
  }
  backend->count_in(worker_.pool->open_counter(server), worker_.pool.get(), server);
  if (!backend->frames_for(login)) {
    const auto& ep = worker_.runtime->servers[server];
    BackendError mismatch{pr::make_err(pr::er::handshake_error, "08S01",
                                       fmt::format("causeway: backend '{}' lacks protocol capabilities the client "
                                                   "uses ({})",
                                                   ep.name, backend->framing_difference(login))),
                          false};
    backend->close();
    co_return mismatch;
  }
  out = std::move(backend);
  co_return std::nullopt;
}

// The session's connection to `server`: the one it holds, else one from the worker's pool,
// else a new one; at the per-server limit, or while the server refuses more connections
// (its max_connections), it waits for one to come back.
awaitable<Backend*> Session::acquire(std::size_t server, std::optional<pr::ErrPacket>& error) {
  // A reload may have added server slots since this session began.
  if (server >= backends_.size()) backends_.resize(worker_.runtime->servers.size());
  auto& slot = backends_[server];
  if (slot && !slot->is_open()) slot.reset();
  auto& pool = *worker_.pool;
  const auto timeout = runtime_->config->timeouts.backend_connect;
  const auto deadline = Clock::now() + timeout;
  std::string refused;  // the server's last "Too many connections" message
  std::optional<PoolKey> kind;  // of connection, when the session has none there
  bool turn = true;
  for (int replaced = 0;;) {
    bool pooled = false;
    if (!slot && !kind) {
      kind = pool_key(server);
      // Sessions already waiting for a connection of this kind go first: a newcomer queues
      // behind them instead of taking the connection that comes back for the longest waiting.
      turn = !pool.has_waiters(*kind);
    }
    while (!slot) {
      const PoolKey& key = *kind;
      if (turn) {
        if (auto idle = server_checks_login_ ? nullptr : pool.take(key, signature_)) {
          slot = std::move(idle);
          pooled = true;
          break;
        }
        if ((!pool.at_limit(server) && !pool.refusing(server, Clock::now())) || pool.evict_idle(server)) {
          const bool checks_login = server_checks_login_;
          server_checks_login_ = false;  // whatever the outcome: a refusal ends the login
          // A server that refused lately is asked by one session at a time.
          const bool probing = pool.refused_until(server) != Clock::time_point{};
          if (probing) pool.refuse(server, Clock::now() + refusal_pause);
          auto err = co_await open_backend(server, login_, slot);
          if (probing && !err) pool.refuse(server, {});
          if (err) {
            // The server's own max_connections (not for a login the server checks: only its
            // own connection may let that client in). A connection that came back meanwhile
            // serves; else closing idle ones of other users or capability sets makes room
            // (the server frees a slot only once it has handled the close: the login is
            // retried after a short, growing pause); else the session waits, as at causeway's
            // own limit, for a connection to come back.
            const bool full = err->from_server && err->err.code == pr::er::con_count;
            if (full) worker_.stats.backend_refused.add();
            if (full && !checks_login) {
              refused = err->err.message;
              if (auto idle = pool.take(key, signature_)) {
                slot = std::move(idle);
                pooled = true;
                break;
              }
              if (++replaced < 8 && pool.evict_idle(server)) {
                pool.refuse(server, {});  // the room made is this session's to use
                asio::steady_timer pause(worker_.ctx);
                pause.expires_after(std::chrono::milliseconds(5 << replaced));
                boost::system::error_code ec;
                co_await pause.async_wait(use_ec(ec));
                continue;
              }
              pool.refuse(server, Clock::now() + refusal_pause);
              continue;
            }
            error = err->err;
            co_return nullptr;
          }
          break;
        }
      }
      turn = true;
      const auto now = Clock::now();
      if (now >= deadline) {
        worker_.stats.pool_exhausted.add();
        const auto& ep = worker_.runtime->servers[server];
        if (now - worker_.pool_warned >= std::chrono::seconds(10)) {
          worker_.pool_warned = now;
          spdlog::warn("backend '{}': a statement got no connection within {} ms ({}); see pool.max_connections_per_"
                       "server and the server's max_connections",
                       ep.name, timeout.count(),
                       refused.empty() ? "every pooled connection busy" : "the server refuses more connections");
        }
        error = pr::make_err(pr::er::con_count, "08004",
                             refused.empty()
                                 ? fmt::format("causeway: every pooled connection to backend '{}' is busy (limit {} "
                                               "per server, waited {} ms)",
                                               ep.name, runtime_->config->pool.max_connections_per_server,
                                               timeout.count())
                                 : fmt::format("causeway: backend '{}' refuses more connections ({}); none came back "
                                               "within {} ms",
                                               ep.name, refused, timeout.count()));
        co_return nullptr;
      }
      // While the server refuses, a waiting session asks it again once the pause is over
      // (staggered per session) unless a connection comes back first.
      auto wait_for = deadline - now;
      if (pool.refusing(server, now))
        wait_for = std::min(wait_for, pool.refused_until(server) - now +
                                          std::chrono::milliseconds(connection_id_ % refusal_pause.count()));
      co_await pool.wait(key, std::chrono::duration_cast<std::chrono::milliseconds>(wait_for));
    }
    if (pooled && login_.database.empty() && !slot->applied.schema.empty() && ++replaced < 8) {
      // A session without a database cannot use a connection that has one (no statement
      // unselects it): pooled as without one by a session whose USE went unseen.
      slot->close();
      slot.reset();
      continue;
    }
    if (auto err = co_await sync_state(*slot)) {
      // A pooled connection the server closed while it sat idle (wait_timeout, KILL): none
      // of the client's statement went out yet, so take another one.
      if (pooled && !slot->is_open() && ++replaced < 8) {
        slot.reset();
        continue;
      }
      error = *err;
      co_return nullptr;
    }
    co_return slot.get();
  }
}

// Brings a backend connection to the session's variables, schema and multi-statement
// option. Costs round trips only when the connection differs from the session.
awaitable<std::optional<pr::ErrPacket>> Session::sync_state(Backend& backend) {
  auto& applied = backend.applied;
  if (applied.signature != signature_ || applied.unknown) {
    // A connection holding one of this session's cursors or pending long data has only
    // ever carried this session's settings: replaying the list brings it up to date, and
    // a reset would destroy the cursor.
    if ((applied.signature != 0 || applied.unknown) && !holds_statement_state(backend)) {
      // Another session's variables: back to the server's defaults first.
      if (auto err = co_await run_hidden(backend, pr::Command::reset_connection, {})) co_return err;
      applied.signature = 0;
      applied.unknown = false;
      backend.called_procedure = false;
      applied.gtid_tracking = false;
      backend.statements.clear();
      // The server dropped this session's private statement copies there too.
      for (auto& [sid, stmt] : statements_) {
        for (auto& on : stmt->backends) {
          if (on.connection == backend.id()) on = {};
        }
      }
      // The reset keeps the database but sets character_set_database and
      // collation_database to the server's defaults: select it again below.
      applied.reselect_schema = !applied.schema.empty();
    }
    // Until the whole list went through the connection's settings are nobody's: a failed
    // replay leaves it to be reset before any other use.
    applied.unknown = true;
    for (const auto& sql : replay_) {
      if (auto err = co_await run_hidden(backend, pr::Command::query, pr::as_bytes(sql))) co_return err;
      // The client's own session tracking replaces causeway's: added again below.
      if (routing::classify(sql).gtid_tracking != routing::GtidTracking::Unchanged) applied.gtid_tracking = false;
    }
    applied.unknown = false;
    applied.signature = signature_;
  }
  if (!login_.database.empty() && (applied.schema != login_.database || applied.reselect_schema)) {
    if (auto err = co_await run_hidden(backend, pr::Command::init_db, pr::as_bytes(login_.database))) co_return err;
    applied.schema = login_.database;
    applied.reselect_schema = false;
  }
  if (login_.track_gtids && !applied.gtid_tracking && (backend.caps() & pr::cap::session_track)) {
    // MariaDB adds last_gtid to what it tracks; MySQL tracks the session's own GTIDs.
    const std::string_view sql = backend.is_mariadb()
        ? "SET SESSION session_track_system_variables = "
          "CONCAT_WS(',', NULLIF(@@session.session_track_system_variables, ''), 'last_gtid')"
        : "SET SESSION session_track_gtids = OWN_GTID";
    if (auto err = co_await run_hidden(backend, pr::Command::query, pr::as_bytes(sql))) co_return err;
    applied.gtid_tracking = true;
  }
  if (applied.multi_statements != multi_statements_) {
    const std::uint8_t option[2] = {static_cast<std::uint8_t>(multi_statements_ ? 0 : 1), 0};
    if (auto err = co_await run_hidden(backend, pr::Command::set_option, pr::Bytes(option, 2))) co_return err;
    applied.multi_statements = multi_statements_;
  }
  co_return std::nullopt;
}

void Session::release_backends() {
  for (std::size_t i = 0; i < backends_.size(); ++i) {
    if (!backends_[i]) continue;
    // A stored procedure may have changed settings nobody recorded: the next session to
    // borrow the connection resets it first.
    if (backends_[i]->called_procedure) backends_[i]->applied.unknown = true;
    // Private statement copies are known to this session only: the connection goes with it
    // (rare: the same text prepared twice by one session).
    if (private_copies_ && holds_private_copy(*backends_[i])) {
      close_backend(i);
      continue;
    }
    const PoolKey key = pool_key(i);
    worker_.pool->remember(key, login_);
    worker_.pool->give(key, std::move(backends_[i]));
    backends_[i].reset();
  }
}

awaitable<bool> Session::send_hidden(Backend& backend, pr::Command cmd, pr::Bytes args) {
  backend_frame_.clear();
  const std::size_t header = pr::begin_packet(backend_frame_);
  backend_frame_.push_back(static_cast<std::uint8_t>(cmd));
  backend_frame_.insert(backend_frame_.end(), args.begin(), args.end());
  pr::finish_packet(backend_frame_, header, 0);
  boost::system::error_code ec;
  co_await backend.write(asio::buffer(backend_frame_), ec);
  co_return !ec;
}

awaitable<std::optional<pr::ErrPacket>> Session::run_hidden(Backend& backend, pr::Command cmd, pr::Bytes args) {
  const auto& ep = backend.endpoint();
  const auto lost = [&] {
    worker_.stats.backend_lost.add();
    backend.close();
    return pr::make_err(pr::er::net_read_error, "08S01",
                        fmt::format("Lost connection to backend '{}' ({}:{}) while preparing it for this session",
                                    ep.name, ep.host, ep.port));
  };
  if (!co_await send_hidden(backend, cmd, args)) co_return lost();
  boost::system::error_code ec;
  auto& reader = backend.reader();
  hidden_tracker_.start(pr::response_shape(cmd).kind, backend.caps());
  while (!hidden_tracker_.done()) {
    const pr::Bytes data = reader.buffered();
    if (data.empty()) {
      co_await backend.read_more(ec);
      if (ec) co_return lost();
      continue;
    }
    reader.consume_raw(hidden_tracker_.feed(data));
    if (hidden_tracker_.error() || hidden_tracker_.local_infile_requested()) {
      worker_.stats.backend_protocol_errors.add();
      co_return lost();
    }
  }
  if (hidden_tracker_.ended_with_error()) {
    // The server's own words (e.g. 1049 Unknown database), as if the client had asked.
    pr::ErrPacket err;
    if (pr::decode_err(hidden_tracker_.last_packet(), backend.caps(), err)) {
      err = pr::make_err(pr::er::malformed_packet, "HY000",
                         fmt::format("causeway: backend '{}' sent an unreadable error", ep.name));
    }
    co_return err;
  }
  co_return std::nullopt;
}

awaitable<std::optional<std::string>> Session::hidden_value(Backend& backend, std::string_view sql) {
  if (!co_await send_hidden(backend, pr::Command::query, pr::as_bytes(sql))) {
    backend.close();
    co_return std::nullopt;
  }
  boost::system::error_code ec;
  auto& reader = backend.reader();
  reader.expect_seq(1);
  struct Unchecked {  // the relay reads this connection raw, without sequence checks
    pr::FrameReader& reader;
    ~Unchecked() { reader.stop_checking_seq(); }
  } unchecked{reader};
  const bool deprecate_eof = (backend.caps() & pr::cap::deprecate_eof) != 0;
  // Column count, its definitions (then an EOF unless DEPRECATE_EOF), rows, the end.
  enum class Part { count, columns, columns_eof, rows } part = Part::count;
  std::uint64_t columns = 0;
  std::optional<std::string> value;
  bool failed = false;
  for (;;) {
    pr::Packet pkt;
    std::error_code pec;
    const auto st = reader.next(pkt, pec);
    if (st == pr::FrameStatus::error) {
      worker_.stats.backend_protocol_errors.add();
      backend.close();
      co_return std::nullopt;
    }
    if (st == pr::FrameStatus::need_more) {
      co_await backend.read_more(ec);
      if (ec) {
        worker_.stats.backend_lost.add();
        backend.close();
        co_return std::nullopt;
      }
      continue;
    }
    const pr::Bytes p = pkt.payload;
    switch (part) {
      case Part::count: {
        if (pr::is_err(p) || pr::is_ok(p)) co_return std::nullopt;  // no result set: done
        pr::Reader r(p);
        columns = r.lenenc();
        part = columns == 0 ? Part::rows : Part::columns;
        break;
      }
      case Part::columns:
        if (--columns == 0) part = deprecate_eof ? Part::rows : Part::columns_eof;
        break;
      case Part::columns_eof:
        part = Part::rows;
        break;
      case Part::rows:
        if (pr::is_err(p)) co_return std::nullopt;
        if (pr::is_eof(p) && (deprecate_eof || p.size() < 9)) co_return failed ? std::nullopt : value;
        if (!value && !failed && !p.empty() && p[0] != 0xfb) {  // 0xfb: NULL
          pr::Reader r(p);
          const auto text = r.lenenc_string();
          if (r.ok()) value = std::string(text);
          else failed = true;
        }
        break;
    }
  }
}

bool Session::hides_commit_gtid(const routing::Classification& c) const {
  return c.has(routing::flag::MultiStatement) && c.gtid_tracking == routing::GtidTracking::Off && login_.track_gtids &&
         !c.commits_nothing;
}

awaitable<Session::Next> Session::answer_after_commit_gtid(Backend& backend, std::size_t server, pr::Bytes tail,
                                                          const pr::Bytes* rewritten, std::size_t consumed) {
  held_answer_.assign(tail.begin(), tail.end());
  if (rewritten != nullptr) held_answer_.insert(held_answer_.end(), rewritten->begin(), rewritten->end());
  backend.reader().consume_raw(consumed);
  // MariaDB: the session's last commit; MySQL: everything the server has (more than
  // needed, never less). (The client's next ROW_COUNT(), FOUND_ROWS() or SHOW WARNINGS
  // now describes this query: documented.)
  const auto gtid = co_await hidden_value(
      backend, backend.is_mariadb() ? "SELECT @@session.last_gtid" : "SELECT @@global.gtid_executed");
  if (gtid && !gtid->empty()) note_written(*gtid);
  if (!co_await write_client(asio::buffer(held_answer_))) {
    worker_.stats.client_aborts.add();
    co_return Next::end;
  }
  if (backend.is_open()) co_return Next::proceed;
  // The statement ran, but what it committed is unknown and whatever the connection held
  // is gone: the session ends after its answer, as if the server had closed it then.
  const auto& ep = backend.endpoint();
  spdlog::warn("[{}] lost backend '{}' ({}:{}) asking for a multi-statement's commit GTID; closing the session",
               peer_, ep.name, ep.host, ep.port);
  close_backend(server);
  co_return Next::end;
}

awaitable<bool> Session::write_packet(Backend& backend, const pr::Packet& pkt, pr::Bytes payload) {
  boost::system::error_code ec;
  if (payload.data() == pkt.payload.data() && pkt.seq == pkt.last_seq) {
    // One frame, unchanged: its header still sits right before the payload.
    co_await backend.write(asio::buffer(payload.data() - pr::frame_header_size, payload.size() + pr::frame_header_size), ec);
  } else {
    std::uint8_t seq = pkt.seq;
    co_await backend.write(backend_frames(seq, payload), ec);
  }
  co_return !ec;
}

asio::const_buffer Session::backend_frames(std::uint8_t& seq, pr::Bytes payload) {
  backend_frame_.clear();
  seq = pr::append_packet(backend_frame_, seq, payload);
  return asio::buffer(backend_frame_);
}

awaitable<Session::Next> Session::forward(const pr::Packet& cmd, pr::Bytes payload, std::size_t server,
                                          const routing::Classification* statement, bool may_retry) {
  const auto shape = pr::response_shape(static_cast<pr::Command>(cmd.payload[0]), payload);
  for (int attempt = 0;; ++attempt) {
    // A read that reached no client byte yet may move to the primary once; writes never
    // move: they may have reached the server.
    const bool retry_allowed = may_retry && attempt == 0 && !client_gone_;
    std::optional<pr::ErrPacket> error;
    Backend* backend = co_await acquire(server, error);
    if (client_gone_) {  // it left while the statement waited (abandon_statement): send nothing
      tracker_.end_unsent();
      co_return Next::end;
    }
    if (backend == nullptr) {
      if (retry_allowed) {
        spdlog::debug("[{}] read moves from '{}' to the primary: {}", peer_, worker_.runtime->servers[server].name,
                      error->message);
        worker_.stats.read_retries.add();
        server = routing::primary_index(*worker_.topology);
        continue;
      }
      tracker_.end_unsent();
      co_return co_await send_err(1, *error) ? Next::proceed : Next::end;
    }
    ++worker_.outstanding[server];  // indexed again after the response: a reload may grow it
    worker_.statements_by_server[server].add();
    running_->store(SessionRegistry::Entry::running_on(server, backend->thread_id()), std::memory_order_release);
    bool lost_before_reply = false;
    Next next = Next::proceed;
    if (!co_await write_packet(*backend, cmd, payload)) {
      close_backend(server);
      lost_before_reply = true;
      next = Next::end;
    } else if (shape.has_response) {
      // Several statements in one command (a multi-statement, a procedure) may each commit:
      // every OK of the response is looked at, not only the last.
      if (statement != nullptr && statement->has(routing::flag::Call)) backend->called_procedure = true;
      const bool several_oks =
          statement != nullptr && statement->has(routing::flag::MultiStatement | routing::flag::Call);
      next = co_await relay_response(*backend, shape.kind, server, several_oks, lost_before_reply);
    }
    --worker_.outstanding[server];
    running_->store(0, std::memory_order_release);
    if (lost_before_reply) {
      if (client_gone_) co_return Next::end;  // causeway closed it (abandon_statement)
      if (retry_allowed) {
        worker_.stats.read_retries.add();
        server = routing::primary_index(*worker_.topology);
        continue;
      }
      co_return co_await backend_lost(server, 1, false);
    }
    if (next == Next::proceed && shape.has_response) {
      const auto status = tracker_.has_status() ? std::optional<std::uint16_t>(tracker_.status_flags()) : std::nullopt;
      routing::after_statement(state_, statement, server, status, !tracker_.ended_with_error());
      sticky_ = leaves_connection_state(statement);
    }
    co_return next;
  }
}

// Relays one response. A backend lost before any byte reached the client is closed and
// reported through `lost_before_reply` (no ERR sent yet), so forward() can decide.
awaitable<Session::Next> Session::relay_response(Backend& backend, pr::ResponseKind kind, std::size_t server,
                                                 bool several_oks, bool& lost_before_reply) {
  auto& reader = backend.reader();
  // The backend tracks session state for causeway (commit GTIDs) although this client did
  // not ask for it: every OK is held back at the tracker until it is whole, and one that
  // carries state reaches the client rewritten without it.
  stripping_ = (backend.caps() & pr::cap::session_track) && !(client_caps_ & pr::cap::session_track);
  // A client that tracks session state itself gets the commit GTIDs only if it asked for
  // them: some drivers read only the first entry of the block (Connector/J 2 the schema).
  filtering_gtids_ = !stripping_ && backend.applied.gtid_tracking && !client_tracks_gtids_;
  tracker_caps_ = backend.caps();
  tracker_.start(kind, tracker_caps_, stripping_ || filtering_gtids_ || (several_oks && backend.applied.gtid_tracking));
  bool sent_any = false;
  bool need_more = false;
  for (;;) {
    const pr::Bytes data = reader.buffered();
    const bool need_prefix = patch_statement_id_ && data.size() < pr::frame_header_size + 5;
    if (data.empty() || need_prefix || need_more) {
      need_more = false;
      boost::system::error_code ec;
      const std::size_t n = co_await backend.read_more(ec);
      if (ec) {
        if (!sent_any || client_gone_) {
          close_backend(server);
          lost_before_reply = !sent_any;
          co_return Next::end;
        }
        co_return co_await backend_lost(server, static_cast<std::uint8_t>(tracker_.last_seq() + 1), true);
      }
      worker_.stats.bytes_from_backends.add(n);
      continue;
    }
    if (patch_statement_id_) {
      // PREPARE_OK carries the server's statement id; the client gets causeway's.
      auto bytes = reader.mutable_buffered();
      if (bytes[pr::frame_header_size] == pr::ok_header) {
        pr::Reader r(pr::Bytes(bytes.data() + pr::frame_header_size, 5));
        r.u8();
        prepared_backend_id_ = r.u32();
        pr::write_statement_id(bytes.subspan(pr::frame_header_size, 5), *patch_statement_id_);
      }
      patch_statement_id_.reset();
    }
    std::size_t n = tracker_.feed(data);
    // A held OK without session state goes out with the bytes before it.
    const pr::Bytes* rewritten = nullptr;
    if (tracker_.held() && !tracker_.error()) {
      const pr::Bytes rest = data.subspan(n);
      const pr::Bytes payload = tracker_.held_payload(rest);
      if (!payload.empty()) {
        pr::OkPacket ok;
        const bool state = !pr::decode_ok(payload, backend.caps(), ok) &&
                           (ok.status_flags & pr::status::session_state_changed) != 0;
        if (state) note_commit_gtid(backend, ok.session_state);
        if (state && (stripping_ || filtering_gtids_)) {
          ok_rewrite_.clear();
          const std::size_t header = pr::begin_packet(ok_rewrite_);
          if (stripping_ ? pr::strip_session_state(payload, backend.caps(), ok_rewrite_)
                         : pr::strip_commit_gtids(payload, backend.caps(), ok_rewrite_, ok_state_scratch_)) {
            pr::finish_packet(ok_rewrite_, header, rest[3]);
            ok_rewrite_bytes_ = pr::Bytes(ok_rewrite_);
            rewritten = &ok_rewrite_bytes_;
          }
        }
        if (rewritten == nullptr) n += tracker_.release(rest);
      }
    }
    if (tracker_.error()) {
      worker_.stats.backend_protocol_errors.add();
      spdlog::warn("[{}] backend '{}' sent a response causeway cannot follow; closing the session", peer_,
                   backend.endpoint().name);
      close_backend(server);
      co_return Next::end;
    }
    // The final OK's commit GTID is recorded before the client can learn of the commit
    // (when every OK is held, it was recorded with the others).
    if (!stripping_ && !tracker_.holding_oks() && tracker_.done() && tracker_.has_status() &&
        (tracker_.status_flags() & pr::status::session_state_changed))
      capture_commit_gtid(backend);
    // The held OK replaced by `rewritten` is walked now (its bytes stay in the buffer).
    const std::size_t rewritten_size = rewritten != nullptr ? tracker_.release(data.subspan(n)) : 0;
    if (recover_gtid_ && tracker_.done() && !tracker_.local_infile_requested())
      co_return co_await answer_after_commit_gtid(backend, server, data.first(n), rewritten, n + rewritten_size);
    if (n > 0 && !co_await write_client(asio::buffer(data.data(), n))) {
      worker_.stats.client_aborts.add();
      co_return Next::end;
    }
    if (rewritten != nullptr && !co_await write_client(asio::buffer(rewritten->data(), rewritten->size()))) {
      worker_.stats.client_aborts.add();
      co_return Next::end;
    }
    n += rewritten_size;
    if (n > 0) sent_any = true;
    reader.consume_raw(n);
    if (tracker_.local_infile_requested()) {
      if (!co_await relay_local_infile(backend)) co_return Next::end;
      tracker_.continue_after_local_infile();
      continue;
    }
    if (tracker_.done()) co_return Next::proceed;
    // No progress: the held OK or the next packet's head is still incomplete.
    need_more = n == 0;
  }
}

// LOAD DATA LOCAL INFILE: the client answers the server's request with its file in
// packets that end with an empty one; they pass through unchanged.
awaitable<bool> Session::relay_local_infile(Backend& backend) {
  // The server counts the file's packets on from its request. A compressed client's own ids
  // follow its compressed packets instead: those packets are numbered here.
  auto seq = static_cast<std::uint8_t>(tracker_.last_seq() + 1);
  client_reader_.expect_seq(seq);
  for (;;) {
    phase_ = Phase::idle;  // waiting on the client: its idle timeout applies
    pr::Packet pkt;
    const bool got = co_await read_client(pkt);
    phase_ = Phase::busy;
    if (!got) {
      backend.close();  // the server is mid-load; this connection cannot be reused
      co_return false;
    }
    bool sent = true;
    if (pkt.seq == seq) {
      sent = co_await write_packet(backend, pkt, pkt.payload);
      seq = static_cast<std::uint8_t>(pkt.last_seq + 1);
    } else {
      boost::system::error_code ec;
      co_await backend.write(backend_frames(seq, pkt.payload), ec);
      sent = !ec;
    }
    if (!sent) {
      backend.close();
      co_return false;
    }
    if (pkt.payload.empty()) co_return true;
  }
}

// A backend connection died while serving this client. The client gets a clear error;
// the session survives unless the connection held its transaction or pinned state.
awaitable<Session::Next> Session::backend_lost(std::size_t server, std::uint8_t next_seq, bool mid_response) {
  worker_.stats.backend_lost.add();
  const auto& ep = worker_.runtime->servers[server];
  spdlog::warn("[{}] lost backend '{}' ({}:{}) {}", peer_, ep.name, ep.host, ep.port,
               mid_response ? "in the middle of a response" : "before its response");
  close_backend(server);
  const bool state_lost = (state_.in_transaction && state_.transaction_server.value_or(server) == server) ||
                          (state_.pinned() && *state_.pinned_server == server);
  // A session that ends with it is closed without an ERR, as a server that went away
  // would be: the client reports its own "lost connection" (2013), which drivers and
  // pools know how to handle (an ERR may not carry a client-range code). The same
  // mid-packet, where there is no clean place for an ERR anyway.
  if (state_lost || mid_response) co_return Next::end;
  tracker_.end_unsent();  // whatever the statement did, its outcome is an error
  const bool sent = co_await send_err(
      next_seq, pr::make_err(pr::er::net_read_error, "08S01",
                             fmt::format("causeway: lost connection to backend '{}' ({}:{}) during query; the "
                                         "session holds nothing there and goes on",
                                         ep.name, ep.host, ep.port)));
  if (!sent) co_return Next::end;
  routing::after_statement(state_, nullptr, server, pr::status::autocommit, false);
  co_return Next::proceed;
}

// After a statement: can a follow-up ask this connection about it (SHOW WARNINGS,
// LAST_INSERT_ID(), FOUND_ROWS())? Then the connection stays with the session a while.
bool Session::leaves_connection_state(const routing::Classification* statement) const {
  if (tracker_.warnings() > 0 || tracker_.ended_with_error()) return true;
  if (statement != nullptr && statement->has(routing::flag::CalcFoundRows)) return true;
  const pr::Bytes ok = tracker_.last_ok();
  if (!ok.empty() && ok[0] == pr::ok_header) {
    pr::OkPacket packet;
    if (!pr::decode_ok(ok, tracker_caps_, packet) && packet.last_insert_id != 0) return true;
  }
  return false;
}

void Session::capture_commit_gtid(const Backend& backend) {
  if (!tracker_.last_ok_complete()) return;
  pr::OkPacket ok;
  if (pr::decode_ok(tracker_.last_ok(), backend.caps(), ok)) return;
  note_commit_gtid(backend, ok.session_state);
}

void Session::note_commit_gtid(const Backend& backend, pr::Bytes session_state) {
  if (!backend.applied.gtid_tracking) return;
  const auto gtid = pr::commit_gtid(session_state);
  if (gtid && note_written(*gtid)) worker_.stats.commit_gtids.add();
}

bool Session::note_written(std::string_view gtids) {
  replication::GtidError error;
  auto set = replication::GtidSet::parse(gtids, error);
  if (!set) {
    spdlog::debug("[{}] unreadable commit GTID '{}': {}", peer_, gtids, error.message);
    return false;
  }
  if (runtime_->config->consistency.scope == config::ConsistencyScope::Global) worker_.services.acknowledged.add(*set);
  state_.written.unite(*set);
  return true;
}

void Session::close_backend(std::size_t server) {
  if (auto& b = backends_[server]) {
    b->close();
    b.reset();
  }
  for (auto& [id, stmt] : statements_) {
    if (stmt->cursor_server == server) stmt->cursor_server.reset();
    if (stmt->long_data_server == server) stmt->long_data_server.reset();
  }
  update_statement_holds();
}

bool Session::holds_statement_state(const Backend& backend) const {
  if (!statement_holds_) return false;
  for (const auto& [sid, stmt] : statements_) {
    for (const auto server : {stmt->cursor_server, stmt->long_data_server}) {
      if (server && *server < backends_.size() && backends_[*server].get() == &backend) return true;
    }
  }
  return false;
}

bool Session::holds_private_copy(const Backend& backend) const {
  for (const auto& [sid, stmt] : statements_) {
    for (const auto& on : stmt->backends) {
      if (on.private_copy && on.connection == backend.id()) return true;
    }
  }
  return false;
}

void Session::close_backends() {
  for (std::size_t i = 0; i < backends_.size(); ++i) close_backend(i);
}

}  // namespace causeway::proxy
