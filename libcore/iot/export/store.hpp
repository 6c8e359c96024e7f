#pragma once
// The record store behind `iot-export sqlite|postgres|query|prune`: the tables
// readings, alarms, status and writes of docs/storage.md, in SQLite or
// PostgreSQL. Ingest is idempotent (natural keys + insert-or-ignore) and
// batched in short transactions (a row count or a time interval, whichever
// comes first), so rows are visible soon, readers and other writers are not
// locked out, and a killed ingest leaves whole batches that a rerun completes.
#include <chrono>
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
  std::optional<RecordKind> kind;      // reading, alarm, status or write; none: all four
};

struct StoreCounts {
  std::size_t readings = 0, alarms = 0, status = 0, writes = 0;
  std::size_t total() const { return readings + alarms + status + writes; }
};

// The kinds a store keeps, one table each (docs/storage.md).
inline bool storable(RecordKind k) {
  return k == RecordKind::reading || k == RecordKind::alarm || k == RecordKind::status || k == RecordKind::write;
}

class Store {
public:
  virtual ~Store() = default;
  // Why `row` cannot be stored here (empty: it can). Checked before add(), so
  // one bad record is rejected alone instead of failing its batch.
  virtual std::string check(const Row& row) const {
    (void)row;
    return {};
  }
  // Queues a row; a transaction is committed every `batch` rows.
  virtual void add(const Row& row) = 0;
  // Commits what is queued.
  virtual void flush() = 0;
  // Rows actually added so far (duplicates of stored rows are not counted).
  virtual std::size_t inserted() const = 0;
  // Calls `fn` for each stored row matching `filter`, in time order
  // (ties: readings, alarms, status, writes; then by key).
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

// How a store is opened: `create` makes a new SQLite file if needed;
// `existing` (prune) wants one that exists; `read_only` (query) writes nothing,
// not even the schema, so a read-only file or a read-only role can be queried.
enum class OpenMode { create, existing, read_only };

// The schema version this build writes (SQLite user_version, PostgreSQL table
// iot_schema). Older databases are upgraded when opened for writing.
constexpr int k_schema_version = 2;

// "postgresql://..." or "postgres://..." (or a libpq "key=value" string holding
// "dbname=") opens PostgreSQL; anything else is a SQLite file. A SQLite file
// that does not exist is an io error unless `mode` is create.
bool is_postgres_url(const std::string& db);
std::unique_ptr<Store> open_store(const std::string& db, std::size_t batch = 50000, OpenMode mode = OpenMode::create);
std::unique_ptr<Store> open_sqlite(const std::string& path, std::size_t batch, OpenMode mode = OpenMode::create);
std::unique_ptr<Store> open_postgres(const std::string& url, std::size_t batch, OpenMode mode = OpenMode::create);

struct Retention {
  std::optional<double> keep_days; // delete rows older than now - keep_days
  std::optional<std::size_t> max_rows;
};

struct IngestTiming {
  // Commit what is queued at least this often (0: only by row count and at the end).
  std::chrono::milliseconds flush_interval{1000};
  // Apply retention this often while ingesting (0: only at the end).
  std::chrono::milliseconds retention_interval{60000};
};

// Stores every record of `input`, committing on the store's row count and on
// `timing.flush_interval`, applying `retention` on `timing.retention_interval`
// and at the end. Bad records are reported and skipped.
ExitCode ingest(RecordInput& input, Store& store, const Retention& retention, const IngestTiming& timing = {});
// Applies retention (no-op when neither limit is set) and logs what went.
void apply_retention(Store& store, const Retention& retention);
// Writes the matching rows as JSON Lines to `output` ("-" stdout).
void query_records(Store& store, const QueryFilter& filter, const std::string& output);

} // namespace iot::exporter
