#pragma once
// The Prometheus text exposition format (version 0.0.4) of metric families, with OpenTelemetry
// names mapped the usual way (OpenTelemetry's Prometheus compatibility spec):
//   - every character outside [a-zA-Z0-9_:] becomes '_' (so dots become underscores), runs of
//     '_' collapse to one, and a leading digit gets a '_' in front;
//   - the unit becomes a suffix: "s" -> "_seconds", "By" -> "_bytes"; units in braces
//     ("{connection}") and "1" add nothing; the suffix is not repeated when the name has it;
//   - counters end in "_total".
// e.g. db.client.operation.duration [s] -> db_client_operation_duration_seconds,
//      db.client.connection.timeouts (counter) -> db_client_connection_timeouts_total.

#include <string>
#include <string_view>
#include <vector>

#include "metrics/family.hpp"

namespace e6data::metrics {

// The Prometheus name of a family, without the "_total" of counters.
std::string prometheus_name(std::string_view otel_name, std::string_view unit);

// Renders `families` in the text format: one HELP and one TYPE line per name, families in name
// order, points in label order. Families of the same name and kind are merged (several pools
// each report db.client.connection.count). Throws UsageError on a label name that is not valid
// or on two families of one name with different kinds or units: both are programming errors.
std::string render_text(std::vector<Family> families);

// A number as the format writes it: shortest round-trip form, "+Inf", "-Inf", "NaN".
std::string format_value(double value);

}  // namespace e6data::metrics
