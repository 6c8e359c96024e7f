#pragma once
// Simulated Acrel meters for iot-sim's mqtt:// ports: the site file's meter
// entries turned into an iot::acrel::MeterFleet whose `data` values are the
// points' generators (the same Generator code and the same time base as the
// Modbus devices: seconds since the simulator started).
#include <memory>
#include <mutex>
#include <optional>
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

  // The `data` values at `t` (seconds before `start` count as 0), in point
  // order: points di1..di4 are folded into the DI word "di" (bit0 = DI1; a
  // point diN replaces bit N-1 of a "di" point); alarm words are left out.
  void values(TimePoint t, std::vector<std::pair<std::string, double>>& out);
  // The alarm words ("alarm1".."alarm3") at `t`, of the points that have them.
  void alarms(TimePoint t, std::vector<std::pair<std::string, double>>& out);
  // stdin `set`: fixes point `name` (its name in the site file or its key) at
  // `value`, or releases it to its generator (nullopt). False: no such point.
  bool set(std::string_view name, std::optional<double> value);
  // stdin `get`: the value point `name` publishes at `t` (nullopt: no such point).
  std::optional<double> get(std::string_view name, TimePoint t);
  // Value of point `i` (engineering units, before rounding) at `seconds` since start.
  double value(std::size_t i, double seconds, int depth = 0);
  std::size_t size() const { return m_items.size(); }

  // Generators the meters of one entry can share (all but walk, which keeps
  // state): one per point, nullptr where the point has none or a walk or link.
  static std::vector<std::shared_ptr<Generator>> shared_generators(const config::Device& def);

private:
  struct Item {
    std::string name;
    std::string key;
    std::optional<double> fixed; // set by a stdin command
    int decimals = 3;
    std::shared_ptr<Generator> gen;
    const config::GeneratorSpec* link = nullptr;
    std::size_t link_to = 0;
  };
  std::optional<std::size_t> find(std::string_view name) const;
  double rounded(std::size_t i, double seconds);
  double seconds_at(TimePoint t) const;

  std::vector<Item> m_items;
  TimePoint m_start;
  std::mutex m_mu; // set/get come from the command thread, values from the fleet's
};

// A meter of an mqtt:// port as iot-sim's stdin commands reach it.
struct MeterHandle {
  std::string name; // device name (with {n} expanded)
  std::string sn;
  std::string port;
  std::shared_ptr<MeterValues> values;
};

// The fleet options of an mqtt:// port: its broker settings (the password read
// from password_file or password_env now) and one MeterSpec per meter. Each
// meter is appended to `handles` (when given), in the fleet's order.
acrel::FleetOptions fleet_options(const config::Port& port, TimePoint start,
                                  std::vector<MeterHandle>* handles = nullptr);

} // namespace iot::sim
