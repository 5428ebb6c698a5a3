#include "replication/stream.hpp"

#include <mysql.h>
#include <mysqld_error.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "replication/binlog_event.hpp"
#include "replication/client_tls.hpp"
#include "replication/probe.hpp"

namespace causeway::replication {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Row = std::vector<std::optional<std::string>>;

namespace {

// A blocking libmariadb connection for the few statements around a dump.
class Sql {
 public:
  ~Sql() { close(); }
  void close() {
    if (mysql_) mysql_close(mysql_);
    mysql_ = nullptr;
  }
  bool connect(const std::string& host, std::uint16_t port, const StreamSettings& s, std::string& error) {
    close();
    mysql_ = connect_client({host, port, s.user, s.password, s.connect_timeout, s.tls, "causeway-binlog"}, error, errno_);
    if (mysql_ == nullptr) error = "connect: " + error;
    return mysql_ != nullptr;
  }
  // The first row of a statement's result (an empty row for statements without one).
  std::optional<Row> row(const std::string& sql, std::string& error) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return failed(sql, error);
    MYSQL_RES* res = mysql_store_result(mysql_);
    if (!res) {
      if (mysql_field_count(mysql_) != 0) return failed(sql, error);
      return Row{};
    }
    Row out;
    if (MYSQL_ROW r = mysql_fetch_row(res)) {
      const unsigned long* len = mysql_fetch_lengths(res);
      for (unsigned i = 0; i < mysql_num_fields(res); ++i)
        out.push_back(r[i] ? std::optional<std::string>(std::string(r[i], len[i])) : std::nullopt);
    }
    mysql_free_result(res);
    return out;
  }
  std::string quote(const std::string& text) {
    std::string out(text.size() * 2 + 1, '\0');
    out.resize(mysql_real_escape_string(mysql_, out.data(), text.data(), text.size()));
    return "'" + out + "'";
  }
  unsigned last_errno() const { return errno_; }
  int fd() const { return mysql_ ? static_cast<int>(mysql_get_socket(mysql_)) : -1; }
  SSL* tls() const { return tls_session(mysql_); }
  bool open() const { return mysql_ != nullptr; }

 private:
  std::optional<Row> failed(const std::string& sql, std::string& error) {
    errno_ = mysql_errno(mysql_);
    error = fmt::format("{}: {} ({})", sql.substr(0, 60), mysql_error(mysql_), errno_);
    // A lost connection cannot be reused; a server-side error (privilege) leaves it usable.
    if (errno_ >= 2000 && errno_ < 3000) close();
    return std::nullopt;
  }
  MYSQL* mysql_ = nullptr;
  unsigned errno_ = 0;
};

std::string cell(const Row& r, std::size_t i) { return i < r.size() && r[i] ? *r[i] : std::string(); }

void put_u16(std::vector<std::uint8_t>& o, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) o.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_u32(std::vector<std::uint8_t>& o, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) o.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_u64(std::vector<std::uint8_t>& o, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) o.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// COM_BINLOG_DUMP_GTID (MySQL): resume after `from`; the server picks the file.
std::vector<std::uint8_t> dump_gtid_command(std::uint32_t server_id, const MysqlGtidSet& from) {
  std::vector<std::uint8_t> p{0x1e};
  put_u16(p, 0);  // flags: blocking, heartbeat v1
  put_u32(p, server_id);
  put_u32(p, 0);  // no file name
  put_u64(p, 4);
  put_u32(p, static_cast<std::uint32_t>(encoded_size(from)));
  encode(from, p);
  return p;
}

// COM_BINLOG_DUMP (MariaDB GTID mode: @slave_connect_state says where; file and position
// are ignored).
std::vector<std::uint8_t> dump_command(std::uint32_t server_id) {
  std::vector<std::uint8_t> p{0x12};
  put_u32(p, 4);
  put_u16(p, 0);  // flags: blocking, no ANNOTATE_ROWS
  put_u32(p, server_id);
  return p;
}

bool is_mariadb(const std::string& version) { return version.find("MariaDB") != std::string::npos; }

std::uint32_t random_server_id() {
  // High ids stay clear of the small ones people give real servers.
  std::random_device rd;
  return 0x40000000u | (rd() & 0x3fffffffu);
}

}  // namespace

// One connection attempt's state.
struct Stream::Session {
  Sql sql;       // the dump connection
  Sql confirm;   // replicas: the visibility check runs beside the dump
  Flavour flavour = Flavour::Unknown;
  bool replica = false;  // always check visibility (MySQL); else ask is_replica_ per burst
  GtidSet streamed;      // what the stream has shown
  std::vector<std::pair<Gtid, Clock::time_point>> pending;  // shown, not yet reported
};

Stream::Stream(std::string name, std::string host, std::uint16_t port, StreamSettings settings, IsReplica is_replica,
               Report report)
    : name_(std::move(name)), host_(std::move(host)), port_(port), settings_(std::move(settings)),
      is_replica_(std::move(is_replica)), report_(std::move(report)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

Stream::~Stream() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Stream::start() {
  init_client_library();
  thread_ = std::thread([this] {
    ClientThread client;
    run();
  });
}

void Stream::stop() {
  stopping_ = true;
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
}

void Stream::pause(std::chrono::milliseconds d) {
  pollfd p{wake_fd_, POLLIN, 0};
  ::poll(&p, 1, static_cast<int>(d.count()));
}

bool Stream::wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  const int n = ::poll(p, 2, static_cast<int>(timeout.count()));
  return n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !stopping_;
}

void Stream::run() {
  std::chrono::milliseconds backoff = 100ms;
  while (!stopping_) {
    Session s;
    const auto began = Clock::now();
    run_once(s);
    if (stopping_) break;
    // Back off while attempts fail quickly; a stream that ran a while retries at once.
    backoff = Clock::now() - began > 10s ? 100ms : std::min<std::chrono::milliseconds>(backoff * 2, 5s);
    pause(backoff);
  }
}

void Stream::report_state(const Session& s, routing::StreamState state, std::string why) {
  StreamReport r;
  r.state = state;
  r.error = std::move(why);
  r.flavour = s.flavour;
  report_(std::move(r));
}

void Stream::run_once(Session& s) {
  std::string error;
  const auto report_state = [&](routing::StreamState state, std::string why) {
    this->report_state(s, state, std::move(why));
  };
  if (!s.sql.connect(host_, port_, settings_, error)) {
    report_state(routing::StreamState::Connecting, error);
    return;
  }
  auto version = s.sql.row("SELECT @@version, @@global.log_bin", error);
  if (!version) return report_state(routing::StreamState::Connecting, error);
  s.flavour = is_mariadb(cell(*version, 0)) ? Flavour::Mariadb : Flavour::Mysql;
  if (cell(*version, 1) != "1") return poll_loop(s, "the binary log is off (log_bin=OFF): polling the executed set");
  stream_loop(s);
}

void Stream::poll_loop(Session& s, std::string reason) {
  spdlog::warn("binlog stream '{}': {}", name_, reason);
  const std::string query = s.flavour == Flavour::Mariadb ? "SELECT @@global.gtid_current_pos"
                                                          : "SELECT @@global.gtid_executed";
  GtidSet last;
  bool first = true;
  while (!stopping_) {
    std::string error;
    auto row = s.sql.row(query, error);
    if (!row) return report_state(s, routing::StreamState::Connecting, error);
    GtidError parse_error;
    auto set = GtidSet::parse(cell(*row, 0), parse_error);
    if (set && (first || !(*set == last))) {
      StreamReport r;
      r.state = routing::StreamState::Polling;
      r.error = reason;
      r.flavour = s.flavour;
      r.executed = std::make_shared<const GtidSet>(*set);
      r.streamed = r.executed;
      r.replaced = true;
      report_(std::move(r));
      last = std::move(*set);
      first = false;
    }
    pause(settings_.poll_interval);
  }
}

namespace {

// The dump connection's bytes, past the client library: the socket, or its TLS session.
struct Wire {
  int fd = -1;
  SSL* tls = nullptr;

  // Bytes already decrypted and waiting: poll() would not show them.
  bool buffered() const { return tls != nullptr && SSL_has_pending(tls) == 1; }
  // >0 bytes read; 0 closed or failed; -1 nothing yet (errno EAGAIN).
  ssize_t read(std::uint8_t* into, std::size_t size) {
    if (tls == nullptr) return ::recv(fd, into, size, 0);
    ERR_clear_error();  // SSL_get_error reads the thread's queue: a stale entry would read as a failure
    return outcome(SSL_read(tls, into, clamp(size)));
  }
  // >0 bytes written; else as read().
  ssize_t write(const std::uint8_t* from, std::size_t size) {
    if (tls == nullptr) return ::send(fd, from, size, MSG_NOSIGNAL);
    ERR_clear_error();
    return outcome(SSL_write(tls, from, clamp(size)));
  }

 private:
  static int clamp(std::size_t size) { return static_cast<int>(std::min<std::size_t>(size, INT_MAX)); }
  ssize_t outcome(int n) const {
    if (n > 0) return n;
    const int why = SSL_get_error(tls, n);
    if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) return 0;
    errno = EAGAIN;
    return -1;
  }
};

// Reads MySQL packets off a blocking socket: payloads joined across 0xffffff frames.
class PacketReader {
 public:
  // The next whole payload already buffered, if any.
  std::optional<std::span<const std::uint8_t>> next() {
    payload_.clear();
    std::size_t at = consumed_;
    for (;;) {
      if (buf_.size() - at < 4) return std::nullopt;
      const std::size_t len = buf_[at] | (buf_[at + 1] << 8) | (buf_[at + 2] << 16);
      if (buf_.size() - at - 4 < len) return std::nullopt;
      payload_.insert(payload_.end(), buf_.begin() + static_cast<long>(at + 4),
                      buf_.begin() + static_cast<long>(at + 4 + len));
      at += 4 + len;
      if (len < 0xffffff) break;
    }
    consumed_ = at;
    return std::span<const std::uint8_t>(payload_);
  }
  // Reads what the socket has; false on EOF or error.
  bool fill(Wire& wire) {
    if (consumed_ > 0) {
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<long>(consumed_));
      consumed_ = 0;
    }
    const std::size_t old = buf_.size();
    buf_.resize(old + 64 * 1024);
    const ssize_t n = wire.read(buf_.data() + old, 64 * 1024);
    buf_.resize(old + (n > 0 ? static_cast<std::size_t>(n) : 0));
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
  }

 private:
  std::vector<std::uint8_t> buf_;
  std::size_t consumed_ = 0;
  std::vector<std::uint8_t> payload_;
};

bool send_packet(Wire& wire, const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> frame;
  frame.reserve(payload.size() + 4);
  const auto n = static_cast<std::uint32_t>(payload.size());
  frame.insert(frame.end(), {static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8),
                             static_cast<std::uint8_t>(n >> 16), 0});
  frame.insert(frame.end(), payload.begin(), payload.end());
  std::size_t sent = 0;
  while (sent < frame.size()) {
    const ssize_t w = wire.write(frame.data() + sent, frame.size() - sent);
    if (w > 0) {
      sent += static_cast<std::size_t>(w);
    } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{wire.fd, POLLOUT | POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

void Stream::stream_loop(Session& s) {
  std::string error;
  const auto fail = [&](routing::StreamState state, std::string why) { report_state(s, state, std::move(why)); };
  const bool mariadb = s.flavour == Flavour::Mariadb;

  // Where to start: where the last stream stopped, else what the server has now.
  auto sets = s.sql.row(mariadb ? "SELECT @@global.gtid_binlog_pos, @@global.gtid_slave_pos, @@global.binlog_checksum"
                                : "SELECT @@global.gtid_executed, @@global.gtid_mode, @@global.binlog_checksum",
                        error);
  if (!sets) return fail(routing::StreamState::Connecting, error);
  if (!mariadb && cell(*sets, 1) != "ON")
    return poll_loop(s, fmt::format("gtid_mode is {}: no GTIDs to stream", cell(*sets, 1)));
  GtidError parse_error;
  auto now_set = GtidSet::parse(cell(*sets, 0), parse_error);
  if (!now_set) return fail(routing::StreamState::Connecting, "unreadable executed set: " + parse_error.message);
  const bool resume = !accumulated_.empty() && accumulated_.flavour() == s.flavour;
  s.streamed = resume ? accumulated_ : *now_set;
  // MariaDB checks visibility with MASTER_GTID_WAIT, which follows gtid_slave_pos: only
  // replicas move it, so the primary is not asked. MySQL's WAIT_FOR_EXECUTED_GTID_SET
  // works on any server.
  s.replica = !mariadb;
  const bool crc = cell(*sets, 2) == "CRC32";

  const long long heartbeat_ns = static_cast<long long>(settings_.heartbeat.count()) * 1'000'000;
  std::string setup = fmt::format(
      "SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum, "
      "@master_heartbeat_period = {0}, @source_heartbeat_period = {0}",
      heartbeat_ns);
  if (mariadb) {
    setup += fmt::format(", @mariadb_slave_capability = 4, @slave_connect_state = {}, @slave_gtid_strict_mode = 0, "
                         "@slave_gtid_ignore_duplicates = 0",
                         s.sql.quote(s.streamed.to_string()));
  } else {
    setup += ", @slave_uuid = UUID(), @replica_uuid = @slave_uuid";
  }
  if (!s.sql.row(setup, error)) return fail(routing::StreamState::Connecting, error);

  const std::uint32_t server_id = settings_.server_id != 0 ? settings_.server_id : random_server_id();
  const auto command = mariadb ? dump_command(server_id)
                               : dump_gtid_command(server_id, s.streamed.mysql() ? *s.streamed.mysql() : MysqlGtidSet{});
  Wire wire{s.sql.fd(), s.sql.tls()};
  if (!send_packet(wire, command)) return fail(routing::StreamState::Connecting, "sending the dump request failed");

  // The stream is up: what is visible now is the starting point.
  {
    StreamReport r;
    r.state = routing::StreamState::Streaming;
    r.flavour = s.flavour;
    // What is visible right now. A replica's binlog position may run a moment ahead of its
    // commits; its gtid_slave_pos (MariaDB) and gtid_executed (MySQL) do not.
    GtidSet visible = *now_set;
    if (mariadb && is_replica_()) {
      GtidError slave_error;
      auto slave = GtidSet::parse(cell(*sets, 1), slave_error);
      visible = slave ? *slave : GtidSet{};
    }
    r.executed = std::make_shared<const GtidSet>(std::move(visible));
    r.streamed = std::make_shared<const GtidSet>(s.streamed);
    r.replaced = true;
    report_(std::move(r));
  }
  accumulated_ = s.streamed;
  spdlog::info("binlog stream '{}': streaming ({}, from {})", name_, to_string(s.flavour),
               s.streamed.empty() ? std::string("the start") : s.streamed.to_string());

  binlog::Decoder decoder(binlog::DecoderOptions{.decompress_payloads = false});
  decoder.set_checksum(crc ? binlog::Checksum::crc32 : binlog::Checksum::off);
  binlog::TransactionTracker transactions;
  PacketReader reader;
  // A live server sends a heartbeat at least every period: three missed is a dead stream.
  // Not before it has found where to start, though: it reads its binlog up to the start
  // GTID first and sends nothing meanwhile, which takes seconds in a binlog of gigabytes on
  // a busy machine (a reconnect would only start that reading over). A heartbeat or a
  // transaction shows it positioned.
  const auto silence = std::max<std::chrono::milliseconds>(settings_.heartbeat * 3, 2s);
  const auto positioning = std::max<std::chrono::milliseconds>(silence, 60s);
  bool positioned = false;

  while (!stopping_) {
    // Everything already buffered first; then report the burst; then wait for more.
    while (auto payload = reader.next()) {
      auto packet = binlog::decode_stream_packet(*payload, false);
      if (!packet) return fail(routing::StreamState::Connecting, "bad stream packet: " + packet.error().message);
      if (auto* err = std::get_if<binlog::StreamError>(&*packet)) {
        // 1236: the position is gone from the server's binlogs (purged, or from another
        // history after a failover): start again from what the server has now.
        if (err->code == ER_MASTER_FATAL_ERROR_READING_BINLOG) accumulated_ = {};
        if (err->code == ER_SPECIFIC_ACCESS_DENIED_ERROR || err->code == ER_ACCESS_DENIED_ERROR ||
            err->code == ER_DBACCESS_DENIED_ERROR)
          return poll_loop(s, fmt::format("no stream ({}: {}): polling the executed set", err->code, err->message));
        return fail(routing::StreamState::Connecting, fmt::format("server ended the stream: {} ({})", err->message, err->code));
      }
      if (std::holds_alternative<binlog::StreamEof>(*packet)) return fail(routing::StreamState::Connecting, "end of stream");
      auto event = decoder.decode(std::get<binlog::StreamEvent>(*packet).event);
      if (!event) return fail(routing::StreamState::Connecting, "undecodable event: " + event.error().message);
      if (event->get<binlog::Heartbeat>() != nullptr) positioned = true;
      auto done = transactions.on_event(*event);
      if (done) positioned = true;
      if (!done || done->anonymous()) continue;
      const auto at = Clock::now();
      if (const auto* g = done->mysql()) {
        if (s.streamed.add(*g)) s.pending.emplace_back(*g, at);
      } else if (const auto* m = done->mariadb()) {
        if (s.streamed.add(*m)) s.pending.emplace_back(*m, at);
      }
    }
    if (!s.pending.empty()) {
      accumulated_ = s.streamed;
      auto streamed = std::make_shared<const GtidSet>(s.streamed);
      StreamReport r;
      r.state = routing::StreamState::Streaming;
      r.flavour = s.flavour;
      r.committed = std::move(s.pending);
      s.pending.clear();
      // Asked per burst: a server's role can change while its stream runs.
      const bool check = s.replica || is_replica_();
      r.visibility_checked = check;
      if (!check) {
        r.executed = streamed;
        r.streamed = std::move(streamed);
      } else {
        // What the binlog shows goes out at once (a strong read's requirement, the lag
        // reference); what readers can see follows the check.
        StreamReport shown;
        shown.state = routing::StreamState::Streaming;
        shown.flavour = s.flavour;
        shown.streamed = std::move(streamed);
        report_(std::move(shown));
        if (auto visible = confirm(s, error)) {
          r.executed = std::make_shared<const GtidSet>(std::move(*visible));
        } else {
          spdlog::warn("binlog stream '{}': visibility check failed: {}", name_, error);
        }
      }
      report_(std::move(r));
    }
    const auto limit = positioned ? silence : positioning;
    if (!wire.buffered() && !wait_readable(wire.fd, limit)) {
      if (stopping_) return;
      return fail(routing::StreamState::Connecting, fmt::format("no event or heartbeat for {} ms", limit.count()));
    }
    if (!reader.fill(wire)) return fail(routing::StreamState::Connecting, "the server closed the stream");
  }
}

// The stream shows a transaction when it is in the binlog, a moment before the engine
// commit makes it visible: wait (on a second connection) until the server itself says it
// has applied everything streamed so far, then that set is safe to read from.
std::optional<GtidSet> Stream::confirm(Session& s, std::string& error) {
  if (!s.confirm.open() && !s.confirm.connect(host_, port_, settings_, error)) return std::nullopt;
  const bool mariadb = s.flavour == Flavour::Mariadb;
  const std::string set = s.streamed.to_string();
  const std::string sql = mariadb ? fmt::format("SELECT MASTER_GTID_WAIT({}, 1)", s.confirm.quote(set))
                                  : fmt::format("SELECT WAIT_FOR_EXECUTED_GTID_SET({}, 1)", s.confirm.quote(set));
  auto row = s.confirm.row(sql, error);
  if (!row) return std::nullopt;
  if (cell(*row, 0) == "0") return s.streamed;
  // Timed out (a domain this server does not replicate, say): what it reports as applied
  // is visible by definition.
  auto now = s.confirm.row(mariadb ? "SELECT @@global.gtid_slave_pos" : "SELECT @@global.gtid_executed", error);
  if (!now) return std::nullopt;
  GtidError parse_error;
  auto parsed = GtidSet::parse(cell(*now, 0), parse_error);
  if (!parsed) {
    error = parse_error.message;
    return std::nullopt;
  }
  return parsed;
}

}  // namespace causeway::replication
