#pragma once
/// \file
/// \brief ResultSchema: what `getResultMetadata` says about a result (PROTOCOL.md §5.1).

#include <cstdint>
#include <string>
#include <vector>

namespace e6data {

/// \brief One result column as described by the result metadata. Strings are UTF-8.
struct ColumnInfo {
  std::string name;
  std::string type;    ///< e.g. "LONG", "STRING", "DECIMAL128"
  std::string zone;    ///< as sent, often empty
  std::string format;  ///< as sent, often empty
  friend bool operator==(const ColumnInfo&, const ColumnInfo&) = default;
};

/// \brief The result metadata of a query.
struct ResultSchema {
  std::int64_t row_count = 0;  ///< as sent by the server
  std::vector<ColumnInfo> columns;
  friend bool operator==(const ResultSchema&, const ResultSchema&) = default;
};

}  // namespace e6data
