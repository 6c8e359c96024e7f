#pragma once
// The fault engine: given the faults set on a device (site file or stdin
// commands) and one request, decides how the answer is to be spoiled. The
// transport then carries the decision out (it alone knows about CRCs, MBAP
// headers, connections and timing).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "iot/config/site.hpp"
#include "iot/modbus/adu.hpp"

namespace iot::sim {

struct ActiveFault {
  config::FaultSpec spec;
  double since = 0;          // seconds since start when it was set (flap phase)
  std::uint64_t matched = 0; // requests it matched so far (for `every`)
  std::uint64_t rng = 0;     // for `probability`
};

// What to do with one answer. Several faults may combine (a delay and bad CRC).
struct FaultAction {
  bool silent = false;                   // no answer (timeout, flap offline)
  bool drop = false;                     // close the TCP connection instead of answering
  std::optional<std::uint8_t> exception; // replace the answer by this exception
  bool bad_crc = false;
  std::uint32_t truncate = 0; // bytes to cut from the end (k_half: half the frame)
  std::int64_t split_us = -1; // >= 0: send in two pieces this far apart
  std::uint32_t garbage_before = 0;
  std::uint32_t garbage_after = 0;
  double ms_per_byte = 0;
  std::int64_t delay_us = 0;
  bool wrong_unit = false;
  bool wrong_tid = false;
  std::vector<config::FaultSpec::Kind> applied;

  static constexpr std::uint32_t k_half = 0xFFFFFFFF;
  bool any() const { return !applied.empty(); }
};

class FaultSet {
public:
  void add(const config::FaultSpec& spec, double now);
  // Removes every fault, or those of one kind.
  void clear(std::optional<config::FaultSpec::Kind> kind = std::nullopt);
  bool empty() const { return m_faults.empty(); }
  const std::vector<ActiveFault>& faults() const { return m_faults; }

  // The action for a request with this PDU at time `t` (seconds since start).
  FaultAction decide(std::span<const std::uint8_t> request_pdu, double t);

private:
  std::vector<ActiveFault> m_faults;
  std::uint64_t m_seed = 0x5EED;
};

// "timeout" -> Kind::timeout ...; also accepts "crc" for bad_crc, "unit" for wrong_unit.
std::optional<config::FaultSpec::Kind> parse_fault_kind(std::string_view name);

// Spoils a serialised answer as the action says (CRC/LRC, truncation, garbage) and
// returns the pieces to send: one, or two for a split answer. `seed` drives the
// garbage bytes. TCP and UDP frames have no check: bad_crc leaves them alone.
std::vector<modbus::Bytes> spoil(modbus::Bytes adu, const FaultAction& action, modbus::Framing framing,
                                 std::uint64_t& seed);

} // namespace iot::sim
