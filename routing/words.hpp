// Word lists the classifier and the digest need: built-in functions (and the few that have
// effects beyond computing a value), and SQL keywords. Case-insensitive, no allocation:
// compile-time hash tables probed with the word's lowercase FNV-1a hash.
#pragma once

#include <cstdint>
#include <string_view>

namespace causeway::routing {

enum class FunctionKind : std::uint8_t {
  Unknown,         // not a built-in: a stored function (which may write) or a UDF
  Builtin,         // a built-in that only computes a value
  NotAFunction,    // a keyword or type name that may precede `(`: IN (, ROW(, DECIMAL(10,2)
  Lock,            // GET_LOCK, RELEASE_LOCK, RELEASE_ALL_LOCKS, IS_FREE_LOCK, IS_USED_LOCK
  LastInsertId,    // LAST_INSERT_ID
  FoundRows,       // FOUND_ROWS
  RowCount,        // ROW_COUNT
  Sequence,        // NEXTVAL, SETVAL, LASTVAL (MariaDB sequences)
  ServerSpecific,  // the answer belongs to one server or connection: CONNECTION_ID, LOAD_FILE,
                   // MASTER_POS_WAIT, WAIT_FOR_EXECUTED_GTID_SET, ...
};

// What calling `name(...)` means; `name` as written, any case.
FunctionKind lookup_function(std::string_view name);

// Whether `word` is an SQL keyword (reserved or not) that the digest writes in lowercase.
bool is_keyword(std::string_view word);

// For tests: every listed name, to check each one is found again.
std::size_t function_count();
std::string_view function_name(std::size_t i);
std::size_t keyword_count();
std::string_view keyword_name(std::size_t i);

}  // namespace causeway::routing
