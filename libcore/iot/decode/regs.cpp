#include <charconv>

#include "iot/config/site.hpp"
#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/decode/commands.hpp"
#include "iot/record/line_reader.hpp"
#include "iot/record/record.hpp"
#include "iot/record/records.hpp"

namespace iot::decode {

namespace {

std::uint16_t parse_word(const std::string& text, bool hex, std::size_t index) {
  std::string_view s = text;
  int base = hex ? 16 : 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size() || v > 0xFFFF || s.empty())
    throw usage_error("word " + std::to_string(index + 1) + " '" + text +
                      "' is not a register value (0-65535 or 0x0000-0xFFFF)");
  return static_cast<std::uint16_t>(v);
}

// Which table a frame's values belong to, by function code ([AP] §6).
std::optional<values::Table> table_of(std::int64_t fc) {
  switch (fc) {
  case 0x01:
  case 0x05:
  case 0x0F: return values::Table::coil;
  case 0x02: return values::Table::discrete_input;
  case 0x03:
  case 0x06:
  case 0x10:
  case 0x17: return values::Table::holding_register;
  case 0x04: return values::Table::input_register;
  default: return std::nullopt;
  }
}

// Decodes consecutive values of `format` from `words`, the first at `first`.
void decode_run(LineSink& out, TimePoint ts, std::optional<unsigned> unit, std::string_view device, values::Ref first,
                std::span<const std::uint16_t> words, const RegsCommand& cmd) {
  // A string without --length takes all the words; every other type its own width.
  const std::size_t n = cmd.format.type == values::ValueType::string && cmd.format.length == 0
                            ? words.size()
                            : values::register_count(cmd.format);
  if (n == 0) return;
  std::size_t i = 0;
  for (; i + n <= words.size(); i += n) {
    values::Ref ref{first.table, static_cast<std::uint16_t>(first.addr + i)};
    const std::string addr = values::to_string(ref);
    const auto raw = words.subspan(i, n);
    write_record(out, record::Reading{.ts = ts,
                                      .unit = unit,
                                      .device = device,
                                      .point = addr,
                                      .addr = addr,
                                      .value = values::to_engineering(values::decode(raw, cmd.format), cmd.scaling),
                                      .raw = raw});
  }
  if (i < words.size())
    log::warn("{} words left over: {} takes {} words per value", words.size() - i,
              values::value_type_name(cmd.format.type), n);
}

} // namespace

ExitCode run_regs(const RegsCommand& cmd, LineSink& out) {
  std::optional<config::Site> site;
  if (!cmd.site.empty()) site = config::load_site(cmd.site);
  if (!cmd.port.empty() && (!site || !site->find_port(cmd.port)))
    throw usage_error("--port " + cmd.port + ": no such port in the site file");

  if (!cmd.words.empty()) {
    std::vector<std::uint16_t> words;
    for (std::size_t i = 0; i < cmd.words.size(); ++i)
      words.push_back(parse_word(cmd.words[i], cmd.hex, i));
    const std::size_t n =
        cmd.format.type == values::ValueType::string && cmd.format.length == 0 ? 1 : values::register_count(cmd.format);
    if (words.size() < n)
      throw usage_error(std::string(values::value_type_name(cmd.format.type)) + " needs " + std::to_string(n) +
                        " words, got " + std::to_string(words.size()));
    values::Ref first = values::parse_ref(cmd.addr);
    decode_run(out, now(), std::nullopt, "regs", first, words, cmd);
    out.flush();
    return ExitCode::ok;
  }

  LineReader reader(cmd.input_fd);
  reader.set_before_read([&out] { out.flush(); });
  RecordParser parser;
  std::size_t bad = 0;
  std::string_view text;
  std::vector<std::uint16_t> words;
  std::vector<bool> bits;
  while (!stop_requested() && reader.next(text)) {
    if (text.empty()) continue;
    const std::size_t n = reader.line_number();
    try {
      simdjson::dom::object rec = parser.parse(text, n);
      const RecordKind kind = get_kind(rec);
      const TimePoint ts = get_ts(rec).value_or(now());
      words.clear();
      bits.clear();
      simdjson::dom::array arr;
      const std::string_view list = kind == RecordKind::reading ? fields::raw : fields::values;
      if (kind != RecordKind::frame && kind != RecordKind::reading) continue; // nothing to decode
      if (rec[list].get_array().get(arr)) continue;                           // a request without values, a status ...
      for (simdjson::dom::element e : arr) {
        std::uint64_t u;
        bool b;
        if (!e.get_uint64().get(u) && u <= 0xFFFF)
          words.push_back(static_cast<std::uint16_t>(u));
        else if (!e.get_bool().get(b))
          bits.push_back(b);
        else
          throw data_error("line " + std::to_string(n) + ": " + std::string(list) +
                           " holds something that is not a register word");
      }

      if (kind == RecordKind::reading) {
        // Re-read the raw words of a reading with another type, order or scaling.
        auto device = get_string(rec, fields::device).value_or("");
        auto point = get_string(rec, fields::point).value_or("");
        values::Format format = cmd.format;
        values::Scaling scaling = cmd.scaling;
        std::string_view uom;
        if (site) {
          const config::Device* d = site->find_device(device);
          const config::Point* p = d ? d->find_point(point) : nullptr;
          if (p) {
            format = p->format;
            scaling = p->scaling;
            uom = p->uom;
          }
        }
        if (words.size() < values::register_count(format)) {
          throw data_error("line " + std::to_string(n) + ": raw has " + std::to_string(words.size()) + " words, " +
                           std::string(values::value_type_name(format.type)) + " needs " +
                           std::to_string(values::register_count(format)));
        }
        record::Reading r;
        r.ts = ts;
        r.port = get_string(rec, fields::port).value_or("");
        if (auto u = get_int(rec, fields::unit)) r.unit = static_cast<unsigned>(*u);
        r.device = device;
        r.point = point;
        r.addr = get_string(rec, fields::addr).value_or("");
        r.raw = words;
        r.value = values::to_engineering(values::decode(words, format), scaling);
        r.uom = uom.empty() ? get_string(rec, fields::uom).value_or("") : uom;
        RecordLine line(out);
        record::write(line.w, r);
        continue;
      }

      // A frame: values at addr of the table its function code reads or writes.
      auto fc = get_int(rec, fields::fc);
      auto addr = get_int(rec, fields::addr);
      auto unit = get_int(rec, fields::unit);
      auto table = fc ? table_of(*fc) : std::nullopt;
      if (!table || (words.empty() && bits.empty())) continue;
      if (!addr) {
        log::info("line {}: a response without its address (decode frames with --pair): skipped", n);
        continue;
      }
      if (!site) {
        if (!words.empty()) {
          decode_run(out, ts, unit ? std::optional<unsigned>(static_cast<unsigned>(*unit)) : std::nullopt,
                     "unit" + std::to_string(unit.value_or(0)), values::Ref{*table, static_cast<std::uint16_t>(*addr)},
                     words, cmd);
        } else {
          for (std::size_t i = 0; i < bits.size(); ++i) {
            record::Reading r;
            r.ts = ts;
            if (unit) r.unit = static_cast<unsigned>(*unit);
            const std::string device = "unit" + std::to_string(unit.value_or(0));
            r.device = device;
            const std::string ref = values::to_string(
                values::Ref{*table, static_cast<std::uint16_t>(*addr + static_cast<std::int64_t>(i))});
            r.addr = ref;
            r.point = ref;
            r.value = static_cast<bool>(bits[i]);
            const std::uint16_t bit = bits[i] ? 1 : 0;
            r.raw = std::span(&bit, 1);
            r.raw_bits = true;
            RecordLine line(out);
            record::write(line.w, r);
          }
        }
        continue;
      }
      // With a site: every point of every device with this unit whose registers the frame holds.
      for (const config::Port& port : site->ports) {
        if (!cmd.port.empty() && port.name != cmd.port) continue;
        for (const config::Device& dev : port.devices) {
          if (!unit || dev.unit != *unit) continue;
          for (const config::Point& p : dev.points) {
            if (p.ref.table != *table) continue;
            const std::int64_t off = static_cast<std::int64_t>(p.ref.addr) - *addr;
            const std::size_t have = words.empty() ? bits.size() : words.size();
            if (off < 0 || off + p.count() > static_cast<std::int64_t>(have)) continue;
            record::Reading r;
            r.ts = ts;
            r.port = port.name;
            r.unit = dev.unit;
            r.device = dev.name;
            r.point = p.name;
            const std::string addr_text = values::to_string(p.ref);
            r.addr = addr_text;
            r.uom = p.uom;
            std::uint16_t bit = 0;
            if (words.empty()) {
              bit = bits[static_cast<std::size_t>(off)] ? 1 : 0;
              r.raw = std::span(&bit, 1);
              r.raw_bits = true;
              r.value = static_cast<bool>(bits[static_cast<std::size_t>(off)]);
            } else {
              r.raw = std::span<const std::uint16_t>(words).subspan(static_cast<std::size_t>(off), p.count());
              r.value = values::to_engineering(values::decode(r.raw, p.format), p.scaling);
            }
            RecordLine line(out);
            record::write(line.w, r);
          }
        }
      }
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::data) throw;
      ++bad;
      std::string msg = e.what();
      if (msg.rfind("line ", 0) != 0) msg = "line " + std::to_string(n) + ": " + msg;
      log::error("{}", msg);
    }
  }
  out.flush();
  return bad ? ExitCode::bad_input : ExitCode::ok;
}

} // namespace iot::decode
