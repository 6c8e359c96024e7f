#pragma once
// Simulated Acrel meters for iot-sim's mqtt:// ports: the site file's meter
// entries turned into an iot::acrel::MeterFleet whose `data` values are the
// points' generators (the same Generator code and the same time base as the
// Modbus devices: seconds since the simulator started).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "iot/acrel/meter_sim.hpp"
#include "iot/config/site.hpp"
#include "iot/core/time.hpp"
#include "iot/sim/generator.hpp"

namespace iot::sim {

// The `data` values of one meter. Each point publishes under its acrelHW key
// (acrel::data_key_of_point), rounded to the point's decimals, else to the key's
// resolution (acrel::data_key_decimals). A point without a generator sends 0.
class MeterValues {
public:
  // `def`: a device of an mqtt:// port. `index`: which meter of its `count`
  // (a walk's seed is seed + index, so the meters of one entry differ).
  // `start`: the wall-clock time that generator time 0 stands for.
  // Throws iot::Error(config) for a link to another device's point.
  MeterValues(const config::Device& def, std::size_t index, TimePoint start,
              const std::vector<std::shared_ptr<Generator>>& shared = {});

  // The values at `t` (seconds before `start` count as 0), in point order.
  void values(TimePoint t, std::vector<std::pair<std::string, double>>& out);
  // Value of point `i` (engineering units, before rounding) at `seconds` since start.
  double value(std::size_t i, double seconds, int depth = 0);
  std::size_t size() const { return m_items.size(); }

  // Generators the meters of one entry can share (all but walk, which keeps
  // state): one per point, nullptr where the point has none or a walk or link.
  static std::vector<std::shared_ptr<Generator>> shared_generators(const config::Device& def);

private:
  struct Item {
    std::string key;
    int decimals = 3;
    std::shared_ptr<Generator> gen;
    const config::GeneratorSpec* link = nullptr;
    std::size_t link_to = 0;
  };
  std::vector<Item> m_items;
  TimePoint m_start;
};

// The fleet options of an mqtt:// port: its broker settings (the password read
// from password_file or password_env now) and one MeterSpec per meter.
acrel::FleetOptions fleet_options(const config::Port& port, TimePoint start);

} // namespace iot::sim
