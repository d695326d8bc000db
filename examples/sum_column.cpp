// Sum one column of a large result, the fast way: Cursor::batches() hands over whole batches
// whose columns are read in place (zero-copy spans), while download-ahead fetches and decodes the
// next responses in the background as this loop adds. Connection settings come from the
// E6DATA_* environment (E6DATA_HOST, E6DATA_PORT, E6DATA_USERNAME, E6DATA_PASSWORD, ...).
// line_items has about 10,000 x scale rows (e6data-devserver --scale N); discount is a nullable
// DOUBLE.
#include <chrono>
#include <cstdint>
#include <e6data/e6data.hpp>
#include <iomanip>
#include <iostream>
#include <span>

int main() try {
  e6data::ConnectionOptions options = e6data::ConnectionOptions::from_env();
  options.download_ahead = 2;  // up to 2 responses fetched ahead of the loop (the default)
  e6data::Connection connection(options);
  e6data::Cursor cursor = connection.cursor();

  const auto started = std::chrono::steady_clock::now();
  cursor.execute("SELECT discount FROM line_items");
  double sum = 0;
  std::int64_t rows = 0;
  std::int64_t nulls = 0;
  for (const e6data::Batch& batch : cursor.batches()) {
    const e6data::ColumnView discount = batch.column(0);
    rows += batch.num_rows();
    if (discount.physical_type() == e6data::PhysicalType::kNone) {  // a NULL-typed column
      nulls += batch.num_rows();
      continue;
    }
    // Zero-copy: a span over the batch's decoded doubles (UsageError if the column is not
    // stored as double). A constant column stores one value for all its non-null rows.
    const std::span<const double> values = discount.values<double>();
    for (std::int64_t row = 0; row < batch.num_rows(); ++row) {
      if (discount.is_null(row)) {
        ++nulls;  // a null row stores no meaningful value: skip it
        continue;
      }
      sum += values[discount.is_constant() ? 0 : static_cast<std::size_t>(row)];
    }
  }
  const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - started;

  std::cout << "rows: " << rows << '\n'
            << "nulls: " << nulls << '\n'
            << "sum: " << std::setprecision(17) << sum << '\n'
            << "seconds: " << std::setprecision(3) << seconds.count() << '\n'
            << "rows/s: " << std::fixed << std::setprecision(0)
            << (seconds.count() > 0 ? static_cast<double>(rows) / seconds.count() : 0.0) << '\n';
  return 0;
} catch (const e6data::Error& e) {
  std::cerr << "error (" << e6data::to_string(e.kind()) << "): " << e.what() << '\n';
  return 1;
}
