// The checker itself must refuse what the format forbids, or the tests that rely on it prove
// nothing: one broken exposition per rule.
#include "metrics/prometheus_checker.hpp"

#include <gtest/gtest.h>

namespace e6data::metrics::testing {
namespace {

const char* const kValid =
    "# HELP a_total A counter.\n"
    "# TYPE a_total counter\n"
    "a_total{x=\"1\"} 3\n"
    "a_total{x=\"q\\\"uote\\\\back\\nline\"} 0\n"
    "# HELP h_seconds A histogram with an escaped \\\\ and \\n.\n"
    "# TYPE h_seconds histogram\n"
    "h_seconds_bucket{le=\"0.5\"} 1\n"
    "h_seconds_bucket{le=\"1\"} 2\n"
    "h_seconds_bucket{le=\"+Inf\"} 3\n"
    "h_seconds_sum 4.5\n"
    "h_seconds_count 3\n"
    "# HELP g A gauge.\n"
    "# TYPE g gauge\n"
    "g -1.5e-3\n";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(PrometheusChecker, AcceptsAValidExposition) {
  EXPECT_EQ(check_prometheus_text(kValid), std::vector<std::string>{});
}

TEST(PrometheusChecker, RefusesEachBrokenRule) {
  const std::string v = kValid;
  const std::vector<std::pair<const char*, std::string>> broken{
      {"no final newline", v.substr(0, v.size() - 1)},
      {"bad metric name", replaced(v, "g -1.5e-3", "9g -1.5e-3")},
      {"bad label name", replaced(v, "a_total{x=\"1\"}", "a_total{x-y=\"1\"}")},
      {"reserved label name", replaced(v, "a_total{x=\"1\"}", "a_total{__x=\"1\"}")},
      {"bad escape in value", replaced(v, "x=\"1\"", "x=\"\\t\"")},
      {"bad escape in HELP", replaced(v, "A gauge.", "A \\gauge.")},
      {"unquoted value", replaced(v, "x=\"1\"", "x=1")},
      {"second TYPE", replaced(v, "# TYPE g gauge\n", "# TYPE g gauge\n# TYPE g gauge\n")},
      {"second HELP", replaced(v, "# HELP g A gauge.\n", "# HELP g A gauge.\n# HELP g again\n")},
      {"sample without TYPE", v + "other 1\n"},
      {"counter without _total", replaced(v, "# TYPE g gauge", "# TYPE g counter")},
      {"negative counter", replaced(v, "a_total{x=\"1\"} 3", "a_total{x=\"1\"} -3")},
      {"duplicate series", v + "g -1.5e-3\n"},
      {"interleaved family", v + "a_total{x=\"2\"} 1\n"},
      {"buckets out of order", replaced(v, "le=\"0.5\"} 1\nh_seconds_bucket{le=\"1\"}",
                                        "le=\"1\"} 1\nh_seconds_bucket{le=\"0.5\"}")},
      {"no +Inf bucket", replaced(v, "h_seconds_bucket{le=\"+Inf\"} 3\n", "")},
      {"decreasing buckets", replaced(v, "le=\"1\"} 2", "le=\"1\"} 0")},
      {"count differs from +Inf", replaced(v, "h_seconds_count 3", "h_seconds_count 4")},
      {"no _sum", replaced(v, "h_seconds_sum 4.5\n", "")},
      {"bad value", replaced(v, "g -1.5e-3", "g one")},
      {"empty line", replaced(v, "# HELP g", "\n# HELP g")},
      {"label twice", replaced(v, "a_total{x=\"1\"}", "a_total{x=\"1\",x=\"2\"}")},
      {"other comment", "# hello\n" + v},
      {"TYPE after samples", v + "# TYPE a_total counter\n"},
  };
  for (const auto& [rule, text] : broken) {
    EXPECT_FALSE(check_prometheus_text(text).empty()) << rule << ":\n" << text;
  }
}

}  // namespace
}  // namespace e6data::metrics::testing
