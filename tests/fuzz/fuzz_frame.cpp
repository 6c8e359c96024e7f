// Fuzzes the Modbus codec on bytes from the wire: framing detection, ADU unwrapping, PDU
// decoding, frame records (which must always be valid JSON), RTU frame lengths, and the
// passive RTU splitter (which must account for every byte it is fed).
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>

#include "iot/modbus/adu.hpp"
#include "iot/modbus/crc.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/modbus/rtu_splitter.hpp"
#include "iot/record/json_writer.hpp"

using namespace iot::modbus;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void records(std::span<const std::uint8_t> in) {
  static DecodedFrame frame;
  static std::string out;
  static simdjson::dom::parser parser;
  static FramePairer pairer;
  pairer.reset(); // no state from earlier inputs: runs must be reproducible
  struct Case {
    std::optional<Framing> framing;
    Direction dir;
  };
  const Case cases[] = {{std::nullopt, Direction::unknown},
                        {Framing::rtu, Direction::request},
                        {Framing::rtu, Direction::response},
                        {Framing::tcp, Direction::unknown},
                        {Framing::ascii, Direction::unknown}};
  for (const Case& c : cases) {
    {
      decode_frame(in, c.framing, c.dir, frame);
      pairer.pair(frame); // the cases decode the same bytes: later ones may pair with earlier
      out.clear();
      iot::JsonWriter w(out);
      write_frame_record(w, iot::TimePoint{}, frame);
      check(!parser.parse(out).error());
      const DecodedPdu& d = frame.pdu;
      if (d.value_kind == ValueKind::registers) check(d.value_bytes.size() >= 2u * d.value_count);
      if (d.value_kind == ValueKind::bits) check(d.value_bytes.size() * 8u >= d.value_count);
      // A PDU that decodes cleanly as a request yields a sane expected response length.
      if (d.ok() && d.direction == Direction::request) {
        if (auto n = expected_response_pdu_length(d.pdu)) check(*n >= 2 && *n <= k_max_pdu_size);
      }
    }
  }
  // A clean RTU frame wraps back to the same bytes.
  const AduView v = unwrap_adu(in, Framing::rtu);
  if (v.ok() && v.unit) check(wrap_rtu(*v.unit, v.pdu) == Bytes(in.begin(), in.end()));
  for (Direction dir : {Direction::request, Direction::response, Direction::unknown}) {
    const RtuLength l = rtu_frame_length(in, dir);
    check(l.length <= k_max_rtu_adu_size);
    if (l.status == RtuLength::need_more) check(l.length > in.size());
  }
}

void splitter(std::span<const std::uint8_t> in) {
  if (in.empty()) return;
  // The length and last byte seed chunk sizes and gaps, so the fuzzer explores timings too.
  std::uint32_t state = static_cast<std::uint32_t>(in.size()) * 2654435761u ^ (in.back() << 8) ^ 0x9E3779B9u;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  if (state == 0) state = 1;
  Bytes seen;
  RtuSplitterOptions options;
  options.baud = (next() & 1) ? 9600 : 115200;
  RtuSplitter s(
      [&](const SplitFrame& f) {
        check(!f.bytes.empty());
        if (f.crc_ok)
          check(rtu_crc_ok(f.bytes));
        else
          check(!f.reason.empty());
        check(f.start_us <= f.end_us);
        seen.insert(seen.end(), f.bytes.begin(), f.bytes.end());
      },
      options);
  std::int64_t t = 0;
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t n = std::min<std::size_t>(1 + next() % 32, in.size() - i);
    t += next() % 30000;
    s.feed(in.subspan(i, n), t);
    if (next() % 8 == 0) s.idle(t + next() % 40000);
    i += n;
  }
  s.flush();
  check(s.pending_bytes() == 0);
  check(seen == Bytes(in.begin(), in.end()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  records(in);
  splitter(in);
  return 0;
}
