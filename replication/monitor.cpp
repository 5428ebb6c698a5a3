#include "replication/monitor.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "replication/probe.hpp"

namespace causeway::replication {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

long long ms(Clock::duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

// How often the watchdog looks for overdue checks: a tenth of the timeout, so a hung
// server is failed at most 10% late.
milliseconds watchdog_tick(milliseconds timeout) {
  return std::clamp(timeout / 10, milliseconds(5), milliseconds(100));
}

std::string name_of(const std::vector<routing::ServerState>& s, std::optional<std::size_t> i) {
  return i ? fmt::format("'{}'", s[*i].name) : std::string("none");
}

void log_transition(const routing::ServerState& before, const routing::ServerState& after) {
  const bool lag_only = before.reachable == after.reachable && before.read_only == after.read_only &&
                        before.io_running == after.io_running &&
                        before.sql_running == after.sql_running &&
                        before.last_error == after.last_error && before.checked == after.checked &&
                        before.drained == after.drained;
  const bool healthy = after.reachable && after.last_error.empty() &&
                       (!after.is_replica || (after.io_running && after.sql_running));
  const auto level = lag_only ? spdlog::level::debug
                     : healthy ? spdlog::level::info
                               : spdlog::level::warn;
  spdlog::log(level, "monitor: server '{}' {}", after.name, describe(after));
}

}  // namespace

Monitor::Monitor(std::vector<ServerSpec> servers, MonitorSettings settings, Publish publish,
                 std::optional<StreamSettings> streams)
    : settings_(std::move(settings)), publish_(std::move(publish)), stream_settings_(std::move(streams)) {
  slots_.reserve(servers.size());
  for (ServerSpec& spec : servers) {
    Slot& slot = slots_.emplace_back();
    slot.state.name = spec.name;
    slot.state.configured_role = spec.role;
    slot.state.weight = spec.weight;
    slot.state.removed = spec.removed;
    slot.spec = std::move(spec);
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) freshness_.push_back(std::make_unique<LogHistogram>());
  auto initial = std::make_shared<routing::Topology>();
  for (const Slot& s : slots_) initial->servers.push_back(s.state);
  current_ = std::move(initial);
}

Monitor::~Monitor() { stop(); }

void Monitor::start() {
  init_client_library();
  Lock lock(mutex_);
  if (!threads_.empty()) return;
  stopping_ = false;
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (!slots_[i].spec.removed) threads_.emplace_back([this, i] { run(i); });
  threads_.emplace_back([this] { watchdog(); });
  if (!stream_settings_) return;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const ServerSpec& spec = slots_[i].spec;
    if (spec.removed) continue;
    slots_[i].state.stream = routing::StreamState::Connecting;
    auto is_replica = [this, i] {
      Lock l(mutex_);
      // Until the first check says otherwise a server may be a replica: check visibility.
      const auto& st = slots_[i].state;
      return !st.checked || st.is_replica || slots_[i].spec.role == routing::ConfiguredRole::Replica;
    };
    auto report = [this, i](StreamReport&& r) { on_stream(i, std::move(r)); };
    StreamSettings settings = *stream_settings_;
    settings.tls = spec.tls;
    streams_.push_back(std::make_unique<Stream>(spec.name, spec.host, spec.port, std::move(settings),
                                                std::move(is_replica), std::move(report)));
  }
  lock.unlock();
  for (auto& stream : streams_) stream->start();
}

void Monitor::stop() {
  for (auto& stream : streams_) stream->stop();
  streams_.clear();
  {
    Lock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Monitor::run(std::size_t index) {
  const ClientThread client_thread;
  Probe probe({slots_[index].spec.name, slots_[index].spec.host, slots_[index].spec.port,
               settings_.user, settings_.password, settings_.timeout, slots_[index].spec.tls});
  Lock lock(mutex_);
  while (!stopping_) {
    Slot& slot = slots_[index];
    slot.in_check = true;
    slot.timed_out = false;
    const auto started = slot.started = Clock::now();
    lock.unlock();

    CheckResult result = probe.check();
    const auto took = Clock::now() - started;
    // The client library's timeouts are whole seconds; the configured one is not.
    if (result.ok && took > settings_.timeout) {
      result.ok = false;
      result.error = fmt::format("answered after {} ms, over the {} ms timeout", ms(took),
                                 settings_.timeout.count());
    }

    lock.lock();
    slot.in_check = false;
    routing::TopologyPtr snapshot;
    if (slot.timed_out) {
      // The watchdog already failed this round; its verdict stands until the next one.
      spdlog::debug("monitor: server '{}' answered after {} ms: {}", slot.spec.name, ms(took),
                    result.ok ? "ok" : result.error);
    } else {
      snapshot = record_locked(index, result);
    }
    if (snapshot) {
      lock.unlock();
      deliver(snapshot);
      lock.lock();
    }
    // The poll interval; stop() cuts it short.
    wake_.wait_for(lock, settings_.interval, [this] { return stopping_; });
  }
}

void Monitor::watchdog() {
  const milliseconds tick = watchdog_tick(settings_.timeout);
  Lock lock(mutex_);
  while (!wake_.wait_for(lock, tick, [this] { return stopping_; })) {
    const auto now = Clock::now();
    routing::TopologyPtr snapshot;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = slots_[i];
      if (!slot.in_check || slot.timed_out || now - slot.started <= settings_.timeout) continue;
      slot.timed_out = true;
      CheckResult failed;
      failed.error = fmt::format("no answer within {} ms (server hung or unreachable)",
                                 settings_.timeout.count());
      failed.at = std::chrono::system_clock::now();
      if (auto s = record_locked(i, failed)) snapshot = std::move(s);
    }
    if (snapshot) {
      lock.unlock();
      deliver(snapshot);
      lock.lock();
    }
  }
}

routing::TopologyPtr Monitor::record_locked(std::size_t index, const CheckResult& result) {
  Slot& slot = slots_[index];
  routing::ServerState next = apply_check(slot.state, result);
  const bool changed = relevant_change(slot.state, next);
  if (changed) log_transition(slot.state, next);
  slot.state = std::move(next);
  return changed ? snapshot_locked() : nullptr;
}

routing::TopologyPtr Monitor::snapshot_locked() {
  auto t = std::make_shared<routing::Topology>();
  t->servers.reserve(slots_.size());
  for (const Slot& s : slots_) t->servers.push_back(s.state);

  std::vector<std::size_t> writable;
  for (std::size_t i : writer_candidates(t->servers))
    if (t->servers[i].configured_role == routing::ConfiguredRole::Auto) writable.push_back(i);
  if (writable.size() > 1 && writable != split_brain_) {
    std::string names;
    for (std::size_t i : writable) names += fmt::format("{}'{}'", names.empty() ? "" : ", ", t->servers[i].name);
    spdlog::warn("monitor: several servers have read_only=OFF: {}; {}", names,
                 writer_ && std::find(writable.begin(), writable.end(), *writer_) != writable.end()
                     ? fmt::format("keeping '{}' as the writer", t->servers[*writer_].name)
                     : std::string("no writer until only one is left (or pin one with role: primary)"));
  }
  split_brain_ = writable.size() > 1 ? writable : std::vector<std::size_t>{};

  const auto writer = pick_writer(t->servers, writer_);
  if (writer != writer_)
    spdlog::log(writer ? spdlog::level::info : spdlog::level::warn, "monitor: writer is now {} (was {})",
                name_of(t->servers, writer), name_of(t->servers, writer_));
  writer_ = writer;
  t->writer = writer;
  t->generation = ++generation_;
  current_ = t;
  return t;
}

void Monitor::deliver(const routing::TopologyPtr& snapshot) {
  std::lock_guard lock(deliver_mutex_);
  // A newer snapshot already went out: it includes this one's change.
  if (snapshot->generation <= delivered_) return;
  delivered_ = snapshot->generation;
  if (publish_) publish_(snapshot);
}

// Whose stream times new GTIDs for lag: the writer, else the configured primary.
std::optional<std::size_t> Monitor::lag_reference_locked() const {
  if (writer_) return writer_;
  for (std::size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].spec.role == routing::ConfiguredRole::Primary) return i;
  return std::nullopt;
}

void Monitor::refresh_lag_locked(LagTracker::Clock::time_point now) {
  const auto primary = lag_reference_locked();
  if (primary != lag_primary_) {
    lag_.reset_primary();
    lag_primary_ = primary;
  }
  const routing::GtidSetPtr reference =
      !primary ? nullptr : slots_[*primary].state.streamed ? slots_[*primary].state.streamed : slots_[*primary].state.executed;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    routing::ServerState& st = slots_[i].state;
    if (primary && i == *primary) {
      st.lag_transactions = 0;
      st.behind_since = {};
      st.last_delay_ms = 0;
      continue;
    }
    if (!reference || !st.executed) continue;
    const auto lag = lag_.update(i, *st.executed, *reference, now);
    st.lag_transactions = lag.transactions;
    st.behind_since = lag.behind_since;
    st.last_delay_ms = lag.last_delay_ms;
  }
}

void Monitor::on_stream(std::size_t index, StreamReport&& r) {
  routing::TopologyPtr snapshot;
  {
    Lock lock(mutex_);
    if (stopping_) return;
    routing::ServerState& st = slots_[index].state;
    if (st.stream != r.state || st.stream_error != r.error) {
      const bool good = r.state == routing::StreamState::Streaming;
      spdlog::log(good ? spdlog::level::info : spdlog::level::warn, "binlog stream '{}': {}{}{}", st.name,
                  routing::to_string(r.state), r.error.empty() ? "" : ": ", r.error);
    }
    st.stream = r.state;
    st.stream_error = std::move(r.error);
    if (r.visibility_checked) visibility_checks_.fetch_add(1, std::memory_order_relaxed);
    const auto now = LagTracker::Clock::now();
    if (r.streamed) st.streamed = std::move(r.streamed);
    if (r.executed) {
      st.executed = std::move(r.executed);
      for (const auto& entry : r.committed)
        freshness_[index]->add(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - entry.second).count()));
    }
    refresh_lag_locked(now);  // may reset the history when the primary changed
    if (lag_primary_ && *lag_primary_ == index)
      for (const auto& [gtid, at] : r.committed) lag_.primary_committed(gtid, at);
    refresh_lag_locked(now);
    snapshot = snapshot_locked();
  }
  deliver(snapshot);
}

bool Monitor::set_drained(std::string_view name, bool drained) {
  routing::TopologyPtr snapshot;
  {
    Lock lock(mutex_);
    auto it = std::find_if(slots_.begin(), slots_.end(),
                           [&](const Slot& s) { return s.spec.name == name; });
    if (it == slots_.end()) return false;
    if (it->state.drained == drained) return true;
    it->state.drained = drained;
    spdlog::info("monitor: server '{}' {}", it->spec.name, drained ? "drained" : "undrained");
    snapshot = snapshot_locked();
  }
  deliver(snapshot);
  return true;
}

std::vector<std::pair<std::string, LogHistogram::Totals>> Monitor::freshness() const {
  std::vector<std::pair<std::string, LogHistogram::Totals>> out;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    LogHistogram::Totals t{};
    freshness_[i]->add_to(t);
    out.emplace_back(slots_[i].spec.name, t);
  }
  return out;
}

std::vector<Monitor::FreshnessHistogram> Monitor::freshness_histograms() const {
  std::vector<FreshnessHistogram> out;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    FreshnessHistogram& h = out.emplace_back();
    h.server = slots_[i].spec.name;
    freshness_[i]->add_to(h.buckets);
    h.sum_us = freshness_[i]->sum();
  }
  return out;
}

routing::TopologyPtr Monitor::current() const {
  Lock lock(mutex_);
  return current_;
}

}  // namespace causeway::replication
