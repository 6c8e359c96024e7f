#pragma once
// Per-port counters for the `stats` record: requests, answers, error classes,
// mean and 99th-percentile latency and bus utilization (the share of wall time
// the port spent in transactions).
#include <array>
#include <chrono>
#include <cstdint>

namespace iot::poll {

// A latency histogram with buckets 2 % wide from 1 us to ~1000 s, so the p99 of a
// long run costs a fixed few kilobytes and is within 2 % of the true value.
class LatencyHistogram {
public:
  void add(std::chrono::microseconds latency);
  std::uint64_t count() const { return m_count; }
  double mean_ms() const;
  // The q-quantile (0-1) in milliseconds; 0 when empty.
  double quantile_ms(double q) const;

private:
  static constexpr std::size_t k_buckets = 1050;
  std::array<std::uint32_t, k_buckets> m_buckets{};
  std::uint64_t m_count = 0;
  double m_sum_us = 0;
};

struct PortStats {
  std::uint64_t requests = 0;
  std::uint64_t answers = 0; // any answer that parsed, exceptions included
  std::uint64_t timeouts = 0;
  std::uint64_t crc_errors = 0;
  std::uint64_t exceptions = 0;
  std::uint64_t errors = 0;          // malformed answers, io errors
  std::uint64_t late = 0;            // answers to earlier, timed-out requests, discarded
  std::uint64_t mismatch = 0;        // answers that did not fit their request (unit, function, byte count,
                                     // echoed address, transaction id), discarded
  LatencyHistogram latency;          // of answers
  std::chrono::microseconds busy{0}; // time spent in transactions

  double bus_utilization(std::chrono::microseconds wall) const {
    return wall.count() > 0 ? static_cast<double>(busy.count()) / static_cast<double>(wall.count()) : 0.0;
  }
};

} // namespace iot::poll
