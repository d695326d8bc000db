#include "demo_report.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <system_error>

namespace e6data::demo {
namespace {

// ---- text -------------------------------------------------------------------------------

// Length of the well-formed UTF-8 sequence at text[i], or 0. Overlong forms, surrogates and
// code points above U+10FFFF count as malformed: XML parsers reject them.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < second_min || byte(i + 1) > second_max) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// Labels come from the demo and from server error messages: control characters would break
// the table's layout and, like malformed UTF-8, make the SVG invalid XML.
std::string clean_text(std::string_view raw) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const std::size_t length = utf8_sequence_length(raw, i);
    if (length == 0) {
      out += kReplacement;
      ++i;
    } else if (length == 1 && (static_cast<unsigned char>(raw[i]) < 0x20 || raw[i] == 0x7F)) {
      out += ' ';
      ++i;
    } else {
      out.append(raw.substr(i, length));
      i += length;
    }
  }
  return out;
}

// At most `max_width` code points of clean text, ending in "…" when cut.
std::string truncated(const std::string& text, std::size_t max_width) {
  if (display_width(text) <= max_width) return text;
  std::size_t end = 0;
  for (std::size_t kept = 0; kept + 1 < max_width; ++kept) {
    end += utf8_sequence_length(text, end);
  }
  return text.substr(0, end) + "\xE2\x80\xA6";
}

// Fixed notation through to_chars: independent of the global and C locales, so the output
// is byte-for-byte reproducible. Non-finite values print as "-".
std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "-";
  std::array<char, 400> buffer{};  // DBL_MAX in fixed notation is 309 digits
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                       std::chars_format::fixed, decimals);
  if (ec != std::errc{}) return "-";
  std::string out(buffer.data(), end);
  // "-0.0" (from -0.0 or a tiny negative) reads as a bug.
  if (out.front() == '-' && out.find_first_not_of("0.", 1) == std::string::npos) out.erase(0, 1);
  return out;
}

std::string repeated(std::string_view unit, std::size_t count) {
  std::string out;
  out.reserve(unit.size() * count);
  for (std::size_t i = 0; i < count; ++i) out += unit;
  return out;
}

// ---- table ------------------------------------------------------------------------------

struct PhaseStats {
  std::string name;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::uint64_t interrupted = 0;
  std::vector<double> ok_latencies_ms;
};

std::vector<PhaseStats> stats_by_phase(const std::vector<QueryRecord>& queries) {
  std::vector<PhaseStats> phases;
  for (const auto& query : queries) {
    // A linear search keeps first-appearance order; a demo has a handful of phases.
    auto it = std::find_if(phases.begin(), phases.end(),
                           [&](const PhaseStats& p) { return p.name == query.phase; });
    if (it == phases.end())
      it = phases.insert(phases.end(), PhaseStats{.name = query.phase, .ok_latencies_ms = {}});
    if (query.interrupted) {
      ++it->interrupted;
    } else if (query.ok) {
      ++it->ok;
      it->ok_latencies_ms.push_back((query.end_s - query.start_s) * 1000.0);
    } else {
      ++it->failed;
    }
  }
  return phases;
}

std::vector<std::string> row_cells(const PhaseStats& stats, bool with_interrupted) {
  std::vector<std::string> cells{stats.name.empty() ? "(no phase)" : clean_text(stats.name),
                                 std::to_string(stats.ok), std::to_string(stats.failed)};
  if (with_interrupted) cells.push_back(std::to_string(stats.interrupted));
  cells.push_back(fixed(percentile(stats.ok_latencies_ms, 50), 1));
  cells.push_back(fixed(percentile(stats.ok_latencies_ms, 99), 1));
  return cells;
}

// Widths are display widths of the cell contents, without the one-space padding either side.
std::string rule(const std::vector<std::size_t>& widths, std::string_view left,
                 std::string_view middle, std::string_view right) {
  std::string line(left);
  for (std::size_t c = 0; c < widths.size(); ++c) {
    if (c > 0) line += middle;
    line += repeated("─", widths[c] + 2);
  }
  line += right;
  line += '\n';
  return line;
}

// The first column (phase names) is left-aligned, numbers are right-aligned.
std::string grid_row(const std::vector<std::string>& cells,
                     const std::vector<std::size_t>& widths) {
  std::string line = "│";
  for (std::size_t c = 0; c < cells.size(); ++c) {
    const std::string fill(widths[c] - display_width(cells[c]), ' ');
    line += ' ';
    line += c == 0 ? cells[c] + fill : fill + cells[c];
    line += " │";
  }
  line += '\n';
  return line;
}

using NameValue = std::pair<std::string, std::string>;

// A row spanning the whole table: name on the left, value on the right.
std::string wide_row(const NameValue& row, std::size_t inner_width) {
  const std::size_t used = display_width(row.first) + display_width(row.second);
  return "│ " + row.first + std::string(inner_width - used, ' ') + row.second + " │\n";
}

// ---- SVG --------------------------------------------------------------------------------

constexpr double kSvgWidth = 1000;
constexpr double kSvgHeight = 410;
constexpr double kPlotLeft = 64;
constexpr double kPlotRight = 976;
// The label band: kLabelRows rows of kLabelRowHeight between the title and the plot. Markers
// are drawn inside the plot only, so no marker can cross a label.
constexpr double kLabelRowHeight = 13;
constexpr double kPlotTop = 40 + kLabelRows * kLabelRowHeight + 6;
constexpr double kPlotBottom = kPlotTop + 220;
// Rough advance of one character at font-size 11 in a sans-serif face, for layout only: a bit
// more than the average of DejaVu Sans / Liberation Sans, so that estimates err on the wide side.
constexpr double kCharWidth = 6.6;
constexpr std::size_t kMaxEventLabel = 28;
constexpr double kLabelGap = 6;
// Events of one kind closer than this share a label: a burst of failures is one label.
constexpr double kMergePx = 24;

constexpr std::string_view kOkColour = "#264653";
constexpr std::string_view kFailedColour = "#d62728";
constexpr std::string_view kBlueColour = "#1f77b4";
constexpr std::string_view kGreenColour = "#2ca02c";
constexpr std::string_view kSuspendColour = "#7f7f7f";
constexpr std::string_view kResumeColour = "#ff7f0e";
constexpr std::string_view kErrorColour = "#d62728";
constexpr std::string_view kOtherColour = "#9467bd";

std::string xml_escaped(std::string_view raw) {
  std::string out;
  for (char c : clean_text(raw)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string px(double value) {
  return fixed(value, 1);
}

// Negative times come from clock skew, NaN from a record never completed: draw them at 0
// rather than dropping them, so every event still gets its marker.
double clamped_time(double seconds) {
  return std::isfinite(seconds) && seconds > 0 ? seconds : 0;
}

// 1, 2 or 5 times a power of ten, at least range / target_ticks: ticks on round numbers.
double nice_step(double range, double target_ticks) {
  const double raw = range / target_ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  const double factor = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10;
  return factor * magnitude;
}

struct Axis {
  double max = 1;
  double step = 1;
  int ticks = 1;
  int decimals = 0;
};

Axis make_axis(double extent, double target_ticks) {
  Axis axis;
  axis.step = nice_step(extent, target_ticks);
  // The epsilon keeps 0.3 / 0.1 = 2.9999999999999996 from adding an empty tick.
  axis.ticks = std::max(1, static_cast<int>(std::ceil(extent / axis.step - 1e-9)));
  axis.max = axis.ticks * axis.step;
  axis.decimals = axis.step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(axis.step) - 1e-9));
  return axis;
}

struct Timeline {
  double bin_s = 1;
  std::vector<double> ok_per_s;
  std::vector<double> failed_per_s;
  Axis x;
  Axis y;

  double x_px(double seconds) const {
    return kPlotLeft + seconds / x.max * (kPlotRight - kPlotLeft);
  }
  double y_px(double per_s) const { return kPlotBottom - per_s / y.max * (kPlotBottom - kPlotTop); }
};

Timeline make_timeline(const std::vector<QueryRecord>& queries,
                       const std::vector<EventRecord>& events, double wall_seconds) {
  double extent = std::isfinite(wall_seconds) ? std::max(wall_seconds, 0.0) : 0.0;
  for (const auto& query : queries) extent = std::max(extent, clamped_time(query.end_s));
  for (const auto& event : events) extent = std::max(extent, clamped_time(event.at_s));
  if (extent <= 0) extent = 1;  // an empty run still gets a drawable axis

  Timeline timeline;
  timeline.bin_s = extent < 20 ? 0.5 : 1.0;
  // Beyond about one bin per pixel the line turns to noise and the file grows for nothing.
  if (extent / timeline.bin_s > 1000) timeline.bin_s = nice_step(extent, 1000);
  const auto bins =
      static_cast<std::size_t>(std::max(1.0, std::ceil(extent / timeline.bin_s - 1e-9)));
  timeline.ok_per_s.assign(bins, 0.0);
  timeline.failed_per_s.assign(bins, 0.0);
  for (const auto& query : queries) {
    const auto bin =
        std::min(bins - 1, static_cast<std::size_t>(clamped_time(query.end_s) / timeline.bin_s));
    (query.ok ? timeline.ok_per_s : timeline.failed_per_s)[bin] += 1.0 / timeline.bin_s;
  }

  timeline.x = make_axis(static_cast<double>(bins) * timeline.bin_s, 10);
  double peak = 1;  // an idle run still gets a 0..1 axis
  for (std::size_t i = 0; i < bins; ++i) {
    peak = std::max({peak, timeline.ok_per_s[i], timeline.failed_per_s[i]});
  }
  timeline.y = make_axis(peak, 5);
  return timeline;
}

void append_axes(std::string& out, const Timeline& t) {
  out += "<g class=\"grid\" stroke=\"#e6e6e6\">\n";
  for (int i = 1; i <= t.y.ticks; ++i) {
    const std::string y = px(t.y_px(i * t.y.step));
    out += "<line x1=\"" + px(kPlotLeft) + "\" y1=\"" + y + "\" x2=\"" + px(kPlotRight) +
           "\" y2=\"" + y + "\"/>\n";
  }
  out += "</g>\n<g class=\"axes\" stroke=\"#333333\" fill=\"#333333\">\n";
  out += "<line x1=\"" + px(kPlotLeft) + "\" y1=\"" + px(kPlotBottom) + "\" x2=\"" +
         px(kPlotRight) + "\" y2=\"" + px(kPlotBottom) + "\"/>\n";
  out += "<line x1=\"" + px(kPlotLeft) + "\" y1=\"" + px(kPlotTop) + "\" x2=\"" + px(kPlotLeft) +
         "\" y2=\"" + px(kPlotBottom) + "\"/>\n";
  for (int i = 0; i <= t.x.ticks; ++i) {
    const double seconds = i * t.x.step;
    const std::string x = px(t.x_px(seconds));
    out += "<line x1=\"" + x + "\" y1=\"" + px(kPlotBottom) + "\" x2=\"" + x + "\" y2=\"" +
           px(kPlotBottom + 4) + "\"/>\n";
    out += "<text x=\"" + x + "\" y=\"" + px(kPlotBottom + 16) +
           "\" stroke=\"none\" text-anchor=\"middle\">" + fixed(seconds, t.x.decimals) +
           "</text>\n";
  }
  for (int i = 0; i <= t.y.ticks; ++i) {
    const double rate = i * t.y.step;
    const std::string y = px(t.y_px(rate));
    out += "<line x1=\"" + px(kPlotLeft - 4) + "\" y1=\"" + y + "\" x2=\"" + px(kPlotLeft) +
           "\" y2=\"" + y + "\"/>\n";
    out += "<text x=\"" + px(kPlotLeft - 7) + "\" y=\"" + px(t.y_px(rate) + 4) +
           "\" stroke=\"none\" text-anchor=\"end\">" + fixed(rate, t.y.decimals) + "</text>\n";
  }
  out += "</g>\n";
  out += "<text x=\"" + px((kPlotLeft + kPlotRight) / 2) + "\" y=\"" + px(kPlotBottom + 33) +
         "\" text-anchor=\"middle\">time (s)</text>\n";
  const std::string mid_y = px((kPlotTop + kPlotBottom) / 2);
  out += "<text x=\"16\" y=\"" + mid_y + "\" text-anchor=\"middle\" transform=\"rotate(-90 16 " +
         mid_y + ")\">queries / s</text>\n";
}

void append_series(std::string& out, const Timeline& t) {
  // A step line: each bin is a flat segment, which is what a per-bin count means.
  std::string points = px(t.x_px(0)) + "," + px(t.y_px(0));
  for (std::size_t i = 0; i < t.ok_per_s.size(); ++i) {
    const std::string y = px(t.y_px(t.ok_per_s[i]));
    // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false positive) on
    // `" " + std::string&&`.
    for (const std::size_t edge : {i, i + 1}) {
      points += ' ';
      points += px(t.x_px(static_cast<double>(edge) * t.bin_s));
      points += ',';
      points += y;
    }
  }
  points +=
      " " + px(t.x_px(static_cast<double>(t.ok_per_s.size()) * t.bin_s)) + "," + px(t.y_px(0));
  out += "<polygon class=\"ok-area\" fill=\"" + std::string(kOkColour) +
         "\" fill-opacity=\"0.12\" stroke=\"none\" points=\"" + points + "\"/>\n";
  out += "<polyline class=\"ok\" fill=\"none\" stroke=\"" + std::string(kOkColour) +
         "\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"" + points + "\"/>\n";

  // Bars only where something failed: a red line along zero would hide the axis.
  out += "<g class=\"failed\" fill=\"" + std::string(kFailedColour) + "\" fill-opacity=\"0.8\">\n";
  const double bin_px = t.x_px(t.bin_s) - t.x_px(0);
  const double bar_px = std::max(1.0, bin_px > 3 ? bin_px - 1 : bin_px);
  for (std::size_t i = 0; i < t.failed_per_s.size(); ++i) {
    if (t.failed_per_s[i] <= 0) continue;
    const double top = t.y_px(t.failed_per_s[i]);
    out += "<rect x=\"" + px(t.x_px(static_cast<double>(i) * t.bin_s)) + "\" y=\"" + px(top) +
           "\" width=\"" + px(bar_px) + "\" height=\"" + px(kPlotBottom - top) + "\"/>\n";
  }
  out += "</g>\n";
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A switch is coloured after its target: the text after the last arrow of "blue→green".
std::string_view event_colour(const EventRecord& event) {
  const std::string kind = ascii_lower(event.kind);
  if (kind == "switch") {
    std::string_view target = event.label;
    std::size_t cut = 0;
    for (std::string_view arrow : {std::string_view("→"), std::string_view("->")}) {
      const std::size_t at = target.rfind(arrow);
      if (at != std::string_view::npos) cut = std::max(cut, at + arrow.size());
    }
    const std::string lower = ascii_lower(target.substr(cut));
    if (lower.find("green") != std::string::npos) return kGreenColour;
    if (lower.find("blue") != std::string::npos) return kBlueColour;
    return kOtherColour;
  }
  if (kind == "suspend") return kSuspendColour;
  if (kind == "resume") return kResumeColour;
  if (kind == "error") return kErrorColour;
  return kOtherColour;
}

struct LabelGroup {
  std::size_t first = 0;  // index into the time-sorted events
  std::size_t count = 0;
  std::string text;
};

// Consecutive events of one kind closer than kMergePx share one label: "first (+N more)".
std::vector<LabelGroup> label_groups(const std::vector<const EventRecord*>& sorted,
                                     const Timeline& t) {
  std::vector<LabelGroup> groups;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const double x = t.x_px(clamped_time(sorted[i]->at_s));
    if (!groups.empty()) {
      const EventRecord& first = *sorted[groups.back().first];
      if (ascii_lower(first.kind) == ascii_lower(sorted[i]->kind) &&
          x - t.x_px(clamped_time(first.at_s)) < kMergePx) {
        ++groups.back().count;
        continue;
      }
    }
    groups.push_back({i, 1, ""});
  }
  for (auto& group : groups) {
    const EventRecord& first = *sorted[group.first];
    const std::string text = clean_text(first.label.empty() ? first.kind : first.label);
    if (group.count == 1) {
      group.text = truncated(text, kMaxEventLabel);
    } else {
      const std::string more = " (+" + std::to_string(group.count - 1) + " more)";
      group.text = truncated(text, kMaxEventLabel > display_width(more) + 4
                                       ? kMaxEventLabel - display_width(more)
                                       : 4) +
                   more;
    }
  }
  return groups;
}

// Returns how many labels had no room.
std::size_t append_events(std::string& out, const std::vector<EventRecord>& events,
                          const Timeline& t) {
  std::vector<const EventRecord*> sorted;
  for (const auto& event : events) sorted.push_back(&event);
  std::stable_sort(sorted.begin(), sorted.end(), [](const EventRecord* a, const EventRecord* b) {
    return clamped_time(a->at_s) < clamped_time(b->at_s);
  });

  out += "<g class=\"events\">\n";
  for (const EventRecord* event : sorted) {
    const double seconds = clamped_time(event->at_s);
    const std::string x = px(t.x_px(seconds));
    const std::string kind_class = xml_escaped(ascii_lower(clean_text(event->kind)));
    out += "<line class=\"event " + kind_class + "\" x1=\"" + x + "\" y1=\"" + px(kPlotTop) +
           "\" x2=\"" + x + "\" y2=\"" + px(kPlotBottom) + "\" stroke=\"" +
           std::string(event_colour(*event)) +
           "\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"><title>" + xml_escaped(event->kind) +
           " at " + fixed(seconds, 2) + " s: " + xml_escaped(event->label) + "</title></line>\n";
  }

  // Cluster events are placed before failures: when a moment is too crowded, the label left
  // out is a failure's (its marker and the red bars still show it), not a switch's.
  std::vector<LabelGroup> groups = label_groups(sorted, t);
  std::stable_partition(groups.begin(), groups.end(), [&](const LabelGroup& group) {
    return ascii_lower(sorted[group.first]->kind) != "error";
  });
  std::vector<double> anchors;
  std::vector<double> widths;
  for (const auto& group : groups) {
    anchors.push_back(t.x_px(clamped_time(sorted[group.first]->at_s)));
    widths.push_back(label_width_px(group.text));
  }
  const std::vector<LabelSlot> slots =
      place_labels(anchors, widths, 4, kSvgWidth - 4, kLabelRows, kLabelGap);
  std::size_t hidden = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const LabelSlot& slot = slots[g];
    if (slot.row < 0) {
      ++hidden;
      continue;
    }
    const EventRecord& event = *sorted[groups[g].first];
    const double baseline = kPlotTop - 4 - kLabelRowHeight * static_cast<double>(slot.row) - 2;
    out += "<text class=\"event-label\" x=\"" + px(slot.left) + "\" y=\"" + px(baseline) +
           "\" fill=\"" + std::string(event_colour(event)) + "\" data-right=\"" + px(slot.right) +
           "\" data-row=\"" + std::to_string(slot.row) + "\">" + xml_escaped(groups[g].text) +
           "</text>\n";
  }
  out += "</g>\n";
  return hidden;
}

void append_legend(std::string& out) {
  enum class Swatch { kLine, kBar, kDashed };
  struct Item {
    std::string_view text;
    std::string_view colour;
    Swatch swatch;
  };
  static constexpr std::array<Item, 7> kItems{{
      {"completed queries/s", kOkColour, Swatch::kLine},
      {"failed queries/s", kFailedColour, Swatch::kBar},
      {"switch to green", kGreenColour, Swatch::kDashed},
      {"switch to blue", kBlueColour, Swatch::kDashed},
      {"suspend", kSuspendColour, Swatch::kDashed},
      {"resume", kResumeColour, Swatch::kDashed},
      {"error", kErrorColour, Swatch::kDashed},
  }};
  const double y = kSvgHeight - 18;
  double x = kPlotLeft;
  out += "<g class=\"legend\">\n";
  for (const Item& item : kItems) {
    const std::string colour(item.colour);
    if (item.swatch == Swatch::kBar) {
      out += "<rect x=\"" + px(x) + "\" y=\"" + px(y - 9) +
             "\" width=\"18\" height=\"10\" fill=\"" + colour + "\" fill-opacity=\"0.8\"/>\n";
    } else {
      out += "<line x1=\"" + px(x) + "\" y1=\"" + px(y - 4) + "\" x2=\"" + px(x + 18) + "\" y2=\"" +
             px(y - 4) + "\" stroke=\"" + colour + "\" stroke-width=\"" +
             (item.swatch == Swatch::kLine ? "2\"" : "1.5\" stroke-dasharray=\"6 4\"") + "/>\n";
    }
    out += "<text x=\"" + px(x + 24) + "\" y=\"" + px(y) + "\">" + std::string(item.text) +
           "</text>\n";
    x += 24 + static_cast<double>(item.text.size()) * kCharWidth + 18;
  }
  out += "</g>\n";
}

}  // namespace

double percentile(std::vector<double> values, double p) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  if (values.empty() || std::isnan(p)) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(rank));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = rank - static_cast<double>(below);
  // Interpolating only when needed keeps exact ranks exact even next to an infinity.
  if (fraction == 0) return values[below];
  return values[below] + fraction * (values[above] - values[below]);
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++width) {
    i += std::max<std::size_t>(1, utf8_sequence_length(text, i));
  }
  return width;
}

ServingCounts count_by_serving_deployment(const std::vector<QueryRecord>& queries,
                                          const std::vector<ServingPeriod>& periods) {
  ServingCounts counts;
  for (const auto& query : queries) {
    std::string_view serving;
    for (const auto& period : periods) {
      if (!period.deployment.empty() && period.start_s <= query.start_s &&
          query.end_s <= period.end_s) {
        serving = period.deployment;
        break;
      }
    }
    if (serving == "blue") {
      ++counts.on_blue;
    } else if (serving == "green") {
      ++counts.on_green;
    } else {
      ++counts.during_switch;
    }
  }
  return counts;
}

std::vector<LabelSlot> place_labels(const std::vector<double>& anchors,
                                    const std::vector<double>& widths, double min_x, double max_x,
                                    int rows, double gap) {
  std::vector<LabelSlot> slots;
  std::vector<std::vector<LabelSlot>> taken(static_cast<std::size_t>(std::max(rows, 0)));
  for (std::size_t i = 0; i < anchors.size() && i < widths.size(); ++i) {
    const double width = std::max(0.0, widths[i]);
    LabelSlot slot;
    slot.left = anchors[i];
    slot.right = anchors[i] + width;
    if (slot.right > max_x) {  // no room to the right: end at the marker instead
      slot.right = anchors[i];
      slot.left = anchors[i] - width;
    }
    if (slot.left < min_x) {
      slot.left = min_x;
      slot.right = min_x + width;
    }
    for (std::size_t row = 0; row < taken.size(); ++row) {
      const bool free = std::none_of(taken[row].begin(), taken[row].end(), [&](const LabelSlot& o) {
        return slot.left < o.right + gap && o.left < slot.right + gap;
      });
      if (free) {
        slot.row = static_cast<int>(row);
        taken[row].push_back(slot);
        break;
      }
    }
    slots.push_back(slot);
  }
  return slots;
}

double label_width_px(std::string_view text) {
  return std::ceil(static_cast<double>(display_width(text)) * kCharWidth);
}

namespace {

// `text` cut or padded with spaces to exactly `width` columns (display width, not bytes).
std::string fit(std::string_view text, std::size_t width, bool right_aligned = false) {
  std::string cell = clean_text(text);
  if (display_width(cell) > width) cell = truncated(cell, width);
  const std::string fill(width - display_width(cell), ' ');
  return right_aligned ? fill + cell : cell + fill;
}

std::string whole_seconds(double seconds) {
  return fixed(std::round(std::max(0.0, seconds)), 0) + "s";
}

}  // namespace

std::string progress_line(const Progress& p, std::size_t max_width) {
  // The widths of the time fields follow the planned total only, so they do not change during
  // a run (the elapsed time has room for ten times the total).
  const double total = std::isfinite(p.total_s) ? std::max(0.0, p.total_s) : 0.0;
  const double elapsed = std::isfinite(p.elapsed_s) ? std::max(0.0, p.elapsed_s) : 0.0;
  const std::size_t elapsed_width = fixed(total * 10, 1).size() + 1;
  const std::size_t left_width = whole_seconds(total).size();
  std::string line =
      fit(fixed(elapsed, 1) + "s", elapsed_width, true) + " / " + whole_seconds(total) + "  ETA " +
      fit(whole_seconds(total - elapsed), left_width, true) + "  " + fit(p.phase, 15) + "  ok " +
      fit(std::to_string(p.ok), 7, true) + "  failed " + fit(std::to_string(p.failed), 4, true) +
      "  " + fit(fixed(p.queries_per_s, 0), 5, true) + " q/s  client " +
      fit(p.active.empty()    ? "-"
          : p.pending.empty() ? p.active
                              : p.active + "→" + p.pending,
          11);
  if (max_width > 0 && display_width(line) > max_width) line = truncated(line, max_width);
  return line;
}

std::string errors_log(const std::vector<QueryRecord>& queries, double started_unix_s) {
  std::vector<const QueryRecord*> failed;
  for (const auto& query : queries) {
    if (!query.ok && !query.interrupted) failed.push_back(&query);
  }
  std::stable_sort(failed.begin(), failed.end(),
                   [](const QueryRecord* a, const QueryRecord* b) { return a->end_s < b->end_s; });
  if (failed.empty()) return "no failed queries\n";
  std::string out = std::to_string(failed.size()) + " failed queries, in the order they ended\n";
  for (const QueryRecord* query : failed) {
    const double at = started_unix_s + (std::isfinite(query->end_s) ? query->end_s : 0);
    const auto whole = static_cast<std::time_t>(std::floor(at));
    const auto millis = static_cast<int>(std::floor((at - std::floor(at)) * 1000));
    std::tm utc{};
    gmtime_r(&whole, &utc);
    std::array<char, 32> stamp{};
    std::strftime(stamp.data(), stamp.size(), "%Y-%m-%dT%H:%M:%S", &utc);
    std::array<char, 8> fraction{};
    std::snprintf(fraction.data(), fraction.size(), ".%03dZ", std::clamp(millis, 0, 999));
    out += "\n";
    out += std::string(stamp.data()) + fraction.data() + "  t=" + fixed(query->end_s, 3) +
           "s (started " + fixed(query->start_s, 3) + "s)  worker " +
           std::to_string(query->worker) + "  " + (query->kind.empty() ? "query" : query->kind) +
           "  phase " + clean_text(query->phase) +
           "  kind: " + (query->error_kind.empty() ? "unknown" : query->error_kind) + "\n";
    out += "  query: " + clean_text(query->sql) + "\n";
    // The full message, each of its lines indented: a block per failure.
    out += "  error: ";
    for (const char c : query->error) {
      out += c;
      if (c == '\n') out += "         ";
    }
    out += "\n";
  }
  return out;
}

std::string summary_table(const std::vector<QueryRecord>& queries, const Counters& counters,
                          double wall_seconds) {
  const std::vector<PhaseStats> phases = stats_by_phase(queries);
  PhaseStats total{.name = "total", .ok_latencies_ms = {}};
  for (const auto& phase : phases) {
    total.ok += phase.ok;
    total.failed += phase.failed;
    total.interrupted += phase.interrupted;
    total.ok_latencies_ms.insert(total.ok_latencies_ms.end(), phase.ok_latencies_ms.begin(),
                                 phase.ok_latencies_ms.end());
  }

  // The column appears only when it says something: an uninterrupted run keeps its old shape.
  const bool with_interrupted = total.interrupted > 0;
  std::vector<std::string> header{"phase", "ok", "failed", "p50 ms", "p99 ms"};
  if (with_interrupted) header.insert(header.begin() + 3, "interrupted");
  std::vector<std::vector<std::string>> body;
  for (const auto& phase : phases) body.push_back(row_cells(phase, with_interrupted));
  const std::vector<std::string> total_cells = row_cells(total, with_interrupted);

  std::vector<NameValue> counter_rows;
  for (const auto& [name, value] : counters.values) {
    counter_rows.emplace_back(clean_text(name), std::to_string(value));
  }
  const bool timed = std::isfinite(wall_seconds) && wall_seconds > 0;
  const std::vector<NameValue> run_rows{
      {"wall time", timed ? fixed(wall_seconds, 1) + " s" : "-"},
      {"throughput",
       timed ? fixed(static_cast<double>(total.ok) / wall_seconds, 1) + " queries/s" : "-"}};

  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = std::max(display_width(header[c]), display_width(total_cells[c]));
    for (const auto& row : body) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  // Wide rows span all columns (minus the outer padding); a long counter name widens the
  // phase column so that every line keeps the same width.
  std::size_t inner =
      std::accumulate(widths.begin(), widths.end(), std::size_t{0}) + 3 * (widths.size() - 1);
  const auto make_room = [&](const std::vector<NameValue>& rows) {
    for (const auto& row : rows) {
      const std::size_t needed = display_width(row.first) + 2 + display_width(row.second);
      if (needed > inner) {
        widths[0] += needed - inner;
        inner = needed;
      }
    }
  };
  make_room(counter_rows);
  make_room(run_rows);

  std::string out = rule(widths, "┌", "┬", "┐");
  out += grid_row(header, widths);
  out += rule(widths, "├", "┼", "┤");
  for (const auto& row : body) out += grid_row(row, widths);
  if (!body.empty()) out += rule(widths, "├", "┼", "┤");
  out += grid_row(total_cells, widths);
  out += rule(widths, "├", "┴", "┤");
  for (const auto& row : counter_rows) out += wide_row(row, inner);
  if (!counter_rows.empty()) out += rule({inner}, "├", "─", "┤");
  for (const auto& row : run_rows) out += wide_row(row, inner);
  out += rule({inner}, "└", "─", "┘");
  return out;
}

std::string timeline_svg(const std::vector<QueryRecord>& queries,
                         const std::vector<EventRecord>& events, double wall_seconds) {
  const Timeline timeline = make_timeline(queries, events, wall_seconds);
  const auto failed = static_cast<std::size_t>(
      std::count_if(queries.begin(), queries.end(), [](const QueryRecord& q) { return !q.ok; }));

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + px(kSvgWidth) + "\" height=\"" +
         px(kSvgHeight) + "\" viewBox=\"0 0 " + px(kSvgWidth) + " " + px(kSvgHeight) +
         "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  out += "<text x=\"" + px(kPlotLeft) +
         "\" y=\"24\" font-size=\"15\" font-weight=\"bold\">Blue-green demo: queries per second "
         "while deployments switch</text>\n";
  out += "<text x=\"" + px(kPlotRight) + "\" y=\"24\" text-anchor=\"end\" fill=\"#555555\">" +
         std::to_string(queries.size()) + " queries, " + std::to_string(failed) + " failed, " +
         std::to_string(events.size()) + " events, " + fixed(timeline.bin_s, 1) +
         " s bins</text>\n";
  append_axes(out, timeline);
  append_series(out, timeline);
  std::string event_svg;
  const std::size_t hidden = append_events(event_svg, events, timeline);
  out += event_svg;
  if (hidden > 0) {
    out += "<text x=\"" + px(kPlotRight) + "\" y=\"" + px(kSvgHeight - 4) +
           "\" text-anchor=\"end\" font-size=\"10\" fill=\"#555555\">" + std::to_string(hidden) +
           (hidden == 1 ? " label" : " labels") +
           " left out for lack of room (hover the markers)</text>\n";
  }
  append_legend(out);
  out += "</svg>\n";
  return out;
}

void write_file(const std::filesystem::path& path, std::string_view contents) {
  std::error_code error;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    throw std::runtime_error("cannot create the directory of " + path.string() + ": " +
                             error.message());
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw std::runtime_error("cannot open " + path.string() + " for writing");
  file.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  file.close();
  if (!file) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace e6data::demo
