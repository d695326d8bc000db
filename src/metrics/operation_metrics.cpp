#include "metrics/operation_metrics.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "metrics/builtin_collectors.hpp"
#include "metrics/histogram.hpp"

namespace e6data::metrics {
namespace {

constexpr int kErrorKinds = static_cast<int>(ErrorKind::kOutcomeUnknown) + 1;
constexpr int kOtherSlot = kErrorKinds + 1;
constexpr int kErrorSlots = kErrorKinds + 2;

constexpr std::array<const char*, kOperations> kOperationNames{
    "execute", "fetch", "status", "cancel", "clear", "explain", "explain_analyze"};

struct OperationHistograms {
  std::array<std::array<Histogram, kErrorSlots>, kOperations> all;
  std::array<Histogram, kOperations> during_switch;
};

OperationHistograms& histograms() {
  static OperationHistograms h;  // constructed once; Histogram's constructor does not throw here
  return h;
}

std::string error_type_name(int slot) {
  if (slot == 0) return {};
  if (slot == kOtherSlot) return "_OTHER";
  // ErrorKind's names have spaces ("strategy changed"); error.type values are identifiers.
  std::string name(to_string(static_cast<ErrorKind>(slot - 1)));
  std::replace(name.begin(), name.end(), ' ', '_');
  return name;
}

}  // namespace

ErrorType ErrorType::other() noexcept {
  return {kOtherSlot};
}

void record_operation(Operation operation, double seconds, ErrorType error, bool during_switch) {
  auto& h = histograms();
  const auto op = static_cast<std::size_t>(operation);
  h.all[op][static_cast<std::size_t>(error.slot)].observe(seconds);
  if (during_switch) h.during_switch[op].observe(seconds);
}

void collect_operations(std::vector<Family>& out) {
  auto& h = histograms();
  Family all{"db.client.operation.duration",
             "s",
             Kind::kHistogram,
             "Duration of the connector's calls, by operation and error type (error_type "
             "absent: success). OpenTelemetry db.client.operation.duration.",
             {}};
  Family switching{"e6data.switch.operation.duration",
                   "s",
                   Kind::kHistogram,
                   "Duration of the calls that overlapped a blue-green switch in progress, by "
                   "operation; compare with db_client_operation_duration_seconds for the latency "
                   "a switch adds.",
                   {}};
  for (std::size_t op = 0; op < kOperationNames.size(); ++op) {
    for (std::size_t slot = 0; slot < h.all[op].size(); ++slot) {
      auto snapshot = h.all[op][slot].snapshot();
      if (snapshot.count() == 0) continue;  // only pairs that happened make series
      Labels labels{{"db_system_name", "e6data"}, {"db_operation_name", kOperationNames[op]}};
      if (slot != 0) labels.emplace_back("error_type", error_type_name(static_cast<int>(slot)));
      all.points.push_back({std::move(labels), 0, std::move(snapshot)});
    }
    auto snapshot = h.during_switch[op].snapshot();
    if (snapshot.count() == 0) continue;
    switching.points.push_back(
        {{{"db_system_name", "e6data"}, {"db_operation_name", kOperationNames[op]}},
         0,
         std::move(snapshot)});
  }
  out.push_back(std::move(all));
  out.push_back(std::move(switching));
}

}  // namespace e6data::metrics
