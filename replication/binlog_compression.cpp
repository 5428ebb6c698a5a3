// zstd for TRANSACTION_PAYLOAD bodies, bounded so a small hostile frame cannot claim
// gigabytes.
#include <zstd.h>

#include <algorithm>
#include <memory>

#include "replication/binlog_detail.hpp"

namespace causeway::replication::binlog::detail {

bool zstd_decompress(Bytes in, std::size_t limit, std::vector<std::uint8_t>& out, std::string& error) {
  const std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!ctx) {
    error = "zstd: out of memory";
    return false;
  }
  // One byte more than allowed: writing it proves the payload is too large, and a payload of
  // exactly `limit` bytes still finds room to finish.
  const std::size_t hard_cap = limit + 1;
  out.resize(std::min(hard_cap, std::max<std::size_t>(64 * 1024, in.size() * 8)));
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::size_t produced = 0;
  for (;;) {
    ZSTD_outBuffer output{out.data(), out.size(), produced};
    const std::size_t before_in = input.pos;
    const std::size_t rc = ZSTD_decompressStream(ctx.get(), &output, &input);
    if (ZSTD_isError(rc) != 0) {
      error = std::string("zstd: ") + ZSTD_getErrorName(rc);
      return false;
    }
    const bool progress = output.pos != produced || input.pos != before_in;
    produced = output.pos;
    if (produced > limit) {
      error = "payload decompresses to more than " + std::to_string(limit) + " bytes";
      return false;
    }
    if (rc == 0 && input.pos == input.size) break;  // last frame complete
    if (output.pos == output.size) {
      out.resize(std::min(hard_cap, out.size() * 2));
      continue;
    }
    if (input.pos == input.size) {
      error = "zstd: truncated frame";
      return false;
    }
    if (!progress) {
      error = "zstd: no progress";
      return false;
    }
  }
  out.resize(produced);
  return true;
}

}  // namespace causeway::replication::binlog::detail
