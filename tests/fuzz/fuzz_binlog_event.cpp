// The binlog decoder on arbitrary bytes: a Decoder fed a run of events (so a
// FORMAT_DESCRIPTION changes how the rest are read, CRC on or off), dump-stream packets, or
// a whole file; every decoded event goes to a TransactionTracker.
//
// Input: [flags, 1 byte] then the bytes under test.
//   flags bit 0: the stream starts with CRC32 (else off)   bit 1: semi-sync headers
//         bit 2: decompress TRANSACTION_PAYLOADs          bit 3: the rest is a whole file
//         bit 4: records are stream packets (else bare events)
//   Records: [u16 length][bytes], the last one cut short if the input ends.
// Invariants: a decoded event is as long as its event_size, its body lies inside it and
// ends 0 or 4 bytes before its end, inner payload events lie in the payload's buffer;
// decoding does not depend on anything but the decoder's state (a copy agrees); a file
// decodes to events that tile it up to the error; the tracker only completes an open group.
#include <cstring>
#include <vector>

#include "replication/binlog_event.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace bl = causeway::replication::binlog;
using causeway::fuzz::check;

namespace {

bool inside(bl::Bytes part, bl::Bytes whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_event(const bl::Event& e, bl::Bytes bytes) {
  check(e.header.event_size == bytes.size(), "event_size is not the event's length");
  check(inside(e.raw_body, bytes), "body outside the event");
  check(e.raw_body.data() == bytes.data() + bl::header_size, "body does not follow the header");
  const std::size_t tail = bytes.size() - bl::header_size - e.raw_body.size();
  check(tail == 0 || tail == bl::checksum_size, "body does not end at the CRC");
  check(!e.crc_verified || tail == bl::checksum_size, "CRC verified without CRC bytes");
  if (const auto* p = e.get<bl::TransactionPayload>()) {
    check(p->decompressed == (p->uncompressed != nullptr), "payload buffer and flag disagree");
    check(p->decompressed || p->events.empty(), "inner events without decompression");
    for (const auto& inner : p->events) {
      check(inside(inner.raw_body, *p->uncompressed), "inner event outside the payload");
      check(!inner.crc_verified && inner.get<bl::TransactionPayload>() == nullptr,
            "inner event with CRC or payload");
    }
  }
}

void track(bl::TransactionTracker& tracker, const bl::Event& e) {
  const bool was_open = tracker.in_transaction();
  if (tracker.on_event(e)) {
    check(was_open, "completed a transaction that was never opened");
    check(!tracker.in_transaction(), "still in a transaction after completing it");
  }
}

void decode_one(bl::Decoder& decoder, bl::TransactionTracker& tracker, bl::Bytes bytes) {
  bl::Decoder twin = decoder;
  auto event = decoder.decode(bytes);
  auto again = twin.decode(bytes);
  check(event.ok() == again.ok(), "the same bytes decode differently");
  if (!event) {
    check(event.error().offset == again.error().offset && event.error().message == again.error().message,
          "the same bytes fail differently");
    check(!event.error().message.empty(), "an error without a message");
    return;
  }
  check(again->body.index() == event->body.index() && again->raw_body.size() == event->raw_body.size(),
        "the same bytes decode differently");
  check(decoder.checksum() == twin.checksum(), "decoder state differs after the same bytes");
  check_event(*event, bytes);
  track(tracker, *event);
}

void decode_records(bl::Bytes rest, std::uint8_t flags, const bl::DecoderOptions& options) {
  bl::Decoder decoder(options);
  decoder.set_checksum((flags & 1) != 0 ? bl::Checksum::crc32 : bl::Checksum::off);
  bl::TransactionTracker tracker;
  causeway::fuzz::Input in(rest.data(), rest.size());
  while (!in.rest().empty()) {
    const std::size_t len = std::min<std::size_t>(in.u16(), in.rest().size());
    const bl::Bytes record = in.rest().first(len);
    for (std::size_t i = 0; i < len; ++i) (void)in.u8();
    if ((flags & 0x10) == 0) {
      decode_one(decoder, tracker, record);
      continue;
    }
    auto packet = bl::decode_stream_packet(record, (flags & 2) != 0);
    if (!packet) continue;
    if (const auto* se = std::get_if<bl::StreamEvent>(&*packet)) {
      check(inside(se->event, record), "stream event outside its packet");
      decode_one(decoder, tracker, se->event);
    }
  }
}

void decode_whole_file(bl::Bytes file, const bl::DecoderOptions& options) {
  const auto decoded = bl::decode_file(file, options);
  std::size_t pos = 4;
  bl::TransactionTracker tracker;
  for (const auto& e : decoded.events) {
    check(pos + e.header.event_size <= file.size(), "event beyond the file");
    check_event(e, file.subspan(pos, e.header.event_size));
    track(tracker, e);
    pos += e.header.event_size;
  }
  if (decoded.error) {
    check(decoded.error->offset <= file.size(), "error offset beyond the file");
    check(decoded.events.empty() || decoded.error->offset >= pos, "error offset before its event");
  } else {
    check(pos == file.size(), "events do not tile the file");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  causeway::fuzz::Input in(data, size);
  const std::uint8_t flags = in.u8();
  const bl::Bytes rest = in.rest();
  // Small enough that a hostile frame cannot make a run slow.
  const bl::DecoderOptions options{.decompress_payloads = (flags & 4) != 0,
                                   .max_uncompressed_size = 1 << 20};
  if ((flags & 8) != 0) {
    decode_whole_file(rest, options);
  } else {
    decode_records(rest, flags, options);
  }
  return 0;
}
