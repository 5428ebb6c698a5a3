// Session settings causeway keeps in step on every backend connection a session uses:
// recorded SETs and USE, what the client tracks itself, and its own wait_timeout.
#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "proxy/protocol/constants.hpp"
#include "proxy/protocol/errors.hpp"
#include "proxy/session.hpp"

namespace causeway::proxy {

namespace pr = protocol;

// A client that sets session_track_system_variables (MySQL: session_track_gtids) itself
// replaces what causeway asked the connection to track: the commit GTIDs stop coming and
// reads would no longer wait for the session's writes. The connection is marked so that
// sync_state asks again before its next use.
void Session::note_tracking_change(const routing::Classification& c) {
  if (c.gtid_tracking == routing::GtidTracking::Unchanged) return;
  // What the client now tracks itself (a failed SET changes nothing).
  if (!tracker_.ended_with_error()) client_tracks_gtids_ = c.gtid_tracking == routing::GtidTracking::On;
  if (Backend* last = last_backend()) last->applied.gtid_tracking = false;
}

Backend* Session::last_backend() const {
  const auto last = state_.last_server;
  return last && *last < backends_.size() ? backends_[*last].get() : nullptr;
}

// How long the session may wait for its client's next command: timeouts.client_idle, or
// less if the session set wait_timeout lower, as a server would close it.
std::chrono::milliseconds Session::idle_limit() const {
  auto configured = std::chrono::duration_cast<std::chrono::milliseconds>(runtime_->config->timeouts.client_idle);
  if (configured.count() == 0) configured = std::chrono::hours(24 * 365 * 10);  // 0: no limit
  return wait_timeout_ ? std::min(configured, *wait_timeout_) : configured;
}

void Session::set_wait_timeout(std::int64_t seconds) {
  const auto before = idle_limit();
  // DEFAULT (or an expression causeway does not evaluate): the configured limit.
  if (seconds < 0) {
    wait_timeout_.reset();
  } else {
    wait_timeout_ = std::chrono::seconds(std::clamp<std::int64_t>(seconds, 1, 31'536'000));  // the server's range
  }
  // The watchdog sleeps until the old, later deadline: woken, it re-arms for deadline_,
  // which the command loop sets before the session next waits for anything.
  if (idle_limit() < before) timer_.cancel();
}

// The connection on `server` now carries settings no replay list describes (the router has
// pinned the session to it): neither this session's other connections nor another session
// may take it for one in a known state.
void Session::note_unrecorded_settings(std::size_t server) {
  unrecorded_settings_ = true;
  update_signature();
  if (server < backends_.size() && backends_[server]) backends_[server]->applied.signature = signature_;
}

void Session::select_schema(std::string_view schema) {
  login_.database = schema;
}

// SET and USE ran on one backend; the others learn them before their next use.
void Session::record_session_statement(const routing::Classification& c, std::string_view sql) {
  if (c.wait_timeout && !c.has(routing::flag::MultiStatement)) set_wait_timeout(*c.wait_timeout);
  if (c.action == routing::StatementAction::Use) {
    select_schema(c.object);
    if (Backend* last = last_backend()) last->applied.schema = login_.database;
    return;
  }
  if (c.has(routing::flag::MultiStatement)) return;
  const bool session_tx = c.action == routing::StatementAction::SetTransaction &&
                          c.scope == routing::TransactionScope::Session;
  if (c.action != routing::StatementAction::Set && !session_tx) return;
  const auto vars = c.session_vars & ~(routing::setvar::UserVariable | routing::setvar::Global);
  if (vars == 0 && !session_tx) return;  // user variables pin the session; globals are not session state
  std::string text(sql);
  // A repeated SET is already part of the state, but what it sets must be replayed after
  // anything set in between (sql_mode A, then B, then A again ends with A): move it last.
  if (!replay_.empty() && replay_.back() == text) return;
  std::erase(replay_, text);
  const std::uint64_t before = signature_;
  replay_.push_back(std::move(text));
  update_signature();
  // The backend that ran it has it already.
  if (Backend* last = last_backend(); last && last->applied.signature == before) last->applied.signature = signature_;
}

// A fresh login (COM_RESET_CONNECTION, COM_CHANGE_USER): the server-side session starts
// over, and so does what causeway keeps of it.
void Session::forget_session_settings() {
  routing::reset_session(state_);
  client_tracks_gtids_ = false;
  wait_timeout_.reset();
  session_level_ = routing::Consistency::Unspecified;
  replay_.clear();
  unrecorded_settings_ = false;
  update_signature();
}

void Session::update_signature() {
  std::uint64_t h = 0;
  for (const auto& s : replay_) {
    for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;  // FNV-1a
    h = (h ^ 0xff) * 0x100000001b3ull;
  }
  // Settings nobody recorded make this session's state its own: no other session matches.
  if (unrecorded_settings_) h = (h ^ connection_id_) * 0x100000001b3ull ^ 0x8000000000000000ull;
  signature_ = replay_.empty() && !unrecorded_settings_ ? 0 : (h == 0 ? 1 : h);
}

}  // namespace causeway::proxy
