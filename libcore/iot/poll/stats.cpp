#include "iot/poll/stats.hpp"

#include <algorithm>
#include <cmath>

namespace iot::poll {

namespace {
constexpr double k_growth = 1.02;
const double k_log_growth = std::log(k_growth);
}  // namespace

void LatencyHistogram::add(std::chrono::microseconds latency) {
  const double us = std::max<double>(1.0, static_cast<double>(latency.count()));
  auto idx = static_cast<std::size_t>(std::log(us) / k_log_growth);
  m_buckets[std::min(idx, k_buckets - 1)]++;
  m_count++;
  m_sum_us += static_cast<double>(latency.count());
}

double LatencyHistogram::mean_ms() const { return m_count ? m_sum_us / static_cast<double>(m_count) / 1000.0 : 0.0; }

double LatencyHistogram::quantile_ms(double q) const {
  if (m_count == 0) return 0.0;
  // The rank of the quantile (nearest-rank method), then the bucket holding it.
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(m_count)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < k_buckets; ++i) {
    seen += m_buckets[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) {
      // Upper edge of the bucket: a conservative figure.
      return std::pow(k_growth, static_cast<double>(i + 1)) / 1000.0;
    }
  }
  return std::pow(k_growth, static_cast<double>(k_buckets)) / 1000.0;
}

}  // namespace iot::poll
