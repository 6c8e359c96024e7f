#pragma once
// Value generators of the simulator: what a point reads as over time, in
// engineering units. Time is seconds since the simulator started, so a run is
// reproducible: the same site file gives the same values at the same offsets
// (the random walk is seeded and advances in fixed steps).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "iot/config/site.hpp"

namespace iot::sim {

class Generator {
public:
  // Throws iot::Error(config) for a replay file that cannot be read or has no values.
  explicit Generator(const config::GeneratorSpec& spec);

  config::GeneratorSpec::Kind kind() const { return m_spec.kind; }
  const config::GeneratorSpec& spec() const { return m_spec; }

  // The value at `t` seconds. Not for link (the device resolves links). Calls must
  // not go back in time for walk (it advances a PRNG); earlier times give the
  // current value.
  double value(double t);

private:
  double walk(double t);
  double replay(double t) const;
  void load_replay();

  config::GeneratorSpec m_spec;
  // walk state
  std::uint64_t m_rng = 0;
  std::int64_t m_walk_step = 0;
  double m_walk_value = 0;
  // replay samples: (seconds from the first row, value)
  std::vector<std::pair<double, double>> m_samples;
  double m_replay_span = 0;
};

// SplitMix64: a tiny PRNG whose sequence depends only on its seed, so walks and
// random fault choices repeat from run to run.
std::uint64_t splitmix64(std::uint64_t& state);
// Uniform in [0, 1).
double unit_random(std::uint64_t& state);

} // namespace iot::sim
