#include "routing/words.hpp"

#include <array>
#include <cstddef>

#include "routing/lexer.hpp"

namespace causeway::routing {

namespace {

using K = FunctionKind;

struct FunctionEntry {
  std::string_view name;  // lowercase
  FunctionKind kind;
};

// Built-in functions of MySQL 8 and MariaDB 10.x/11.x (the common ones and those with
// effects), plus keywords and type names that can be followed by `(` without being a call.
constexpr FunctionEntry functions[] = {
    // Effects beyond the value: these decide routing.
    {"get_lock", K::Lock}, {"release_lock", K::Lock}, {"release_all_locks", K::Lock},
    {"is_free_lock", K::Lock}, {"is_used_lock", K::Lock},
    {"last_insert_id", K::LastInsertId}, {"found_rows", K::FoundRows}, {"row_count", K::RowCount},
    {"nextval", K::Sequence}, {"setval", K::Sequence}, {"lastval", K::Sequence},
    {"connection_id", K::ServerSpecific}, {"load_file", K::ServerSpecific},
    {"master_pos_wait", K::ServerSpecific}, {"source_pos_wait", K::ServerSpecific},
    {"master_gtid_wait", K::ServerSpecific}, {"wait_for_executed_gtid_set", K::ServerSpecific},
    {"wait_until_sql_thread_after_gtids", K::ServerSpecific}, {"binlog_gtid_pos", K::ServerSpecific},
    {"wsrep_last_seen_gtid", K::ServerSpecific}, {"wsrep_last_written_gtid", K::ServerSpecific},
    {"wsrep_sync_wait_upto_gtid", K::ServerSpecific}, {"ps_current_thread_id", K::ServerSpecific},
    {"ps_thread_id", K::ServerSpecific},
    // Not calls.
    {"in", K::NotAFunction}, {"exists", K::NotAFunction}, {"values", K::NotAFunction},
    {"value", K::NotAFunction}, {"row", K::NotAFunction}, {"on", K::NotAFunction},
    {"using", K::NotAFunction}, {"from", K::NotAFunction}, {"join", K::NotAFunction},
    {"where", K::NotAFunction}, {"and", K::NotAFunction}, {"or", K::NotAFunction},
    {"not", K::NotAFunction}, {"xor", K::NotAFunction}, {"select", K::NotAFunction},
    {"union", K::NotAFunction}, {"except", K::NotAFunction}, {"intersect", K::NotAFunction},
    {"minus", K::NotAFunction}, {"all", K::NotAFunction}, {"any", K::NotAFunction},
    {"some", K::NotAFunction}, {"distinct", K::NotAFunction}, {"distinctrow", K::NotAFunction},
    {"over", K::NotAFunction}, {"partition", K::NotAFunction}, {"by", K::NotAFunction},
    {"when", K::NotAFunction}, {"then", K::NotAFunction}, {"else", K::NotAFunction},
    {"case", K::NotAFunction}, {"end", K::NotAFunction}, {"between", K::NotAFunction},
    {"like", K::NotAFunction}, {"rlike", K::NotAFunction}, {"regexp", K::NotAFunction},
    {"is", K::NotAFunction}, {"escape", K::NotAFunction}, {"having", K::NotAFunction},
    {"limit", K::NotAFunction}, {"offset", K::NotAFunction}, {"returning", K::NotAFunction},
    {"set", K::NotAFunction}, {"against", K::NotAFunction}, {"index", K::NotAFunction},
    {"key", K::NotAFunction}, {"for", K::NotAFunction}, {"lateral", K::NotAFunction},
    {"table", K::NotAFunction}, {"columns", K::NotAFunction}, {"path", K::NotAFunction},
    {"nested", K::NotAFunction}, {"of", K::NotAFunction}, {"member", K::NotAFunction},
    {"with", K::NotAFunction}, {"recursive", K::NotAFunction}, {"into", K::NotAFunction},
    {"window", K::NotAFunction}, {"range", K::NotAFunction}, {"rows", K::NotAFunction},
    {"groups", K::NotAFunction}, {"order", K::NotAFunction}, {"group", K::NotAFunction},
    {"straight_join", K::NotAFunction}, {"inner", K::NotAFunction}, {"outer", K::NotAFunction},
    {"cross", K::NotAFunction}, {"natural", K::NotAFunction}, {"update", K::NotAFunction},
    {"delete", K::NotAFunction}, {"ignore", K::NotAFunction}, {"force", K::NotAFunction},
    {"use", K::NotAFunction}, {"div", K::NotAFunction}, {"as", K::NotAFunction},
    {"return", K::NotAFunction}, {"elseif", K::NotAFunction}, {"while", K::NotAFunction},
    {"until", K::NotAFunction}, {"do", K::NotAFunction}, {"call", K::NotAFunction},
    {"duplicate", K::NotAFunction}, {"asc", K::NotAFunction}, {"desc", K::NotAFunction},
    {"collate", K::NotAFunction}, {"array", K::NotAFunction},
    // Type names: CAST(x AS DECIMAL(10,2)), JSON_TABLE(... VARCHAR(10) PATH ...).
    {"varchar", K::NotAFunction}, {"nchar", K::NotAFunction}, {"nvarchar", K::NotAFunction},
    {"varbinary", K::NotAFunction}, {"decimal", K::NotAFunction}, {"dec", K::NotAFunction},
    {"numeric", K::NotAFunction}, {"fixed", K::NotAFunction}, {"float", K::NotAFunction},
    {"double", K::NotAFunction}, {"real", K::NotAFunction}, {"int", K::NotAFunction},
    {"integer", K::NotAFunction}, {"bigint", K::NotAFunction}, {"smallint", K::NotAFunction},
    {"tinyint", K::NotAFunction}, {"mediumint", K::NotAFunction}, {"bit", K::NotAFunction},
    {"datetime", K::NotAFunction}, {"signed", K::NotAFunction}, {"unsigned", K::NotAFunction},
    {"json", K::NotAFunction}, {"text", K::NotAFunction}, {"blob", K::NotAFunction},
    {"enum", K::NotAFunction}, {"binary", K::NotAFunction},
    // Built-ins that only compute values.
    {"abs", K::Builtin}, {"acos", K::Builtin}, {"adddate", K::Builtin}, {"addtime", K::Builtin},
    {"add_months", K::Builtin}, {"aes_decrypt", K::Builtin}, {"aes_encrypt", K::Builtin},
    {"any_value", K::Builtin}, {"ascii", K::Builtin}, {"asin", K::Builtin}, {"atan", K::Builtin},
    {"atan2", K::Builtin}, {"avg", K::Builtin}, {"benchmark", K::Builtin}, {"bin", K::Builtin},
    {"bin_to_uuid", K::Builtin}, {"bit_and", K::Builtin}, {"bit_count", K::Builtin},
    {"bit_length", K::Builtin}, {"bit_or", K::Builtin}, {"bit_xor", K::Builtin}, {"cast", K::Builtin},
    {"ceil", K::Builtin}, {"ceiling", K::Builtin}, {"char", K::Builtin}, {"char_length", K::Builtin},
    {"character_length", K::Builtin}, {"charset", K::Builtin}, {"chr", K::Builtin},
    {"coalesce", K::Builtin}, {"coercibility", K::Builtin}, {"collation", K::Builtin},
    {"column_add", K::Builtin}, {"column_check", K::Builtin}, {"column_create", K::Builtin},
    {"column_delete", K::Builtin}, {"column_exists", K::Builtin}, {"column_get", K::Builtin},
    {"column_json", K::Builtin}, {"column_list", K::Builtin}, {"compress", K::Builtin},
    {"concat", K::Builtin}, {"concat_ws", K::Builtin}, {"conv", K::Builtin}, {"convert", K::Builtin},
    {"convert_tz", K::Builtin}, {"cos", K::Builtin}, {"cot", K::Builtin}, {"count", K::Builtin},
    {"crc32", K::Builtin}, {"crc32c", K::Builtin}, {"cume_dist", K::Builtin}, {"curdate", K::Builtin},
    {"current_date", K::Builtin}, {"current_role", K::Builtin}, {"current_time", K::Builtin},
    {"current_timestamp", K::Builtin}, {"current_user", K::Builtin}, {"curtime", K::Builtin},
    {"database", K::Builtin}, {"date", K::Builtin}, {"date_add", K::Builtin},
    {"date_format", K::Builtin}, {"date_sub", K::Builtin}, {"datediff", K::Builtin},
    {"day", K::Builtin}, {"dayname", K::Builtin}, {"dayofmonth", K::Builtin},
    {"dayofweek", K::Builtin}, {"dayofyear", K::Builtin}, {"decode", K::Builtin},
    {"decode_histogram", K::Builtin}, {"decode_oracle", K::Builtin}, {"default", K::Builtin},
    {"degrees", K::Builtin}, {"dense_rank", K::Builtin}, {"des_decrypt", K::Builtin},
    {"des_encrypt", K::Builtin}, {"elt", K::Builtin}, {"encode", K::Builtin}, {"exp", K::Builtin},
    {"export_set", K::Builtin}, {"extract", K::Builtin}, {"extractvalue", K::Builtin},
    {"field", K::Builtin}, {"find_in_set", K::Builtin}, {"first_value", K::Builtin},
    {"floor", K::Builtin}, {"format", K::Builtin}, {"format_bytes", K::Builtin},
    {"format_pico_time", K::Builtin}, {"from_base64", K::Builtin}, {"from_days", K::Builtin},
    {"from_unixtime", K::Builtin}, {"geomcollection", K::Builtin}, {"geometrycollection", K::Builtin},
    {"get_format", K::Builtin}, {"greatest", K::Builtin}, {"group_concat", K::Builtin},
    {"grouping", K::Builtin}, {"gtid_subset", K::Builtin}, {"gtid_subtract", K::Builtin},
    {"hex", K::Builtin}, {"hour", K::Builtin}, {"icu_version", K::Builtin}, {"if", K::Builtin},
    {"ifnull", K::Builtin}, {"inet_aton", K::Builtin}, {"inet_ntoa", K::Builtin},
    {"inet6_aton", K::Builtin}, {"inet6_ntoa", K::Builtin}, {"insert", K::Builtin},
    {"instr", K::Builtin}, {"interval", K::Builtin}, {"is_ipv4", K::Builtin},
    {"is_ipv4_compat", K::Builtin}, {"is_ipv4_mapped", K::Builtin}, {"is_ipv6", K::Builtin},
    {"is_uuid", K::Builtin}, {"isnull", K::Builtin}, {"json_array", K::Builtin},
    {"json_array_append", K::Builtin}, {"json_array_insert", K::Builtin},
    {"json_array_intersect", K::Builtin}, {"json_arrayagg", K::Builtin}, {"json_compact", K::Builtin},
    {"json_contains", K::Builtin}, {"json_contains_path", K::Builtin}, {"json_depth", K::Builtin},
    {"json_detailed", K::Builtin}, {"json_equals", K::Builtin}, {"json_exists", K::Builtin},
    {"json_extract", K::Builtin}, {"json_insert", K::Builtin}, {"json_key_value", K::Builtin},
    {"json_keys", K::Builtin}, {"json_length", K::Builtin}, {"json_loose", K::Builtin},
    {"json_merge", K::Builtin}, {"json_merge_patch", K::Builtin}, {"json_merge_preserve", K::Builtin},
    {"json_normalize", K::Builtin}, {"json_object", K::Builtin}, {"json_object_filter_keys", K::Builtin},
    {"json_object_to_array", K::Builtin}, {"json_objectagg", K::Builtin}, {"json_overlaps", K::Builtin},
    {"json_pretty", K::Builtin}, {"json_query", K::Builtin}, {"json_quote", K::Builtin},
    {"json_remove", K::Builtin}, {"json_replace", K::Builtin}, {"json_schema_valid", K::Builtin},
    {"json_schema_validation_report", K::Builtin}, {"json_search", K::Builtin}, {"json_set", K::Builtin},
    {"json_storage_free", K::Builtin}, {"json_storage_size", K::Builtin}, {"json_table", K::Builtin},
    {"json_type", K::Builtin}, {"json_unquote", K::Builtin}, {"json_valid", K::Builtin},
    {"json_value", K::Builtin}, {"kdf", K::Builtin}, {"lag", K::Builtin}, {"last_day", K::Builtin},
    {"last_value", K::Builtin}, {"lcase", K::Builtin}, {"lead", K::Builtin}, {"least", K::Builtin},
    {"left", K::Builtin}, {"length", K::Builtin}, {"lengthb", K::Builtin}, {"linestring", K::Builtin},
    {"ln", K::Builtin}, {"localtime", K::Builtin}, {"localtimestamp", K::Builtin}, {"locate", K::Builtin},
    {"log", K::Builtin}, {"log10", K::Builtin}, {"log2", K::Builtin}, {"lower", K::Builtin},
    {"lpad", K::Builtin}, {"ltrim", K::Builtin}, {"make_set", K::Builtin}, {"makedate", K::Builtin},
    {"maketime", K::Builtin}, {"match", K::Builtin}, {"max", K::Builtin}, {"mbrcontains", K::Builtin},
    {"mbrcoveredby", K::Builtin}, {"mbrcovers", K::Builtin}, {"mbrdisjoint", K::Builtin},
    {"mbrequals", K::Builtin}, {"mbrintersects", K::Builtin}, {"mbroverlaps", K::Builtin},
    {"mbrtouches", K::Builtin}, {"mbrwithin", K::Builtin}, {"md5", K::Builtin}, {"median", K::Builtin},
    {"microsecond", K::Builtin}, {"mid", K::Builtin}, {"min", K::Builtin}, {"minute", K::Builtin},
    {"mod", K::Builtin}, {"month", K::Builtin}, {"monthname", K::Builtin},
    {"multilinestring", K::Builtin}, {"multipoint", K::Builtin}, {"multipolygon", K::Builtin},
    {"name_const", K::Builtin}, {"natural_sort_key", K::Builtin}, {"now", K::Builtin},
    {"nth_value", K::Builtin}, {"ntile", K::Builtin}, {"nullif", K::Builtin}, {"nvl", K::Builtin},
    {"nvl2", K::Builtin}, {"oct", K::Builtin}, {"octet_length", K::Builtin}, {"ord", K::Builtin},
    {"percent_rank", K::Builtin}, {"percentile_cont", K::Builtin}, {"percentile_disc", K::Builtin},
    {"period_add", K::Builtin}, {"period_diff", K::Builtin}, {"pi", K::Builtin}, {"point", K::Builtin},
    {"polygon", K::Builtin}, {"position", K::Builtin}, {"pow", K::Builtin}, {"power", K::Builtin},
    {"quarter", K::Builtin}, {"quote", K::Builtin}, {"radians", K::Builtin}, {"rand", K::Builtin},
    {"random_bytes", K::Builtin}, {"rank", K::Builtin}, {"regexp_instr", K::Builtin},
    {"regexp_like", K::Builtin}, {"regexp_replace", K::Builtin}, {"regexp_substr", K::Builtin},
    {"repeat", K::Builtin}, {"replace", K::Builtin}, {"reverse", K::Builtin}, {"right", K::Builtin},
    {"roles_graphml", K::Builtin}, {"round", K::Builtin}, {"row_number", K::Builtin},
    {"rownum", K::Builtin}, {"rpad", K::Builtin}, {"rtrim", K::Builtin}, {"schema", K::Builtin},
    {"sec_to_time", K::Builtin}, {"second", K::Builtin}, {"session_user", K::Builtin},
    {"sformat", K::Builtin}, {"sha", K::Builtin}, {"sha1", K::Builtin}, {"sha2", K::Builtin},
    {"sign", K::Builtin}, {"sin", K::Builtin}, {"sleep", K::Builtin}, {"soundex", K::Builtin},
    {"space", K::Builtin}, {"sqrt", K::Builtin}, {"st_area", K::Builtin}, {"st_asbinary", K::Builtin},
    {"st_asgeojson", K::Builtin}, {"st_astext", K::Builtin}, {"st_aswkb", K::Builtin},
    {"st_aswkt", K::Builtin}, {"st_buffer", K::Builtin}, {"st_centroid", K::Builtin},
    {"st_contains", K::Builtin}, {"st_convexhull", K::Builtin}, {"st_crosses", K::Builtin},
    {"st_difference", K::Builtin}, {"st_dimension", K::Builtin}, {"st_disjoint", K::Builtin},
    {"st_distance", K::Builtin}, {"st_distance_sphere", K::Builtin}, {"st_endpoint", K::Builtin},
    {"st_envelope", K::Builtin}, {"st_equals", K::Builtin}, {"st_geohash", K::Builtin},
    {"st_geomfromgeojson", K::Builtin}, {"st_geomfromtext", K::Builtin},
    {"st_geomfromwkb", K::Builtin}, {"st_intersection", K::Builtin}, {"st_intersects", K::Builtin},
    {"st_isempty", K::Builtin}, {"st_isvalid", K::Builtin}, {"st_latitude", K::Builtin},
    {"st_length", K::Builtin}, {"st_longitude", K::Builtin}, {"st_makeenvelope", K::Builtin},
    {"st_overlaps", K::Builtin}, {"st_pointfromtext", K::Builtin}, {"st_simplify", K::Builtin},
    {"st_srid", K::Builtin}, {"st_touches", K::Builtin}, {"st_transform", K::Builtin},
    {"st_union", K::Builtin}, {"st_within", K::Builtin}, {"st_x", K::Builtin}, {"st_y", K::Builtin},
    {"statement_digest", K::Builtin}, {"statement_digest_text", K::Builtin}, {"std", K::Builtin},
    {"stddev", K::Builtin}, {"stddev_pop", K::Builtin}, {"stddev_samp", K::Builtin},
    {"str_to_date", K::Builtin}, {"strcmp", K::Builtin}, {"subdate", K::Builtin}, {"substr", K::Builtin},
    {"substring", K::Builtin}, {"substring_index", K::Builtin}, {"subtime", K::Builtin},
    {"sum", K::Builtin}, {"sys_guid", K::Builtin}, {"sysdate", K::Builtin}, {"system_user", K::Builtin},
    {"tan", K::Builtin}, {"time", K::Builtin}, {"time_format", K::Builtin}, {"time_to_sec", K::Builtin},
    {"timediff", K::Builtin}, {"timestamp", K::Builtin}, {"timestampadd", K::Builtin},
    {"timestampdiff", K::Builtin}, {"to_base64", K::Builtin}, {"to_char", K::Builtin},
    {"to_days", K::Builtin}, {"to_seconds", K::Builtin}, {"trim", K::Builtin}, {"truncate", K::Builtin},
    {"ucase", K::Builtin}, {"uncompress", K::Builtin}, {"uncompressed_length", K::Builtin},
    {"unhex", K::Builtin}, {"unix_timestamp", K::Builtin}, {"updatexml", K::Builtin},
    {"upper", K::Builtin}, {"user", K::Builtin}, {"utc_date", K::Builtin}, {"utc_time", K::Builtin},
    {"utc_timestamp", K::Builtin}, {"uuid", K::Builtin}, {"uuid_short", K::Builtin},
    {"uuid_to_bin", K::Builtin}, {"validate_password_strength", K::Builtin}, {"var_pop", K::Builtin},
    {"var_samp", K::Builtin}, {"variance", K::Builtin}, {"version", K::Builtin}, {"week", K::Builtin},
    {"weekday", K::Builtin}, {"weekofyear", K::Builtin}, {"weight_string", K::Builtin},
    {"year", K::Builtin}, {"yearweek", K::Builtin},
};

// Keywords the digest lowercases (function names are lowercased from the table above).
constexpr std::string_view keywords[] = {
    "accessible", "action", "add", "after", "against", "algorithm", "all", "alter", "always",
    "analyze", "and", "any", "as", "asc", "at", "auto_increment", "avg_row_length", "backup",
    "before", "begin", "between", "bigint", "binary", "binlog", "bit", "blob", "bool", "boolean",
    "both", "btree", "by", "call", "cascade", "cascaded", "case", "chain", "change", "char",
    "character", "charset", "check", "checksum", "collate", "column", "columns", "comment",
    "commit", "committed", "compact", "compressed", "concurrent", "connection", "consistent",
    "constraint", "continue", "create", "cross", "current", "cursor", "data", "database",
    "databases", "datetime", "deallocate", "dec", "decimal", "declare", "default", "definer",
    "delayed", "delete", "desc", "describe", "deterministic", "disable", "distinct",
    "distinctrow", "div", "do", "double", "drop", "dual", "dumpfile", "duplicate", "dynamic",
    "each", "else", "elseif", "enable", "enclosed", "end", "engine", "enum", "errors", "escape",
    "escaped", "event", "events", "except", "exclusive", "execute", "exists", "explain",
    "extended", "false", "fields", "first", "fixed", "float", "flush", "following", "for",
    "force", "foreign", "format", "from", "full", "fulltext", "function", "global", "grant",
    "grants", "group", "handler", "hash", "having", "help", "high_priority", "identified", "if",
    "ignore", "immediate", "in", "index", "indexes", "infile", "inner", "inout", "insert",
    "instance", "int", "integer", "intersect", "interval", "into", "invoker", "is", "isolation",
    "join", "json", "key", "keys", "kill", "last", "lateral", "leading", "left", "level", "like",
    "limit", "linear", "lines", "load", "local", "lock", "locked", "logs", "longblob",
    "longtext", "low_priority", "master", "match", "mediumblob", "mediumint", "mediumtext",
    "merge", "minus", "mod", "mode", "modifies", "modify", "names", "natural", "next", "no",
    "not", "nowait", "null", "numeric", "of", "offset", "on", "only", "optimize", "option",
    "optionally", "or", "order", "out", "outer", "outfile", "over", "partition", "partitions",
    "password", "persist", "persist_only", "precedes", "preceding", "prepare", "previous",
    "primary", "privileges", "procedure", "processlist", "purge", "query", "quick", "range",
    "read", "reads", "real", "recursive", "references", "regexp", "release", "rename", "repair",
    "repeatable", "replace", "replica", "require", "reset", "restrict", "return", "returning",
    "returns", "revoke", "right", "rlike", "role", "rollback", "rollup", "row", "row_format",
    "rows", "savepoint", "schema", "schemas", "security", "select", "separator", "sequence",
    "serializable", "session", "set", "share", "show", "signed", "skip", "slave", "smallint",
    "snapshot", "some", "spatial", "sql", "sql_big_result", "sql_buffer_result", "sql_cache",
    "sql_calc_found_rows", "sql_no_cache", "sql_small_result", "start", "starting", "status",
    "stored", "straight_join", "table", "tables", "temporary", "temptable", "terminated", "text",
    "then", "tinyblob", "tinyint", "tinytext", "to", "trailing", "transaction", "trigger", "true",
    "truncate", "uncommitted", "undefined", "union", "unique", "unknown", "unlock", "unsigned",
    "until", "update", "usage", "use", "user", "using", "value", "values", "varbinary", "varchar",
    "variables", "view", "virtual", "wait", "warnings", "when", "where", "while", "window", "with",
    "work", "write", "xa", "xor", "zerofill",
};

constexpr std::string_view name_of(const FunctionEntry& e) { return e.name; }
constexpr std::string_view name_of(std::string_view s) { return s; }

constexpr std::uint32_t word_hash(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (char c : s) {
    h ^= static_cast<unsigned char>(to_lower_ascii(c));
    h *= 16777619u;
  }
  return h;
}

// Open addressing with linear probing; a slot holds index + 1 (0 = empty).
template <std::size_t Slots, typename Names>
constexpr std::array<std::uint16_t, Slots> build_table(const Names& names) {
  std::array<std::uint16_t, Slots> table{};
  std::size_t i = 0;
  for (const auto& entry : names) {
    std::size_t slot = word_hash(name_of(entry)) & (Slots - 1);
    while (table[slot] != 0) slot = (slot + 1) & (Slots - 1);
    table[slot] = static_cast<std::uint16_t>(++i);
  }
  return table;
}

constexpr std::size_t function_slots = 2048;
constexpr std::size_t keyword_slots = 1024;
static_assert(std::size(functions) * 2 < function_slots);
static_assert(std::size(keywords) * 2 < keyword_slots);

constexpr auto function_table = build_table<function_slots>(functions);
constexpr auto keyword_table = build_table<keyword_slots>(keywords);

// The index of `word` in `names`, or -1.
template <std::size_t Slots, typename Names>
int find(const std::array<std::uint16_t, Slots>& table, const Names& names, std::string_view word) {
  if (word.size() > 40) return -1;
  std::size_t slot = word_hash(word) & (Slots - 1);
  while (const auto idx = table[slot]) {
    if (iequals(word, name_of(names[idx - 1]))) return idx - 1;
    slot = (slot + 1) & (Slots - 1);
  }
  return -1;
}

}  // namespace

FunctionKind lookup_function(std::string_view name) {
  const int i = find(function_table, functions, name);
  return i < 0 ? FunctionKind::Unknown : functions[i].kind;
}

bool is_keyword(std::string_view word) { return find(keyword_table, keywords, word) >= 0; }

std::size_t function_count() { return std::size(functions); }
std::string_view function_name(std::size_t i) { return functions[i].name; }
std::size_t keyword_count() { return std::size(keywords); }
std::string_view keyword_name(std::size_t i) { return keywords[i]; }

}  // namespace causeway::routing
