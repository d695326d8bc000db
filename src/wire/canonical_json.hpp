#pragma once
// The canonical JSON form of decoded batches and metadata, as specified by the wire test vectors
// (shared/testdata/wire/README.md, "Canonical values"). e6data-cli prints it; tests compare it
// with each vector's `truth`.

#include <nlohmann/json.hpp>

#include "e6data/batch.hpp"
#include "e6data/schema.hpp"

namespace e6data::wire {

// {"rows": N, "columns": [{"vector_type": NAME, "values": [...]}, ...]}
nlohmann::ordered_json batch_to_json(const Batch& batch);
// One cell in its canonical encoding (null for null rows).
nlohmann::ordered_json cell_to_json(const ColumnView& column, std::int64_t row);
// {"row_count": N, "fields": [{"name", "type", "zone", "format"}, ...]}
nlohmann::ordered_json schema_to_json(const ResultSchema& schema);

}  // namespace e6data::wire
