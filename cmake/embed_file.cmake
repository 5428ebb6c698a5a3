# Turns a file into a C++ header holding its bytes (run with cmake -P at build time):
#   cmake -DINPUT=file -DOUTPUT=header -DNAME=function -DNAMESPACE=ns -P embed_file.cmake
# The header defines `std::string_view NAME()` in NAMESPACE. The bytes are written as a
# hex array, so any content embeds (no raw-string delimiter can clash with it).
foreach(var INPUT OUTPUT NAME NAMESPACE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: ${var} is not set")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
# 20 bytes a line, then each byte as 0xNN.
string(REGEX REPLACE "([0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])" "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
get_filename_component(source_name "${INPUT}" NAME)

set(text "// Generated at build time from ${source_name} by cmake/embed_file.cmake: do not edit.
#pragma once

#include <string_view>

namespace ${NAMESPACE} {
namespace detail {
// ${size} bytes, then a NUL so the array is never empty.
inline constexpr unsigned char ${NAME}_bytes[] = {
${bytes}0x00};
}  // namespace detail

inline std::string_view ${NAME}() {
  return {reinterpret_cast<const char*>(detail::${NAME}_bytes), sizeof(detail::${NAME}_bytes) - 1};
}

}  // namespace ${NAMESPACE}
")
# Rewrite only on change, so an unchanged file recompiles nothing.
file(WRITE "${OUTPUT}.tmp" "${text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
