// Shared by the binlog tests: reading ../shared/testdata/binlog (the path comes from the
// build: CAUSEWAY_BINLOG_TESTDATA), and a summary of decoded events (counts per type, CRCs
// checked, transactions completed).
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "replication/binlog_event.hpp"

namespace causeway::replication::testdata {

namespace bl = causeway::replication::binlog;
namespace repl = causeway::replication;
using Counts = std::map<bl::EventType, std::size_t>;

// The bytes of a vector file; a missing test-data directory fails the test (never skipped).
inline std::vector<std::uint8_t> read_vector(const std::string& relative) {
  const std::filesystem::path dir = CAUSEWAY_BINLOG_TESTDATA;
  if (!std::filesystem::is_directory(dir)) {
    FAIL("binlog test vectors not found at " << dir.string()
                                             << " (../shared/testdata/binlog next to the repository)");
  }
  std::ifstream in(dir / relative, std::ios::binary);
  if (!in) FAIL("cannot open " << (dir / relative).string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string text(const bl::Completed& done) {
  if (const auto* g = done.mysql()) return repl::to_string(*g);
  if (const auto* g = done.mariadb()) return repl::to_string(*g);
  return "anonymous";
}

struct Summary {
  Counts counts;
  std::size_t crc_ok = 0;
  std::vector<std::string> gtids;
  std::size_t anonymous = 0;
  bl::TransactionTracker tracker;
};

inline void add(Summary& s, const bl::Event& e) {
  ++s.counts[e.type()];
  if (e.crc_verified) ++s.crc_ok;
  if (auto done = s.tracker.on_event(e)) {
    if (done->anonymous()) {
      ++s.anonymous;
    } else {
      s.gtids.push_back(text(*done));
    }
  }
}

inline std::vector<std::string> mysql_range(const std::string& uuid, std::uint64_t first, std::uint64_t last) {
  std::vector<std::string> out;
  for (auto i = first; i <= last; ++i) out.push_back(uuid + ":" + std::to_string(i));
  return out;
}

inline std::vector<std::string> mariadb_range(const std::string& prefix, std::uint64_t first, std::uint64_t last) {
  std::vector<std::string> out;
  for (auto i = first; i <= last; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

inline std::vector<std::string> join(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace causeway::replication::testdata
