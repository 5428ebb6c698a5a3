// TransactionTracker: where a transaction ends in the binlog (binlog-protocol.md §3.6).
#include "replication/binlog_event.hpp"

namespace causeway::replication::binlog {

namespace {

// Events that belong to the statement that follows them (MariaDB
// Log_event::is_part_of_group): they never end a standalone group.
bool is_statement_preamble(EventType type) {
  switch (type) {
    case EventType::intvar:
    case EventType::rand:
    case EventType::user_var:
    case EventType::table_map:
    case EventType::annotate_rows:
      return true;
    default:
      return false;
  }
}

bool is_query(EventType type) { return type == EventType::query || type == EventType::query_compressed; }

}  // namespace

std::optional<Completed> TransactionTracker::on_event(const Event& event) {
  const EventType type = event.type();
  // Heartbeats and the dump thread's artificial events (fake ROTATE, MariaDB's GTID_LIST
  // sent right after the first group's GTID event) are not part of any group.
  if (event.header.artificial() || type == EventType::heartbeat || type == EventType::heartbeat_v2) {
    return std::nullopt;
  }
  std::optional<Open> next;
  if (const auto* g = event.get<MysqlGtidEvent>()) {
    next = Open{g->anonymous ? TransactionId{Anonymous{}} : TransactionId{g->gtid}};
  } else if (const auto* g = event.get<MariadbGtidEvent>()) {
    next = Open{g->gtid, true, g->standalone()};
  }
  if (next || type == EventType::format_description) {
    // A new group (or a new file) while one is open: the old one never ended here.
    if (open_) ++abandoned_;
    open_ = std::move(next);
    return std::nullopt;
  }
  if (!open_) return std::nullopt;
  return open_->mariadb ? on_mariadb(event, *open_) : on_mysql(event, *open_);
}

std::optional<Completed> TransactionTracker::on_mysql(const Event& event, Open& open) {
  const EventType type = event.type();
  if (type == EventType::xid || type == EventType::xa_prepare || type == EventType::transaction_payload) {
    return close(event);
  }
  const auto* q = event.get<Query>();
  if (!is_query(type) || q == nullptr) return std::nullopt;
  if (q->is_commit() || q->is_rollback()) return close(event);
  if (open.explicit_group) return std::nullopt;  // DML in statement format, XA END, SAVEPOINT
  if (q->is_begin() || q->is_xa_start()) {
    open.explicit_group = true;
    return std::nullopt;
  }
  return close(event);  // DDL, or a stand-alone XA COMMIT / XA ROLLBACK
}

std::optional<Completed> TransactionTracker::on_mariadb(const Event& event, Open& open) {
  const EventType type = event.type();
  if (open.standalone) {
    if (is_statement_preamble(type)) return std::nullopt;
    return close(event);
  }
  if (type == EventType::xid || type == EventType::xa_prepare) return close(event);
  const auto* q = event.get<Query>();
  if (is_query(type) && q != nullptr && (q->is_commit() || q->is_rollback())) return close(event);
  return std::nullopt;
}

std::optional<Completed> TransactionTracker::close(const Event& event) {
  Completed done{std::move(open_->id), event.header.log_pos};
  open_.reset();
  return done;
}

}  // namespace causeway::replication::binlog
