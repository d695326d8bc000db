#pragma once
// A strict checker of the Prometheus text exposition format (0.0.4), written from the format's
// description, not from our renderer: metric and label name grammar, HELP/TYPE lines (at most one
// each per name, before its samples, families not interleaved), escaping in HELP text and label
// values, sample names that match their TYPE (counter, gauge, histogram _bucket/_sum/_count),
// histogram buckets in increasing `le` order ending in +Inf with non-decreasing counts, _count
// equal to the +Inf bucket, _sum and _count present, no duplicate series, a final newline.

#include <string>
#include <string_view>
#include <vector>

namespace e6data::metrics::testing {

// Every problem found, each naming the line; empty when the text is valid.
std::vector<std::string> check_prometheus_text(std::string_view text);

}  // namespace e6data::metrics::testing
