#pragma once
// One simulated device: its register store (the four Modbus tables built from
// the points of its model and site entry), the generators that drive the
// points, and the answer to one request PDU.
//
// Memory: each table holds blocks of consecutive addresses covering the
// device's points (points closer than k_merge_gap are served as one block, the
// gap reading 0), so memory grows with the configured registers only.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "iot/config/site.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/sim/generator.hpp"

namespace iot::sim {

class Device;

// A block of consecutive addresses of one table.
struct Block {
  std::uint16_t start = 0;
  std::vector<std::uint16_t> words; // registers, or 0/1 for coils and discrete inputs
  std::vector<std::int32_t> point;  // index of the point covering the address, -1 in a gap
  std::uint32_t end() const { return start + static_cast<std::uint32_t>(words.size()); }
};

struct PointState {
  const config::Point* def = nullptr;
  std::optional<Generator> gen;
  // link: the source point
  Device* link_device = nullptr;
  std::size_t link_point = 0;
  // True once the master wrote it or a `set` command fixed it: the registers are the
  // truth and the generator is no longer consulted.
  bool held = false;
};

// What a write did, for the `write` record.
struct WriteEvent {
  values::Table table;
  std::uint16_t addr;
  std::uint16_t count;
};

class Device {
public:
  // Gaps up to this many addresses between points are served as zeros rather than
  // refused (pollers fill small holes to save requests).
  static constexpr std::uint32_t k_merge_gap = 32;

  // `def` and `port` must outlive the device (they live in the Site).
  Device(const config::Device& def, const config::Port& port);

  const config::Device& def() const { return m_def; }
  const config::Port& port() const { return m_port; }
  const std::string& name() const { return m_def.name; }
  std::uint8_t unit() const { return m_def.unit; }

  // Resolves link generators against the other devices of the site (call once all
  // devices exist). `find` maps "device" to a Device (nullptr when unknown).
  // Throws iot::Error(config) for an unknown link target or a link cycle.
  void resolve_links(const std::function<Device*(std::string_view)>& find);

  // Answers one request PDU at time `t` (seconds since start) into `out` (cleared
  // first): a normal response or an exception response. Writes are reported to
  // `on_write` when given.
  void handle(std::span<const std::uint8_t> pdu, double t, modbus::Bytes& out,
              const std::function<void(const WriteEvent&)>& on_write = {});

  // Engineering value of point `i` at `t`.
  double value_of(std::size_t i, double t, int depth = 0);
  // Decoded current value (for strings and the `get` command).
  values::Value current(std::size_t i, double t);
  // Fixes a point to `value` (engineering units); monostate releases it to its generator.
  // Throws iot::Error(data) when the value does not fit the point's type.
  void set(std::size_t i, const values::Value& value);
  std::optional<std::size_t> find_point(std::string_view name) const;
  const std::vector<PointState>& points() const { return m_points; }

  // Registers of a table range after refreshing generated points; nullopt when the
  // range is not all in the map (for tests and the `get` command).
  std::optional<std::vector<std::uint16_t>> read(values::Table table, std::uint16_t addr, std::uint16_t count,
                                                 double t);

  std::size_t register_count() const;

private:
  Block* find_block(values::Table table, std::uint32_t addr, std::uint32_t count);
  void refresh(Block& block, std::uint32_t addr, std::uint32_t count, double t);
  void store(std::size_t i, double eng);
  void store_value(std::size_t i, const values::Value& raw);
  // Point writability of every address in the range (false if any gap or read-only point).
  bool writable(Block& block, std::uint32_t addr, std::uint32_t count) const;
  void mark_held(Block& block, std::uint32_t addr, std::uint32_t count);

  const config::Device& m_def;
  const config::Port& m_port;
  std::vector<PointState> m_points;
  std::vector<Block> m_tables[4]; // by values::Table, blocks sorted by start
  // Read Device Identification objects ([AP] §6.21), kept so the PDU can refer to them.
  std::vector<std::string> m_id_strings;
  std::vector<modbus::DeviceIdObject> m_id_objects;
};

// The table a request's function code addresses, with its range, when it has one
// (FC 17 gives its read range).
std::optional<values::Range> request_range(std::span<const std::uint8_t> pdu);

} // namespace iot::sim
