// Statement digest: the normalized text that rules match against.
//
//   SELECT `users`.* FROM `users` WHERE `users`.`id` IN (1, 2, 3) /* app */ LIMIT 1
//   -> select users.* from users where users.id in (?, ...) limit ?
//
// Literals (strings, numbers, hex/bit values, `?` and `%s` placeholders) become `?`; a
// comma-separated run of them becomes `?, ...`, and repeated identical row tuples
// `(...), (...)` become `(...), ...`. Keywords and built-in function names are lowercased;
// identifiers keep their case (table names are case-sensitive on Linux), and backticks are
// dropped where the name needs none. Comments (hints included) are removed, executable
// comments keep their SQL, whitespace becomes single spaces, a trailing `;` is dropped.
// It allocates: compute it only when a rule needs it.
#pragma once

#include <string>
#include <string_view>

#include "routing/lexer.hpp"

namespace causeway::routing {

std::string digest(std::string_view sql, LexOptions options = {});

}  // namespace causeway::routing
