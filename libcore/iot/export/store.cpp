#include "iot/export/store.hpp"

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/time.hpp"
#include "iot/export/output_file.hpp"
#include "iot/record/output.hpp"

namespace iot::exporter {

bool is_postgres_url(const std::string& db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://") || db.find("dbname=") != std::string::npos;
}

std::unique_ptr<Store> open_store(const std::string& db, std::size_t batch, OpenMode mode) {
  if (batch == 0) throw usage_error("--batch must be at least 1");
  return is_postgres_url(db) ? open_postgres(db, batch, mode) : open_sqlite(db, batch, mode);
}

void apply_retention(Store& store, const Retention& r) {
  if (r.keep_days) {
    if (*r.keep_days < 0) throw usage_error("--keep must not be negative");
    auto cutoff = epoch_ms(now()) - static_cast<std::int64_t>(*r.keep_days * 86400000.0);
    auto n = store.prune(std::nullopt, cutoff);
    log::info("retention: deleted {} rows older than {}", n.total(), format_ts(from_ms(cutoff)));
  }
  if (r.max_rows) {
    auto n = store.cap(*r.max_rows);
    log::info("retention: deleted {} rows beyond {} per table", n.total(), *r.max_rows);
  }
}

ExitCode ingest(RecordInput& input, Store& store, const Retention& retention, const IngestTiming& timing) {
  Row row;
  std::string buffer;
  std::size_t accepted = 0;
  input.accept(RecordKind::write);
  const bool retain = retention.keep_days || retention.max_rows;
  const auto retention_every = timing.retention_interval;
  auto next_retention = std::chrono::steady_clock::now() + retention_every;
  // Live ingest (a pipe that stays open): commit and prune on a timer, as
  // Telegraf's flush_interval does, not only at the row count or the end.
  auto tick = [&] {
    store.flush();
    if (retain && retention_every.count() > 0 && std::chrono::steady_clock::now() >= next_retention) {
      apply_retention(store, retention);
      next_retention = std::chrono::steady_clock::now() + retention_every;
    }
  };
  auto period = timing.flush_interval.count() > 0 ? timing.flush_interval : retention_every;
  if (timing.flush_interval.count() > 0 || (retain && retention_every.count() > 0)) input.set_tick(period, tick);
  input.for_each([&](const Record& r) {
    std::string why = to_row(r.obj, row, buffer);
    if (why.empty()) why = store.check(row);
    if (!why.empty()) {
      input.reject(why);
      return;
    }
    store.add(row);
    ++accepted;
  });
  store.flush();
  log::info("{} records read, {} new rows stored", accepted, store.inserted());
  apply_retention(store, retention);
  return input.exit_code();
}

void query_records(Store& store, const QueryFilter& filter, const std::string& output) {
  OutputLines out(output);
  LineSink& sink = out.sink();
  store.query(filter, [&](const Row& row) {
    write_row(sink.begin_line(), row);
    sink.end_line();
  });
  sink.flush();
}

} // namespace iot::exporter
