// The statement corpus (corpus.tsv): ORM output, drivers, dump files and tricky cases, each
// with its expected class, replica-safety and exact flags.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "routing/classifier.hpp"

namespace r = causeway::routing;

namespace {

struct Row {
  int line = 0;
  std::string cls;  // "read", "transaction/commit", ...
  bool safe = false;
  std::set<std::string> flags;
  std::string sql;
};

std::string expand(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 4, "{NL}") == 0) {
      out += '\n';
      i += 3;
    } else if (s.compare(i, 5, "{TAB}") == 0) {
      out += '\t';
      i += 4;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::string> split_tabs(const std::string& line, std::size_t fields) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (out.size() + 1 < fields) {
    const auto tab = line.find('\t', start);
    if (tab == std::string::npos) break;
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  out.push_back(line.substr(start));
  return out;
}

std::vector<Row> load_corpus() {
  const std::string path = std::string(CAUSEWAY_SOURCE_DIR) + "/tests/unit/routing/corpus.tsv";
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<Row> rows;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto f = split_tabs(line, 4);
    INFO("corpus.tsv:" << n << ": " << line);
    REQUIRE(f.size() == 4);
    REQUIRE((f[1] == "yes" || f[1] == "no"));
    Row row{n, f[0], f[1] == "yes", {}, expand(f[3])};
    if (f[2] != "-") {
      std::stringstream ss(f[2]);
      std::string name;
      while (std::getline(ss, name, ',')) row.flags.insert(name);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string class_of(const r::Classification& c) {
  std::string s = r::to_string(c.cls);
  if (c.action != r::StatementAction::None) s += std::string("/") + r::to_string(c.action);
  return s;
}

std::set<std::string> flags_of(const r::Classification& c) {
  std::set<std::string> out;
  for (int bit = 0; bit < 32; ++bit)
    if (c.flags & (1u << bit)) out.insert(std::string(r::flag_name(1u << bit)));
  return out;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ",") + x;
  return out.empty() ? "-" : out;
}

}  // namespace

TEST_CASE("Every corpus statement gets its expected class, replica safety and flags", "[routing][corpus]") {
  const auto rows = load_corpus();
  REQUIRE(rows.size() >= 300);
  std::set<std::string> seen;
  for (const auto& row : rows) {
    INFO("corpus.tsv:" << row.line << ": " << row.sql);
    CHECK(seen.insert(row.sql).second);  // no duplicate statements
    const auto c = r::classify(row.sql);
    CHECK(class_of(c) == row.cls);
    CHECK(r::is_replica_safe(c) == row.safe);
    CHECK(join(flags_of(c)) == join(row.flags));
  }
}

TEST_CASE("Every flag has a name the corpus can use", "[routing][corpus]") {
  for (int bit = 0; bit < 25; ++bit) {
    INFO("bit " << bit);
    CHECK_FALSE(r::flag_name(1u << bit).empty());
  }
  CHECK(r::flag_name(1u << 31).empty());
}
