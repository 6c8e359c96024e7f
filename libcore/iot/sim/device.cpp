#include "iot/sim/device.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>

#include "iot/core/error.hpp"
#include "iot/modbus/spec.hpp"

namespace iot::sim {

using values::Table;
using values::ValueType;
namespace mb = iot::modbus;

namespace {

constexpr auto k_exc_function = static_cast<std::uint8_t>(mb::ExceptionCode::illegal_function);
constexpr auto k_exc_address = static_cast<std::uint8_t>(mb::ExceptionCode::illegal_data_address);
constexpr auto k_exc_value = static_cast<std::uint8_t>(mb::ExceptionCode::illegal_data_value);

std::size_t table_index(Table t) { return static_cast<std::size_t>(t); }

// Raw value limits of the integer types, so a generator that overshoots saturates
// like a real transmitter instead of failing the request.
double clamp_raw(double raw, ValueType type) {
  auto c = [&](double lo, double hi) { return std::clamp(raw, lo, hi); };
  switch (type) {
  case ValueType::u16: return c(0, 65535);
  case ValueType::i16: return c(-32768, 32767);
  case ValueType::u32: return c(0, 4294967295.0);
  case ValueType::i32: return c(-2147483648.0, 2147483647.0);
  case ValueType::u64: return c(0, 18446744073709549568.0);
  case ValueType::i64: return c(-9223372036854775808.0, 9223372036854774784.0);
  case ValueType::bcd16: return c(0, 9999);
  case ValueType::bcd32: return c(0, 99999999);
  default: return raw;
  }
}

void exception(mb::Bytes& out, std::uint8_t fc, std::uint8_t code) {
  out.clear();
  out.push_back(static_cast<std::uint8_t>(fc | mb::k_exception_bit));
  out.push_back(code);
}

bool is_bit_table(Table t) { return t == Table::coil || t == Table::discrete_input; }

// The function codes the simulator serves; any other is answered with exception 01.
constexpr std::array<std::uint8_t, 13> k_served_functions{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08,
                                                          0x0F, 0x10, 0x11, 0x16, 0x17, 0x2B};

// The table a data-access function code reads or writes ([AP] §6.1-6.6, 6.11, 6.12, 6.16, 6.17).
std::optional<Table> table_of(std::uint8_t fc) {
  switch (fc) {
  case 0x01:
  case 0x05:
  case 0x0F: return Table::coil;
  case 0x02: return Table::discrete_input;
  case 0x04: return Table::input_register;
  case 0x03:
  case 0x06:
  case 0x10:
  case 0x16:
  case 0x17: return Table::holding_register;
  default: return std::nullopt;
  }
}

} // namespace

std::optional<values::Range> request_range(std::span<const std::uint8_t> pdu) {
  if (pdu.size() < 5) return std::nullopt;
  const auto addr = static_cast<std::uint16_t>(pdu[1] << 8 | pdu[2]);
  const auto n = static_cast<std::uint16_t>(pdu[3] << 8 | pdu[4]);
  const std::optional<Table> table = table_of(pdu[0]);
  if (!table) return std::nullopt;
  // FC 05, 06 and 16 name one address; the others a quantity (for FC 17 the read quantity).
  const bool single = pdu[0] == 0x05 || pdu[0] == 0x06 || pdu[0] == 0x16;
  return values::Range{*table, addr, single ? std::uint16_t{1} : n};
}

Device::Device(const config::Device& def, const config::Port& port) : m_def(def), m_port(port) {
  // Address spans of every enabled point, per table.
  struct Span {
    std::uint32_t begin, end;
  };
  std::vector<Span> spans[4];
  m_points.reserve(def.points.size());
  for (const auto& p : def.points) {
    PointState st;
    st.def = &p;
    if (p.generator && p.generator->kind != config::GeneratorSpec::Kind::link)
      st.gen = std::make_unique<Generator>(*p.generator);
    m_points.push_back(std::move(st));
    const auto r = p.range();
    if (r.count == 0) continue;
    spans[table_index(r.table)].push_back({r.addr, r.end()});
  }
  for (std::size_t t = 0; t < 4; ++t) {
    auto& sp = spans[t];
    std::sort(sp.begin(), sp.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    for (const auto& s : sp) {
      auto& blocks = m_tables[t];
      if (!blocks.empty() && s.begin <= blocks.back().end() + k_merge_gap) {
        auto& b = blocks.back();
        if (s.end > b.end()) {
          const auto size = s.end - b.start;
          b.words.resize(size, 0);
          b.point.resize(size, -1);
        }
      } else {
        Block b;
        b.start = static_cast<std::uint16_t>(s.begin);
        b.words.assign(s.end - s.begin, 0);
        b.point.assign(s.end - s.begin, -1);
        blocks.push_back(std::move(b));
      }
    }
  }
  for (std::size_t i = 0; i < m_points.size(); ++i) {
    const auto r = m_points[i].def->range();
    if (r.count == 0) continue;
    Block* b = find_block(r.table, r.addr, r.count);
    if (b == nullptr) continue;
    for (std::uint32_t a = r.addr; a < r.end(); ++a)
      b->point[a - b->start] = static_cast<std::int32_t>(i);
  }
  // Points without a generator start at engineering value 0 and keep what is written.
  for (std::size_t i = 0; i < m_points.size(); ++i) {
    auto& st = m_points[i];
    if (!st.def->generator) {
      store(i, 0.0);
      st.held = true;
    }
  }
  // Device identification objects ([AP] §6.21 table of object ids 0x00-0x06).
  const std::string model = def.model.empty() ? std::string("generic") : def.model;
  m_id_strings = {"iot", model, IOT_VERSION, "https://github.com/iot-toolkit/iot", "iot-sim", model, def.name};
  for (std::size_t i = 0; i < m_id_strings.size(); ++i)
    m_id_objects.push_back({static_cast<std::uint8_t>(i), m_id_strings[i]});
}

std::size_t Device::register_count() const {
  std::size_t n = 0;
  for (const auto& t : m_tables)
    for (const auto& b : t)
      n += b.words.size();
  return n;
}

void Device::resolve_links(const std::function<Device*(std::string_view)>& find) {
  for (auto& st : m_points) {
    const auto& g = st.def->generator;
    if (!g || g->kind != config::GeneratorSpec::Kind::link) continue;
    std::string_view ref = g->point;
    Device* dev = this;
    std::string_view point = ref;
    if (auto dot = ref.find('.'); dot != std::string_view::npos && !find_point(ref)) {
      dev = find(ref.substr(0, dot));
      point = ref.substr(dot + 1);
      if (dev == nullptr)
        throw config_error(g->pos.str() + ": generator.point: no device \"" + std::string(ref.substr(0, dot)) + "\"");
    }
    auto idx = dev->find_point(point);
    if (!idx)
      throw config_error(g->pos.str() + ": generator.point: no point \"" + std::string(point) + "\" in device " +
                         dev->name());
    st.link_device = dev;
    st.link_point = *idx;
  }
  // A link cycle would recurse forever at read time: find it now.
  for (std::size_t i = 0; i < m_points.size(); ++i) {
    Device* d = this;
    std::size_t p = i;
    for (int depth = 0; d->m_points[p].link_device != nullptr; ++depth) {
      if (depth > 64)
        throw config_error(m_points[i].def->pos.str() + ": generator: link cycle through point " +
                           m_points[i].def->name);
      Device* next = d->m_points[p].link_device;
      p = d->m_points[p].link_point;
      d = next;
    }
  }
}

std::optional<std::size_t> Device::find_point(std::string_view name) const {
  for (std::size_t i = 0; i < m_points.size(); ++i)
    if (m_points[i].def->name == name) return i;
  return std::nullopt;
}

Block* Device::find_block(Table table, std::uint32_t addr, std::uint32_t count) {
  auto& blocks = m_tables[table_index(table)];
  for (auto& b : blocks)
    if (addr >= b.start && addr + count <= b.end()) return &b;
  return nullptr;
}

values::Value Device::current(std::size_t i, double t) {
  auto& st = m_points[i];
  const auto& p = *st.def;
  if (!st.held && p.format.type != ValueType::string) return value_of(i, t);
  const auto r = p.range();
  Block* b = find_block(r.table, r.addr, r.count);
  if (b == nullptr) return {};
  std::span<const std::uint16_t> words(b->words.data() + (r.addr - b->start), r.count);
  if (is_bit_table(r.table)) return values::Value(words[0] != 0);
  try {
    return values::to_engineering(values::decode(words, p.format), p.scaling);
  } catch (const Error&) {
    return {};
  }
}

double Device::value_of(std::size_t i, double t, int depth) {
  auto& st = m_points[i];
  if (st.held || depth > 64) {
    auto v = current(i, t);
    return values::to_double(v).value_or(0.0);
  }
  if (st.link_device != nullptr) {
    const auto& g = *st.def->generator;
    return st.link_device->value_of(st.link_point, t, depth + 1) * g.factor + g.offset;
  }
  if (st.gen) return st.gen->value(t);
  return 0;
}

void Device::store(std::size_t i, double eng) {
  const auto& p = *m_points[i].def;
  const auto r = p.range();
  Block* b = find_block(r.table, r.addr, r.count);
  if (b == nullptr) return;
  const std::size_t off = r.addr - b->start;
  if (is_bit_table(r.table)) {
    b->words[off] = eng != 0 ? 1 : 0;
    return;
  }
  if (p.format.type == ValueType::bit) {
    b->words[off] = values::set_bit(b->words[off], p.format.bit, eng != 0);
    return;
  }
  if (p.format.type == ValueType::string) return;
  double raw = values::to_raw(eng, p.scaling);
  if (std::isnan(raw)) raw = 0;
  raw = clamp_raw(raw, p.format.type);
  try {
    auto words = values::encode(values::Value(raw), p.format);
    std::copy_n(words.begin(), std::min<std::size_t>(words.size(), b->words.size() - off), b->words.begin() + off);
  } catch (const Error&) {
    // Cannot happen after clamping; keep the old registers if it does.
  }
}

void Device::store_value(std::size_t i, const values::Value& v) {
  const auto& p = *m_points[i].def;
  const auto r = p.range();
  Block* b = find_block(r.table, r.addr, r.count);
  if (b == nullptr) return;
  const std::size_t off = r.addr - b->start;
  if (p.format.type == ValueType::string) {
    auto words = values::encode(v, p.format); // throws data error for a non-string
    std::copy_n(words.begin(), std::min<std::size_t>(words.size(), b->words.size() - off), b->words.begin() + off);
    return;
  }
  auto d = values::to_double(v);
  if (!d) throw data_error("point " + p.name + " needs a number");
  if (!is_bit_table(r.table) && p.format.type != ValueType::bit) {
    // Refuse what the type cannot hold rather than saturating a value the user typed.
    const double raw = values::to_raw(*d, p.scaling);
    (void)values::encode(values::Value(raw), p.format);
  }
  store(i, *d);
}

void Device::set(std::size_t i, const values::Value& value) {
  auto& st = m_points[i];
  st.stored_constant = false;
  if (std::holds_alternative<std::monostate>(value)) {
    st.held = !st.def->generator.has_value();
    if (st.held) store(i, 0.0);
    return;
  }
  store_value(i, value);
  st.held = true;
}

void Device::refresh(Block& block, std::uint32_t addr, std::uint32_t count, double t) {
  std::int32_t last = -1;
  for (std::uint32_t a = addr; a < addr + count; ++a) {
    const auto pi = block.point[a - block.start];
    if (pi < 0 || pi == last) continue;
    last = pi;
    auto& st = m_points[static_cast<std::size_t>(pi)];
    if (st.held || st.stored_constant) continue;
    store(static_cast<std::size_t>(pi), value_of(static_cast<std::size_t>(pi), t));
    st.stored_constant = st.gen && st.gen->kind() == config::GeneratorSpec::Kind::constant;
  }
}

std::optional<std::vector<std::uint16_t>> Device::read(Table table, std::uint16_t addr, std::uint16_t count, double t) {
  Block* b = find_block(table, addr, count);
  if (b == nullptr) return std::nullopt;
  refresh(*b, addr, count, t);
  return std::vector<std::uint16_t>(b->words.begin() + (addr - b->start), b->words.begin() + (addr - b->start + count));
}

bool Device::writable(Block& block, std::uint32_t addr, std::uint32_t count) const {
  for (std::uint32_t a = addr; a < addr + count; ++a) {
    const auto pi = block.point[a - block.start];
    // The simulator lets the master write holding registers and coils unless the
    // point is marked read-only (`writable = false`); `writable = true` is iot-poll's
    // permission and changes nothing here.
    if (pi < 0 || m_points[static_cast<std::size_t>(pi)].def->read_only) return false;
  }
  return true;
}

void Device::mark_held(Block& block, std::uint32_t addr, std::uint32_t count) {
  for (std::uint32_t a = addr; a < addr + count; ++a) {
    const auto pi = block.point[a - block.start];
    if (pi >= 0) m_points[static_cast<std::size_t>(pi)].held = true;
  }
}

void Device::handle(std::span<const std::uint8_t> pdu, double t, mb::Bytes& out,
                    const std::function<void(const WriteEvent&)>& on_write) {
  out.clear();
  if (pdu.empty()) return;
  const std::uint8_t fc = pdu[0];
  if (std::find(k_served_functions.begin(), k_served_functions.end(), fc) == k_served_functions.end())
    return exception(out, fc & 0x7F, k_exc_function);
  const mb::DecodedPdu req = mb::decode_pdu(pdu, mb::Direction::request);
  // A malformed request of a function we serve: its quantity or byte count is wrong. Past this
  // check quantities are within the limits of [AP] §6.x and byte counts match them.
  if (!req.ok()) return exception(out, fc, k_exc_value);
  const std::optional<Table> table = table_of(fc);
  switch (fc) {
  case 0x01:
  case 0x02:
  case 0x03:
  case 0x04: {
    const auto addr = *req.addr, n = *req.count;
    Block* b = find_block(*table, addr, n);
    if (b == nullptr) return exception(out, fc, k_exc_address);
    refresh(*b, addr, n, t);
    const auto states = std::span<const std::uint16_t>(b->words).subspan(addr - b->start, n);
    if (fc <= 0x02)
      mb::append_read_bits_response(out, fc, states);
    else
      mb::append_read_registers_response(out, fc, states);
    return;
  }
  case 0x05:
  case 0x06: {
    const auto addr = *req.addr;
    const auto raw = static_cast<std::uint16_t>(pdu[3] << 8 | pdu[4]);
    Block* b = find_block(*table, addr, 1);
    if (b == nullptr || !writable(*b, addr, 1)) return exception(out, fc, k_exc_address);
    b->words[addr - b->start] = fc == 0x05 ? (raw == mb::k_coil_on ? 1 : 0) : raw;
    mark_held(*b, addr, 1);
    out.assign(pdu.begin(), pdu.begin() + 5); // [AP] §6.5, §6.6: the response echoes the request
    if (on_write) on_write({*table, addr, 1});
    return;
  }
  case 0x0F:
  case 0x10: {
    const auto addr = *req.addr, n = *req.count;
    Block* b = find_block(*table, addr, n);
    if (b == nullptr || !writable(*b, addr, n)) return exception(out, fc, k_exc_address);
    for (std::uint32_t i = 0; i < n; ++i)
      b->words[addr - b->start + i] = fc == 0x0F ? (req.bit(i) ? 1 : 0) : req.word(i);
    mark_held(*b, addr, n);
    // [AP] §6.11, §6.12: the response is the request's function code, address and quantity.
    out.assign(pdu.begin(), pdu.begin() + 5);
    if (on_write) on_write({*table, addr, n});
    return;
  }
  case 0x16: {
    const auto addr = *req.addr;
    Block* b = find_block(Table::holding_register, addr, 1);
    if (b == nullptr || !writable(*b, addr, 1)) return exception(out, fc, k_exc_address);
    refresh(*b, addr, 1, t);
    auto& w = b->words[addr - b->start];
    const auto and_mask = *req.and_mask, or_mask = *req.or_mask;
    // [AP] §6.16: result = (current AND and_mask) OR (or_mask AND (NOT and_mask))
    w = static_cast<std::uint16_t>((w & and_mask) | (or_mask & static_cast<std::uint16_t>(~and_mask)));
    mark_held(*b, addr, 1);
    out.assign(pdu.begin(), pdu.begin() + 7);
    if (on_write) on_write({Table::holding_register, addr, 1});
    return;
  }
  case 0x17: {
    const auto raddr = *req.addr, rn = *req.count;
    const auto waddr = *req.write_addr, wn = *req.write_count;
    Block* wb = find_block(Table::holding_register, waddr, wn);
    Block* rb = find_block(Table::holding_register, raddr, rn);
    if (wb == nullptr || rb == nullptr || !writable(*wb, waddr, wn)) return exception(out, fc, k_exc_address);
    // [AP] §6.17: the write is performed before the read.
    for (std::uint32_t i = 0; i < wn; ++i)
      wb->words[waddr - wb->start + i] = req.write_word(i);
    mark_held(*wb, waddr, wn);
    if (on_write) on_write({Table::holding_register, waddr, wn});
    refresh(*rb, raddr, rn, t);
    mb::append_read_registers_response(out, fc, std::span(rb->words).subspan(raddr - rb->start, rn));
    return;
  }
  case 0x08: {
    // [AP] §6.8.1 sub-function 0x0000 Return Query Data: the response echoes the request.
    if (req.sub_function.value_or(0xFFFF) != 0x0000) return exception(out, fc, k_exc_function);
    out.assign(pdu.begin(), pdu.end());
    return;
  }
  case 0x11: {
    const std::uint8_t id[] = {m_def.unit};
    std::span<const std::uint8_t> extra(reinterpret_cast<const std::uint8_t*>(m_def.name.data()),
                                        std::min<std::size_t>(m_def.name.size(), 64));
    out = mb::encode_report_server_id_response(id, true, extra);
    return;
  }
  case 0x2B: {
    if (req.mei_type.value_or(0) != mb::k_mei_read_device_id) return exception(out, fc, k_exc_function);
    // Conformity 0x82: regular identification, stream and individual access ([AP] §6.21).
    out = mb::serve_device_id_request(req.read_code.value_or(1), req.object_id.value_or(0), 0x82, m_id_objects);
    return;
  }
  default: exception(out, fc, k_exc_function); return;
  }
}

} // namespace iot::sim
