#include "iot/sim/fault.hpp"

#include <algorithm>
#include <cmath>

#include "iot/sim/device.hpp"
#include "iot/sim/generator.hpp"

namespace iot::sim {

using Kind = config::FaultSpec::Kind;

std::optional<Kind> parse_fault_kind(std::string_view name) {
  if (name == "crc") return Kind::bad_crc;
  if (name == "unit") return Kind::wrong_unit;
  if (name == "tid") return Kind::wrong_tid;
  for (int k = 0; k <= static_cast<int>(Kind::busy); ++k)
    if (config::fault_kind_name(static_cast<Kind>(k)) == name) return static_cast<Kind>(k);
  return std::nullopt;
}

void FaultSet::add(const config::FaultSpec& spec, double now) {
  ActiveFault f;
  f.spec = spec;
  f.since = now;
  f.rng = m_seed++;
  m_faults.push_back(std::move(f));
}

void FaultSet::clear(std::optional<Kind> kind) {
  if (!kind) {
    m_faults.clear();
    return;
  }
  std::erase_if(m_faults, [&](const ActiveFault& f) { return f.spec.kind == *kind; });
}

namespace {

bool overlaps(const values::Range& a, const values::Range& b) {
  return a.table == b.table && a.addr < b.end() && b.addr < a.end();
}

double seconds(config::Duration d) { return static_cast<double>(d.count()) / 1e6; }

} // namespace

FaultAction FaultSet::decide(std::span<const std::uint8_t> pdu, double t) {
  FaultAction act;
  if (m_faults.empty()) return act;
  std::optional<values::Range> touched;
  bool touched_known = false;
  for (auto& f : m_faults) {
    const auto& s = f.spec;
    if (s.addr) {
      if (!touched_known) {
        touched = request_range(pdu);
        touched_known = true;
      }
      if (!touched || !overlaps(*touched, *s.addr)) continue;
    }
    if (s.kind == Kind::flap) {
      // Offline for `offline`, then online for `online`, from the moment it was set.
      const double off = seconds(s.offline), on = seconds(s.online);
      if (off <= 0) continue;
      const double cycle = off + on;
      const double phase = on > 0 ? std::fmod(std::max(t - f.since, 0.0), cycle) : 0;
      if (phase < off) {
        act.silent = true;
        act.applied.push_back(s.kind);
      }
      continue;
    }
    ++f.matched;
    if (s.every > 1 && f.matched % s.every != 0) continue;
    if (s.probability < 1 && unit_random(f.rng) >= s.probability) continue;
    act.applied.push_back(s.kind);
    switch (s.kind) {
    case Kind::timeout: act.silent = true; break;
    case Kind::exception: act.exception = s.code; break;
    case Kind::busy: act.exception = 0x06; break; // [AP] §7: Server Device Busy
    case Kind::bad_crc: act.bad_crc = true; break;
    case Kind::truncate: act.truncate = s.bytes == 0 ? FaultAction::k_half : s.bytes; break;
    case Kind::split:
      act.split_us = s.delay.count() > 0 ? s.delay.count() : 50000; // default: a 50 ms gap
      break;
    case Kind::garbage: {
      const std::uint32_t n = s.bytes == 0 ? 4 : s.bytes;
      if (s.after)
        act.garbage_after += n;
      else
        act.garbage_before += n;
      break;
    }
    case Kind::slow: act.ms_per_byte = std::max(act.ms_per_byte, s.ms_per_byte > 0 ? s.ms_per_byte : 10.0); break;
    case Kind::delay: act.delay_us += s.delay.count() > 0 ? s.delay.count() : 1000000; break;
    case Kind::wrong_unit: act.wrong_unit = true; break;
    case Kind::wrong_tid: act.wrong_tid = true; break;
    case Kind::drop: act.drop = true; break;
    case Kind::flap: break;
    }
  }
  return act;
}

std::vector<modbus::Bytes> spoil(modbus::Bytes adu, const FaultAction& a, modbus::Framing framing,
                                 std::uint64_t& seed) {
  using modbus::Framing;
  if (a.bad_crc && adu.size() >= 4) {
    if (framing == Framing::rtu || framing == Framing::rtu_over_tcp) {
      adu[adu.size() - 1] ^= 0x5A; // the CRC high byte no longer matches
    } else if (framing == Framing::ascii && adu.size() >= 5) {
      // ":" hex... LRC(2) CR LF: change the LRC's last hex digit to another digit.
      char& c = reinterpret_cast<char&>(adu[adu.size() - 3]);
      c = c == '0' ? '1' : '0';
    }
  }
  if (a.truncate != 0 && !adu.empty()) {
    const std::size_t cut =
        a.truncate == FaultAction::k_half ? adu.size() / 2 : std::min<std::size_t>(a.truncate, adu.size() - 1);
    adu.resize(adu.size() - cut);
  }
  auto noise = [&](std::uint32_t n) {
    modbus::Bytes g(n);
    for (auto& b : g)
      b = static_cast<std::uint8_t>(splitmix64(seed));
    return g;
  };
  if (a.garbage_before) {
    auto g = noise(a.garbage_before);
    adu.insert(adu.begin(), g.begin(), g.end());
  }
  if (a.garbage_after) {
    auto g = noise(a.garbage_after);
    adu.insert(adu.end(), g.begin(), g.end());
  }
  std::vector<modbus::Bytes> pieces;
  if (a.split_us >= 0 && adu.size() >= 2) {
    const auto mid = static_cast<std::ptrdiff_t>(adu.size() / 2);
    pieces.emplace_back(adu.begin(), adu.begin() + mid);
    pieces.emplace_back(adu.begin() + mid, adu.end());
  } else {
    pieces.push_back(std::move(adu));
  }
  return pieces;
}

} // namespace iot::sim
