#pragma once
// The record store behind `iot-export sqlite|postgres|query|prune`: the tables
// readings, alarms and status of docs/storage.md, in SQLite or PostgreSQL.
// Ingest is idempotent (natural keys + insert-or-ignore) and batched in
// transactions, so a killed ingest leaves whole batches and a rerun completes it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "iot/core/exit_code.hpp"
#include "iot/export/input.hpp"
#include "iot/export/row.hpp"

namespace iot::exporter {

struct QueryFilter {
  std::optional<std::int64_t> from_ms; // inclusive
  std::optional<std::int64_t> to_ms;   // exclusive
  std::string device;                  // empty: any
  std::string point;                   // empty: any (status records have no point and are left out)
  std::optional<RecordKind> kind;      // reading, alarm or status; none: all three
};

struct StoreCounts {
  std::size_t readings = 0, alarms = 0, status = 0;
  std::size_t total() const { return readings + alarms + status; }
};

class Store {
public:
  virtual ~Store() = default;
  // Queues a row; a transaction is committed every `batch` rows.
  virtual void add(const Row& row) = 0;
  // Commits what is queued.
  virtual void flush() = 0;
  // Rows actually added so far (duplicates of stored rows are not counted).
  virtual std::size_t inserted() const = 0;
  // Calls `fn` for each stored row matching `filter`, in time order
  // (ties: readings, alarms, status; then device, point).
  virtual void query(const QueryFilter& filter, const std::function<void(const Row&)>& fn) = 0;
  // Calls `fn` for the alarm rows of the alarm periods still open at `at_ms`:
  // per (device, point) matching `filter` (device and point only), the rows
  // before `at_ms` after its last "cleared" row before `at_ms`, in time order.
  // Reports over a range carry these in, so an alarm raised before the range
  // and cleared inside it is listed.
  virtual void query_open_alarms(std::int64_t at_ms, const QueryFilter& filter,
                                 const std::function<void(const Row&)>& fn) = 0;
  // Deletes rows with from <= ts < to (either bound optional); returns the count.
  virtual StoreCounts prune(std::optional<std::int64_t> from_ms, std::optional<std::int64_t> to_ms) = 0;
  // Keeps at most `max_rows` rows per table, the newest.
  virtual StoreCounts cap(std::size_t max_rows) = 0;
  // Rows per table.
  virtual StoreCounts count() = 0;
};

// "postgresql://..." or "postgres://..." (or a libpq "key=value" string holding
// "dbname=") opens PostgreSQL; anything else is a SQLite file. With `create`
// false (query, prune) a SQLite file that does not exist is an io error rather
// than a new empty store.
bool is_postgres_url(const std::string& db);
std::unique_ptr<Store> open_store(const std::string& db, std::size_t batch = 50000, bool create = true);
std::unique_ptr<Store> open_sqlite(const std::string& path, std::size_t batch, bool create = true);
std::unique_ptr<Store> open_postgres(const std::string& url, std::size_t batch);

struct Retention {
  std::optional<double> keep_days; // delete rows older than now - keep_days
  std::optional<std::size_t> max_rows;
};

// Stores every record of `input`; then applies `retention`. Bad records are
// reported and skipped.
ExitCode ingest(RecordInput& input, Store& store, const Retention& retention);
// Applies retention (no-op when neither limit is set) and logs what went.
void apply_retention(Store& store, const Retention& retention);
// Writes the matching rows as JSON Lines to `output` ("-" stdout).
void query_records(Store& store, const QueryFilter& filter, const std::string& output);

} // namespace iot::exporter
