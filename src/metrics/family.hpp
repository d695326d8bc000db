#pragma once
// What a scrape collects before it is rendered: metric families in OpenTelemetry's terms (a
// dotted name, a unit, a kind), each with its labelled points. text_format renders them.

#include <string>
#include <utility>
#include <vector>

#include "metrics/histogram.hpp"

namespace e6data::metrics {

enum class Kind {
  kCounter,    // only goes up (OpenTelemetry Counter); rendered with `_total`
  kGauge,      // a value now (OpenTelemetry UpDownCounter or Gauge)
  kHistogram,  // fixed buckets, rendered as _bucket/_sum/_count
};

// Label name (already in Prometheus form: [a-zA-Z_][a-zA-Z0-9_]*) and value (any UTF-8).
using Labels = std::vector<std::pair<std::string, std::string>>;

struct Point {
  Labels labels;
  double value = 0;             // counters and gauges
  HistogramSnapshot histogram;  // histograms
};

struct Family {
  std::string name;  // OpenTelemetry name, e.g. "db.client.operation.duration"
  std::string unit;  // UCUM as OpenTelemetry writes it: "s", "{connection}", "1", ...
  Kind kind = Kind::kCounter;
  std::string help;
  std::vector<Point> points;
};

}  // namespace e6data::metrics
