#include "replication/gtid.hpp"

#include <algorithm>
#include <limits>

namespace causeway::replication {

namespace detail {
namespace {

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint32_t u32_max = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t max_tag_length = 32;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_tag_start(char c) { return is_alpha(c) || c == '_'; }
bool is_tag_char(char c) { return is_tag_start(c) || is_digit(c); }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  const char l = to_lower(c);
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > u64_max - b ? u64_max : a + b;
}

void skip_space(std::string_view text, std::size_t& pos) {
  while (pos < text.size() && is_space(text[pos])) ++pos;
}

bool fail(GtidError& error, std::size_t offset, std::string message) {
  error.offset = offset;
  error.message = "offset " + std::to_string(offset) + ": " + std::move(message);
  return false;
}

std::string quoted(std::string_view text, std::size_t pos, std::size_t len = 40) {
  return "'" + std::string(text.substr(std::min(pos, text.size()), len)) + "'";
}

// Decimal digits at `pos`, no sign, value <= max.
bool parse_number(std::string_view text, std::size_t& pos, std::uint64_t max, const char* what,
                  std::uint64_t& out, GtidError& error) {
  const std::size_t start = pos;
  if (pos >= text.size() || !is_digit(text[pos])) {
    return fail(error, pos, std::string("expected ") + what + ", found " + quoted(text, pos));
  }
  std::uint64_t value = 0;
  for (; pos < text.size() && is_digit(text[pos]); ++pos) {
    const auto digit = static_cast<std::uint64_t>(text[pos] - '0');
    if (value > (max - digit) / 10) {
      return fail(error, start, std::string(what) + " out of range: " + quoted(text, start, 24));
    }
    value = value * 10 + digit;
  }
  out = value;
  return true;
}

// A tag's spelling is checked and lower-cased; MySQL stores tags lower case.
bool normalise_tag(std::string_view raw, std::string& out) {
  if (raw.empty() || raw.size() > max_tag_length || !is_tag_start(raw[0])) return false;
  out.clear();
  for (char c : raw) {
    if (!is_tag_char(c)) return false;
    out.push_back(to_lower(c));
  }
  return true;
}

bool read_uuid(std::string_view text, std::size_t& pos, Uuid& out, GtidError& error) {
  const auto uuid = parse_uuid(text.substr(pos, 36));
  if (!uuid) return fail(error, pos, "bad uuid " + quoted(text, pos, 36));
  out = *uuid;
  pos += 36;
  return true;
}

// `a` or `a-b` with 1 <= a <= b <= max_gno.
bool read_interval(std::string_view text, std::size_t& pos, GtidInterval& out,
                   GtidError& error) {
  const std::size_t start = pos;
  if (!parse_number(text, pos, max_gno, "gno", out.first, error)) return false;
  out.last = out.first;
  skip_space(text, pos);
  if (pos < text.size() && text[pos] == '-') {
    ++pos;
    skip_space(text, pos);
    if (!parse_number(text, pos, max_gno, "gno", out.last, error)) return false;
  }
  if (out.first == 0) return fail(error, start, "gno 0 is not a transaction");
  if (out.last < out.first) {
    return fail(error, start, "reversed interval " + quoted(text, start, pos - start));
  }
  return true;
}

// Inserts into a sorted, disjoint, non-adjacent list, merging what overlaps or touches.
bool add_interval(MysqlGtidSet::Intervals& list, GtidInterval iv) {
  // First interval that could touch iv: its last + 1 >= iv.first.
  auto it = std::lower_bound(list.begin(), list.end(), iv, [](const auto& a, const auto& b) {
    return a.last + 1 < b.first;
  });
  if (it != list.end() && it->first <= iv.first && it->last >= iv.last) return false;
  auto end = it;
  while (end != list.end() && end->first <= iv.last + 1) {
    iv.first = std::min(iv.first, end->first);
    iv.last = std::max(iv.last, end->last);
    ++end;
  }
  it = list.erase(it, end);
  list.insert(it, iv);
  return true;
}

bool covers(const MysqlGtidSet::Intervals& list, GtidInterval iv) {
  auto it = std::lower_bound(list.begin(), list.end(), iv.first,
                             [](const GtidInterval& a, std::uint64_t v) { return a.last < v; });
  return it != list.end() && it->first <= iv.first && it->last >= iv.last;
}

MysqlGtidSet::Intervals subtract_intervals(const MysqlGtidSet::Intervals& a,
                                           const MysqlGtidSet::Intervals& b) {
  MysqlGtidSet::Intervals out;
  auto bi = b.begin();
  for (GtidInterval cur : a) {
    while (bi != b.end() && bi->last < cur.first) ++bi;
    bool gone = false;
    for (auto bj = bi; bj != b.end() && bj->first <= cur.last; ++bj) {
      if (bj->first > cur.first) out.push_back({cur.first, bj->first - 1});
      if (bj->last >= cur.last) {
        gone = true;
        break;
      }
      cur.first = bj->last + 1;
    }
    if (!gone) out.push_back(cur);
  }
  return out;
}

void append_interval(std::string& out, GtidInterval iv) {
  out += ':';
  out += std::to_string(iv.first);
  if (iv.last != iv.first) {
    out += '-';
    out += std::to_string(iv.last);
  }
}

// --- binary form: one walk gives both the size and the bytes ---

constexpr std::uint64_t tagged_format = 1;

struct SizeSink {
  std::size_t size = 0;
  void bytes(const std::uint8_t*, std::size_t n) { size += n; }
};

struct ByteSink {
  std::vector<std::uint8_t>& out;
  void bytes(const std::uint8_t* p, std::size_t n) { out.insert(out.end(), p, p + n); }
};

template <class Sink>
void put_u64(Sink& sink, std::uint64_t v) {
  std::uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
  sink.bytes(b, 8);
}

// mysql::serialization varlen: n-1 trailing 1-bits in the first byte, then the value.
template <class Sink>
void put_varlen(Sink& sink, std::uint64_t v) {
  std::uint8_t b[9];
  std::size_t n = 1;
  while (n < 9 && (n == 8 ? v >> 56 : v >> (7 * n)) != 0) ++n;
  if (n == 9) {
    b[0] = 0xff;
    for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<std::uint8_t>(v >> (8 * i));
  } else {
    const std::uint64_t x = (v << n) | ((std::uint64_t{1} << (n - 1)) - 1);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(x >> (8 * i));
  }
  sink.bytes(b, n);
}

template <class Sink>
void walk(const MysqlGtidSet& set, Sink& sink) {
  const auto& members = set.members();
  const bool tagged = std::any_of(members.begin(), members.end(),
                                  [](const auto& m) { return !m.first.second.empty(); });
  const std::uint64_t n = members.size();
  put_u64(sink, tagged ? (tagged_format << 56) | (n << 8) | tagged_format : n);
  for (const auto& [key, intervals] : members) {
    sink.bytes(key.first.bytes.data(), key.first.bytes.size());
    if (tagged) {
      put_varlen(sink, key.second.size());
      sink.bytes(reinterpret_cast<const std::uint8_t*>(key.second.data()), key.second.size());
    }
    put_u64(sink, intervals.size());
    for (const auto& iv : intervals) {
      put_u64(sink, iv.first);
      put_u64(sink, iv.last + 1);  // the binary form's end is exclusive
    }
  }
}

class Reader {
 public:
  Reader(std::span<const std::uint8_t> bytes, GtidError& error) : bytes_(bytes), error_(error) {}
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return bytes_.size() - pos_; }

  bool need(std::size_t n, const char* what) {
    if (left() >= n) return true;
    return fail(error_, pos_, std::string("truncated ") + what);
  }
  bool u64(std::uint64_t& out, const char* what) {
    if (!need(8, what)) return false;
    out = 0;
    for (int i = 0; i < 8; ++i) out |= std::uint64_t{bytes_[pos_ + i]} << (8 * i);
    pos_ += 8;
    return true;
  }
  bool varlen(std::uint64_t& out, const char* what) {
    if (!need(1, what)) return false;
    const std::uint8_t first = bytes_[pos_];
    std::size_t n = 1;
    while (n < 9 && (first >> (n - 1) & 1) != 0) ++n;
    if (!need(n, what)) return false;
    std::uint64_t rest = 0;
    for (std::size_t i = 1; i < n; ++i) rest |= std::uint64_t{bytes_[pos_ + i]} << (8 * (i - 1));
    out = n == 9 ? rest : (std::uint64_t{first} >> n) | (rest << (8 - n));
    pos_ += n;
    return true;
  }
  std::span<const std::uint8_t> take(std::size_t n) {
    auto s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  GtidError& error_;
  std::size_t pos_ = 0;
};

bool decode_member(Reader& in, bool tagged, MysqlGtidSet& set, GtidError& error) {
  MysqlGtidSet::Key key;
  if (!in.need(16, "uuid")) return false;
  auto uuid = in.take(16);
  std::copy(uuid.begin(), uuid.end(), key.first.bytes.begin());
  if (tagged) {
    const std::size_t at = in.pos();
    std::uint64_t len = 0;
    if (!in.varlen(len, "tag length")) return false;
    if (len > max_tag_length) return fail(error, at, "tag longer than 32 bytes");
    if (!in.need(static_cast<std::size_t>(len), "tag")) return false;
    auto raw = in.take(static_cast<std::size_t>(len));
    const std::string_view text(reinterpret_cast<const char*>(raw.data()), raw.size());
    if (len != 0 && !normalise_tag(text, key.second)) return fail(error, at, "bad tag");
  }
  std::uint64_t n = 0;
  if (!in.u64(n, "interval count")) return false;
  if (n > in.left() / 16) return fail(error, in.pos(), "truncated intervals");
  std::uint64_t previous_end = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::size_t at = in.pos();
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    if (!in.u64(start, "interval") || !in.u64(end, "interval")) return false;
    // As MySQL's add_gtid_encoding: ascending, non-empty, within 1..2^63-1 (exclusive end).
    if (start == 0 || end <= start || end > max_gno + 1 || start < previous_end) {
      return fail(error, at, "bad interval [" + std::to_string(static_cast<std::int64_t>(start)) +
                                 ", " + std::to_string(static_cast<std::int64_t>(end)) + ")");
    }
    previous_end = end;
    set.add(key, {start, end - 1});
  }
  return true;
}

}  // namespace
}  // namespace detail

// ---------------------------------------------------------------------------------------
// MySQL

std::optional<Uuid> parse_uuid(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Uuid uuid;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int hi = detail::hex_value(text[i]);
    const int lo = detail::hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    uuid.bytes[byte++] = static_cast<std::uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return uuid;
}

std::string to_string(const Uuid& uuid) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[uuid.bytes[i] >> 4];
    out += hex[uuid.bytes[i] & 0xf];
  }
  return out;
}

std::optional<MysqlGtid> parse_mysql_gtid(std::string_view text, GtidError& error) {
  using namespace detail;
  MysqlGtid gtid;
  std::size_t pos = 0;
  skip_space(text, pos);
  if (!read_uuid(text, pos, gtid.uuid, error)) return std::nullopt;
  if (pos >= text.size() || text[pos] != ':') {
    fail(error, pos, "expected ':' after the uuid");
    return std::nullopt;
  }
  ++pos;
  if (pos < text.size() && is_tag_start(text[pos])) {
    const std::size_t start = pos;
    while (pos < text.size() && is_tag_char(text[pos])) ++pos;
    if (!normalise_tag(text.substr(start, pos - start), gtid.tag)) {
      fail(error, start, "bad tag " + quoted(text, start, pos - start));
      return std::nullopt;
    }
    if (pos >= text.size() || text[pos] != ':') {
      fail(error, pos, "expected ':' after the tag");
      return std::nullopt;
    }
    ++pos;
  }
  const std::size_t at = pos;
  if (!parse_number(text, pos, max_gno, "gno", gtid.gno, error)) return std::nullopt;
  if (gtid.gno == 0) {
    fail(error, at, "gno 0 is not a transaction");
    return std::nullopt;
  }
  skip_space(text, pos);
  if (pos != text.size()) {
    fail(error, pos, "unexpected " + quoted(text, pos));
    return std::nullopt;
  }
  return gtid;
}

std::string to_string(const MysqlGtid& gtid) {
  std::string out = to_string(gtid.uuid);
  if (!gtid.tag.empty()) out += ':' + gtid.tag;
  return out + ':' + std::to_string(gtid.gno);
}

std::optional<MysqlGtidSet> MysqlGtidSet::parse(std::string_view text, GtidError& error) {
  using namespace detail;
  MysqlGtidSet set;
  std::size_t pos = 0;
  skip_space(text, pos);
  if (pos == text.size()) return set;  // "" is @@gtid_executed of a fresh server
  for (;;) {
    Key key;
    skip_space(text, pos);
    if (!read_uuid(text, pos, key.first, error)) return std::nullopt;
    skip_space(text, pos);
    bool any_interval = false;
    std::size_t pending_tag = std::string_view::npos;  // offset of a tag still without intervals
    while (pos < text.size() && text[pos] == ':') {
      ++pos;
      skip_space(text, pos);
      if (pos < text.size() && is_digit(text[pos])) {
        GtidInterval iv;
        if (!read_interval(text, pos, iv, error)) return std::nullopt;
        set.add(key, iv);
        any_interval = true;
        pending_tag = std::string_view::npos;
      } else if (pos < text.size() && is_tag_start(text[pos])) {
        const std::size_t start = pos;
        while (pos < text.size() && is_tag_char(text[pos])) ++pos;
        if (pending_tag != std::string_view::npos) {
          fail(error, pending_tag, "tag without intervals");
          return std::nullopt;
        }
        if (!normalise_tag(text.substr(start, pos - start), key.second)) {
          fail(error, start, "bad tag " + quoted(text, start, pos - start));
          return std::nullopt;
        }
        pending_tag = start;
      } else {
        fail(error, pos, "expected an interval or a tag, found " + quoted(text, pos));
        return std::nullopt;
      }
      skip_space(text, pos);
    }
    if (pending_tag != std::string_view::npos) {
      fail(error, pending_tag, "tag without intervals");
      return std::nullopt;
    }
    if (!any_interval) {
      fail(error, pos, "expected ':' and intervals after the uuid");
      return std::nullopt;
    }
    if (pos == text.size()) return set;
    if (text[pos] != ',') {
      fail(error, pos, "unexpected " + quoted(text, pos));
      return std::nullopt;
    }
    ++pos;
  }
}

std::string MysqlGtidSet::to_string(std::string_view separator) const {
  std::string out;
  const Uuid* previous = nullptr;
  for (const auto& [key, intervals] : members_) {
    if (previous == nullptr || *previous != key.first) {
      if (previous != nullptr) out += separator;
      out += replication::to_string(key.first);
      previous = &key.first;
    }
    if (!key.second.empty()) out += ':' + key.second;
    for (const auto& iv : intervals) detail::append_interval(out, iv);
  }
  return out;
}

bool MysqlGtidSet::contains(const MysqlGtid& gtid) const {
  auto it = members_.find(Key{gtid.uuid, gtid.tag});
  return it != members_.end() && detail::covers(it->second, {gtid.gno, gtid.gno});
}

bool MysqlGtidSet::contains(const MysqlGtidSet& other) const {
  for (const auto& [key, intervals] : other.members_) {
    auto it = members_.find(key);
    if (it == members_.end()) return false;
    for (const auto& iv : intervals) {
      if (!detail::covers(it->second, iv)) return false;
    }
  }
  return true;
}

std::uint64_t MysqlGtidSet::count() const {
  std::uint64_t total = 0;
  for (const auto& [key, intervals] : members_) {
    for (const auto& iv : intervals) total = detail::saturating_add(total, iv.last - iv.first + 1);
  }
  return total;
}

bool MysqlGtidSet::add(const MysqlGtid& gtid) {
  return add(Key{gtid.uuid, gtid.tag}, {gtid.gno, gtid.gno});
}

bool MysqlGtidSet::add(const Key& key, GtidInterval interval) {
  if (interval.first == 0 || interval.last < interval.first || interval.last > max_gno) return false;
  return detail::add_interval(members_[key], interval);
}

MysqlGtidSet& MysqlGtidSet::unite(const MysqlGtidSet& other) {
  for (const auto& [key, intervals] : other.members_) {
    auto& mine = members_[key];
    for (const auto& iv : intervals) detail::add_interval(mine, iv);
  }
  return *this;
}

MysqlGtidSet& MysqlGtidSet::subtract(const MysqlGtidSet& other) {
  for (const auto& [key, intervals] : other.members_) {
    auto it = members_.find(key);
    if (it == members_.end()) continue;
    it->second = detail::subtract_intervals(it->second, intervals);
    if (it->second.empty()) members_.erase(it);
  }
  return *this;
}

MysqlGtidSet set_union(MysqlGtidSet a, const MysqlGtidSet& b) { return std::move(a.unite(b)); }
MysqlGtidSet set_difference(MysqlGtidSet a, const MysqlGtidSet& b) {
  return std::move(a.subtract(b));
}

void encode(const MysqlGtidSet& set, std::vector<std::uint8_t>& out) {
  detail::ByteSink sink{out};
  detail::walk(set, sink);
}

std::size_t encoded_size(const MysqlGtidSet& set) {
  detail::SizeSink sink;
  detail::walk(set, sink);
  return sink.size;
}

std::optional<MysqlGtidSet> decode_mysql_gtid_set(std::span<const std::uint8_t> bytes,
                                                  GtidError& error) {
  detail::Reader in(bytes, error);
  std::uint64_t header = 0;
  if (!in.u64(header, "sid count")) return std::nullopt;
  // The top byte tells the format (MySQL decode_nsids_format): 0 untagged, 1 tagged with
  // the count in bits 8..55 and the format repeated in the low byte.
  const std::uint64_t format = header >> 56;
  bool tagged = false;
  std::uint64_t n = header;
  if (format == detail::tagged_format && (header & 0xff) == detail::tagged_format) {
    tagged = true;
    n = (header >> 8) & 0xffffffffffffULL;
  } else if (format != 0) {
    detail::fail(error, 0, "unknown gtid set format " + std::to_string(format));
    return std::nullopt;
  }
  MysqlGtidSet set;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (!detail::decode_member(in, tagged, set, error)) return std::nullopt;
  }
  if (in.left() != 0) {
    detail::fail(error, in.pos(), std::to_string(in.left()) + " trailing bytes");
    return std::nullopt;
  }
  return set;
}

// ---------------------------------------------------------------------------------------
// MariaDB

namespace {

bool read_mariadb_gtid(std::string_view text, std::size_t& pos, MariadbGtid& out,
                       GtidError& error) {
  std::uint64_t domain = 0;
  std::uint64_t server_id = 0;
  if (!detail::parse_number(text, pos, detail::u32_max, "domain id", domain, error)) return false;
  if (pos >= text.size() || text[pos] != '-') {
    return detail::fail(error, pos, "expected '-' after the domain id");
  }
  ++pos;
  if (!detail::parse_number(text, pos, detail::u32_max, "server id", server_id, error)) {
    return false;
  }
  if (pos >= text.size() || text[pos] != '-') {
    return detail::fail(error, pos, "expected '-' after the server id");
  }
  ++pos;
  if (!detail::parse_number(text, pos, detail::u64_max, "seq_no", out.seq, error)) return false;
  out.domain = static_cast<std::uint32_t>(domain);
  out.server_id = static_cast<std::uint32_t>(server_id);
  return true;
}

}  // namespace

std::optional<MariadbGtid> parse_mariadb_gtid(std::string_view text, GtidError& error) {
  MariadbGtid gtid;
  std::size_t pos = 0;
  detail::skip_space(text, pos);
  if (!read_mariadb_gtid(text, pos, gtid, error)) return std::nullopt;
  detail::skip_space(text, pos);
  if (pos != text.size()) {
    detail::fail(error, pos, "unexpected " + detail::quoted(text, pos));
    return std::nullopt;
  }
  return gtid;
}

std::string to_string(const MariadbGtid& gtid) {
  return std::to_string(gtid.domain) + '-' + std::to_string(gtid.server_id) + '-' +
         std::to_string(gtid.seq);
}

std::optional<MariadbGtidPosition> MariadbGtidPosition::parse(std::string_view text,
                                                              GtidError& error) {
  MariadbGtidPosition position;
  std::size_t pos = 0;
  detail::skip_space(text, pos);
  if (pos == text.size()) return position;  // '' = from the start of the oldest binlog
  for (;;) {
    detail::skip_space(text, pos);
    MariadbGtid gtid;
    if (!read_mariadb_gtid(text, pos, gtid, error)) return std::nullopt;
    position.update(gtid);
    detail::skip_space(text, pos);
    if (pos == text.size()) return position;
    if (text[pos] != ',') {
      detail::fail(error, pos, "unexpected " + detail::quoted(text, pos));
      return std::nullopt;
    }
    ++pos;
  }
}

std::string MariadbGtidPosition::to_string() const {
  std::string out;
  for (const auto& [domain, gtid] : domains_) {
    if (!out.empty()) out += ',';
    out += replication::to_string(gtid);
  }
  return out;
}

std::optional<MariadbGtid> MariadbGtidPosition::find(std::uint32_t domain) const {
  auto it = domains_.find(domain);
  if (it == domains_.end()) return std::nullopt;
  return it->second;
}

bool MariadbGtidPosition::contains(const MariadbGtid& gtid) const {
  auto it = domains_.find(gtid.domain);
  return it != domains_.end() && it->second.seq >= gtid.seq;
}

bool MariadbGtidPosition::covers(const MariadbGtidPosition& other) const {
  return std::all_of(other.domains_.begin(), other.domains_.end(),
                     [this](const auto& entry) { return contains(entry.second); });
}

bool MariadbGtidPosition::update(const MariadbGtid& gtid) {
  auto [it, inserted] = domains_.try_emplace(gtid.domain, gtid);
  if (inserted) return true;
  if (it->second.seq >= gtid.seq) return false;
  it->second = gtid;
  return true;
}

std::uint64_t lag(const MariadbGtidPosition& behind, const MariadbGtidPosition& ahead) {
  std::uint64_t total = 0;
  for (const auto& [domain, gtid] : ahead.domains()) {
    const auto mine = behind.find(domain);
    const std::uint64_t have = mine ? mine->seq : 0;
    if (gtid.seq > have) total = detail::saturating_add(total, gtid.seq - have);
  }
  return total;
}

}  // namespace causeway::replication
