// The demo's report: percentiles, the summary table's layout and totals, the counters that add
// up, the progress line, errors.log, and the SVG timeline's well-formedness, escaping, markers
// and label placement. No network, no clock: records are made up here.
#include "demo/demo_report.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace e6data::demo {
namespace {

// ---- helpers ----------------------------------------------------------------------------

QueryRecord query(double start_s, double end_s, bool ok, std::string phase) {
  QueryRecord r;
  r.start_s = start_s;
  r.end_s = end_s;
  r.ok = ok;
  r.phase = std::move(phase);
  r.error = ok ? "" : "UNAVAILABLE";
  r.kind = "short";
  return r;
}

QueryRecord interrupted_query(double start_s, double end_s, std::string phase) {
  QueryRecord r = query(start_s, end_s, false, std::move(phase));
  r.interrupted = true;
  r.error = "cancelled: the call was cancelled";
  return r;
}

// Counted independently of display_width(): every byte that is not a UTF-8 continuation.
std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(' ') - first + 1));
}

// The cells of a table line, split on the vertical border and trimmed.
std::vector<std::string> cells_of(const std::string& line) {
  static constexpr std::string_view kBar = "│";
  std::vector<std::string> cells;
  std::size_t at = line.find(kBar);
  while (at != std::string::npos) {
    const std::size_t next = line.find(kBar, at + kBar.size());
    if (next == std::string::npos) break;
    cells.push_back(
        trimmed(std::string_view(line).substr(at + kBar.size(), next - at - kBar.size())));
    at = next;
  }
  return cells;
}

// The row whose first cell is `first`, or an empty vector.
std::vector<std::string> row_starting(const std::string& table, std::string_view first) {
  for (const auto& line : lines_of(table)) {
    auto cells = cells_of(line);
    if (!cells.empty() && cells[0] == first) return cells;
  }
  return {};
}

std::size_t occurrences(std::string_view text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Well-formedness of the XML subset timeline_svg emits: an optional declaration, comments, one
// root element, matched tags, unique double-quoted attributes, and '<' and '&' only as markup
// or entity references. Returns what is wrong, or "" when well-formed.
std::string xml_problem(std::string_view doc) {
  const auto is_name_char = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '-' || c == '_' || c == ':' || c == '.' || u >= 0x80;
  };
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
  // Length of the entity reference at doc[at] ('&'), or 0 when it is not one.
  const auto entity_length = [&](std::size_t at) -> std::size_t {
    const std::size_t semi = doc.find(';', at);
    if (semi == std::string_view::npos) return 0;
    const std::string_view name = doc.substr(at + 1, semi - at - 1);
    if (name == "lt" || name == "gt" || name == "amp" || name == "quot" || name == "apos") {
      return semi - at + 1;
    }
    if (name.size() < 2 || name[0] != '#') return 0;
    const bool hex = name[1] == 'x';
    const std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      if (!(hex ? std::isxdigit(static_cast<unsigned char>(c))
                : std::isdigit(static_cast<unsigned char>(c)))) {
        return 0;
      }
    }
    return semi - at + 1;
  };

  std::size_t i = 0;
  if (doc.starts_with("<?xml")) {
    const std::size_t end = doc.find("?>");
    if (end == std::string_view::npos) return "unterminated declaration";
    i = end + 2;
  }
  std::vector<std::string> open;
  bool root_seen = false;
  while (i < doc.size()) {
    if (doc.substr(i).starts_with("<!--")) {
      const std::size_t end = doc.find("-->", i + 4);
      if (end == std::string_view::npos) return "unterminated comment";
      i = end + 3;
      continue;
    }
    if (doc[i] == '&') {
      const std::size_t length = entity_length(i);
      if (length == 0) return "bare '&' at " + std::to_string(i);
      i += length;
      continue;
    }
    if (doc[i] != '<') {
      if (open.empty() && !is_space(doc[i])) return "text outside the root at " + std::to_string(i);
      ++i;
      continue;
    }
    const bool closing = i + 1 < doc.size() && doc[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    const std::size_t name_start = j;
    while (j < doc.size() && is_name_char(doc[j])) ++j;
    const std::string name(doc.substr(name_start, j - name_start));
    if (name.empty()) return "'<' without a tag name at " + std::to_string(i);
    if (closing) {
      while (j < doc.size() && is_space(doc[j])) ++j;
      if (j >= doc.size() || doc[j] != '>') return "malformed </" + name + ">";
      if (open.empty() || open.back() != name) return "mismatched </" + name + ">";
      open.pop_back();
      i = j + 1;
      continue;
    }
    if (open.empty() && root_seen) return "second root element <" + name + ">";
    root_seen = true;
    std::set<std::string> attributes;
    for (;;) {
      std::size_t k = j;
      while (k < doc.size() && is_space(doc[k])) ++k;
      if (k >= doc.size()) return "unterminated <" + name + ">";
      if (doc[k] == '>') {
        open.push_back(name);
        i = k + 1;
        break;
      }
      if (doc.substr(k).starts_with("/>")) {
        i = k + 2;
        break;
      }
      if (k == j) return "no space before an attribute of <" + name + ">";
      const std::size_t attribute_start = k;
      while (k < doc.size() && is_name_char(doc[k])) ++k;
      const std::string attribute(doc.substr(attribute_start, k - attribute_start));
      if (attribute.empty()) return "junk in <" + name + ">";
      if (!attributes.insert(attribute).second) return "repeated " + attribute + " in <" + name;
      if (k + 1 >= doc.size() || doc[k] != '=' || doc[k + 1] != '"') {
        return "unquoted " + attribute + " in <" + name + ">";
      }
      k += 2;
      while (k < doc.size() && doc[k] != '"') {
        if (doc[k] == '<') return "'<' in attribute " + attribute;
        if (doc[k] == '&') {
          const std::size_t length = entity_length(k);
          if (length == 0) return "bare '&' in attribute " + attribute;
          k += length;
        } else {
          ++k;
        }
      }
      if (k >= doc.size()) return "unterminated attribute " + attribute;
      j = k + 1;
    }
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (!root_seen) return "no root element";
  return "";
}

std::filesystem::path scratch_dir() {
  const auto* test = testing::UnitTest::GetInstance()->current_test_info();
  return std::filesystem::temp_directory_path() /
         ("e6data_demo_report_" + std::to_string(::getpid()) + "_" + test->name());
}

// A 30 s run: blue, a switch to green, a switch back, then a suspend with failures and a resume.
struct Scenario {
  std::vector<QueryRecord> queries;
  std::vector<EventRecord> events;
  double wall_s = 30;
};

Scenario sample_scenario() {
  Scenario s;
  for (int i = 0; i < 120; ++i) {
    const double start = i * 0.25;
    const bool suspended = start >= 22 && start < 25;
    const std::string phase = start < 10   ? "blue"
                              : start < 12 ? "blue→green"
                              : start < 20 ? "green"
                              : start < 22 ? "green→blue"
                              : suspended  ? "suspended"
                                           : "blue";
    s.queries.push_back(query(start, start + (i % 7 == 0 ? 1.8 : 0.12), !suspended, phase));
  }
  s.events = {{10, "switch", "blue→green"},
              {20, "switch", "green→blue"},
              {22, "suspend", "suspend"},
              {22.4, "error", "503 <cluster & \"suspended\">"},
              {25, "resume", "resume"}};
  return s;
}

// ---- percentile -------------------------------------------------------------------------

TEST(Percentile, InterpolatesBetweenClosestRanks) {
  const std::vector<double> data{15, 20, 35, 40, 50};
  EXPECT_DOUBLE_EQ(percentile(data, 0), 15);
  EXPECT_DOUBLE_EQ(percentile(data, 25), 20);
  EXPECT_DOUBLE_EQ(percentile(data, 40), 29);  // rank 1.6: 20 + 0.6 * 15
  EXPECT_DOUBLE_EQ(percentile(data, 50), 35);
  EXPECT_DOUBLE_EQ(percentile(data, 99), 49.6);  // rank 3.96: 40 + 0.96 * 10
  EXPECT_DOUBLE_EQ(percentile(data, 100), 50);
}

TEST(Percentile, SortsItsInput) {
  EXPECT_DOUBLE_EQ(percentile({3, 1, 2}, 50), 2);
}

TEST(Percentile, SingleValueIsEveryPercentile) {
  EXPECT_DOUBLE_EQ(percentile({7}, 0), 7);
  EXPECT_DOUBLE_EQ(percentile({7}, 99), 7);
}

TEST(Percentile, EmptyOrNanGivesNan) {
  EXPECT_TRUE(std::isnan(percentile({}, 50)));
  EXPECT_TRUE(std::isnan(percentile({NAN, NAN}, 50)));
  EXPECT_TRUE(std::isnan(percentile({1, 2}, NAN)));
}

TEST(Percentile, IgnoresNanValuesAndClampsP) {
  EXPECT_DOUBLE_EQ(percentile({NAN, 1, 3}, 50), 2);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3}, -5), 1);
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3}, 150), 3);
}

TEST(DisplayWidth, CountsCodePoints) {
  EXPECT_EQ(display_width("blue"), 4u);
  EXPECT_EQ(display_width("blue→green"), 10u);
  EXPECT_EQ(display_width("┌─┐"), 3u);
  EXPECT_EQ(display_width("a\xFF"), 2u);  // a stray byte counts as one column
  EXPECT_EQ(display_width(""), 0u);
}

// ---- summary table ----------------------------------------------------------------------

std::vector<QueryRecord> small_workload() {
  return {query(0.0, 0.010, true, "blue"),        query(0.1, 0.120, true, "blue"),
          query(0.2, 0.230, true, "blue"),        query(0.3, 0.500, false, "blue"),
          query(1.0, 1.040, true, "blue→green"),  query(1.1, 2.000, false, "blue→green"),
          query(1.2, 2.000, false, "blue→green"), query(3.0, 3.050, true, "green"),
          query(3.1, 3.160, true, "green")};
}

TEST(SummaryTable, OneRowPerPhaseInOrderOfFirstAppearance) {
  const std::string table = summary_table(small_workload(), {}, 10);
  const auto blue = table.find("│ blue ");
  const auto switching = table.find("│ blue→green ");
  const auto green = table.find("│ green ");
  ASSERT_NE(blue, std::string::npos) << table;
  ASSERT_NE(switching, std::string::npos) << table;
  ASSERT_NE(green, std::string::npos) << table;
  EXPECT_LT(blue, switching);
  EXPECT_LT(switching, green);
  EXPECT_LT(green, table.find("│ total "));
}

TEST(SummaryTable, CountsLatenciesAndTotals) {
  const std::string table = summary_table(small_workload(), {}, 10);
  EXPECT_EQ(row_starting(table, "phase"),
            (std::vector<std::string>{"phase", "ok", "failed", "p50 ms", "p99 ms"}));
  // p99 of {10, 20, 30} ms is at rank 1.98; failed queries do not count towards latency.
  EXPECT_EQ(row_starting(table, "blue"),
            (std::vector<std::string>{"blue", "3", "1", "20.0", "29.8"}))
      << table;
  EXPECT_EQ(row_starting(table, "blue→green"),
            (std::vector<std::string>{"blue→green", "1", "2", "40.0", "40.0"}))
      << table;
  EXPECT_EQ(row_starting(table, "green"),
            (std::vector<std::string>{"green", "2", "0", "55.0", "59.9"}))
      << table;
  // All six successes: {10, 20, 30, 40, 50, 60} ms.
  EXPECT_EQ(row_starting(table, "total"),
            (std::vector<std::string>{"total", "6", "3", "35.0", "59.5"}))
      << table;
}

// A full-width line "│ name      value │": its single cell, or "" when there is none.
std::string wide_cell(const std::string& table, std::string_view name) {
  for (const auto& line : lines_of(table)) {
    const auto cells = cells_of(line);
    if (cells.size() == 1 && cells[0].starts_with(name)) return cells[0];
  }
  return "";
}

TEST(SummaryTable, PrintsCountersInOrderThenWallTimeAndThroughput) {
  const Counters counters{{{"switches", 2}, {"456 recoveries", 3}, {"re-authentications", 1}}};
  const std::string table = summary_table(small_workload(), counters, 10);
  EXPECT_TRUE(wide_cell(table, "switches").ends_with(" 2")) << table;
  EXPECT_TRUE(wide_cell(table, "456 recoveries").ends_with(" 3")) << table;
  EXPECT_TRUE(wide_cell(table, "re-authentications").ends_with(" 1")) << table;
  EXPECT_TRUE(wide_cell(table, "wall time").ends_with(" 10.0 s")) << table;
  EXPECT_TRUE(wide_cell(table, "throughput").ends_with(" 0.6 queries/s")) << table;  // 6 ok / 10 s
  EXPECT_LT(table.find("switches"), table.find("456 recoveries"));
  EXPECT_LT(table.find("456 recoveries"), table.find("re-authentications"));
  EXPECT_LT(table.find("re-authentications"), table.find("throughput"));
}

TEST(SummaryTable, EveryLineHasTheSameDisplayWidth) {
  const Counters counters{{{"switches", 2}, {"transitions", 123456789}}};
  const auto lines = lines_of(summary_table(small_workload(), counters, 10));
  ASSERT_GE(lines.size(), 10u);
  for (const auto& line : lines) {
    EXPECT_EQ(code_points(line), code_points(lines.front())) << line;
    EXPECT_EQ(display_width(line), code_points(line));
  }
}

TEST(SummaryTable, LongCounterNameWidensTheTable) {
  const Counters counters{{{"re-authentications after an expired session → retried", 4}}};
  const auto lines = lines_of(summary_table(small_workload(), counters, 10));
  for (const auto& line : lines) EXPECT_EQ(code_points(line), code_points(lines.front())) << line;
  EXPECT_GT(code_points(lines.front()), display_width(counters.values[0].first) + 4);
}

TEST(SummaryTable, ControlCharactersInPhasesDoNotBreakTheLayout) {
  const auto lines = lines_of(summary_table({query(0, 1, true, "bl\nue\t→")}, {}, 1));
  for (const auto& line : lines) EXPECT_EQ(code_points(line), code_points(lines.front())) << line;
}

TEST(SummaryTable, EmptyWorkload) {
  const std::string table = summary_table({}, {}, 0);
  EXPECT_EQ(row_starting(table, "total"), (std::vector<std::string>{"total", "0", "0", "-", "-"}))
      << table;
  EXPECT_EQ(table.find("nan"), std::string::npos) << table;
  EXPECT_EQ(table.find("inf"), std::string::npos) << table;
  const auto lines = lines_of(table);
  for (const auto& line : lines) EXPECT_EQ(code_points(line), code_points(lines.front())) << line;
}

// ---- SVG timeline -----------------------------------------------------------------------

TEST(XmlProblem, CatchesWhatItMustCatch) {
  EXPECT_EQ(xml_problem("<a x=\"1\"><b/>t &amp; u</a>"), "");
  EXPECT_NE(xml_problem("<a><b></a>"), "");
  EXPECT_NE(xml_problem("<a>x & y</a>"), "");
  EXPECT_NE(xml_problem("<a x=\"<\"/>"), "");
  EXPECT_NE(xml_problem("<a x=1/>"), "");
  EXPECT_NE(xml_problem("<a/><b/>"), "");
  EXPECT_NE(xml_problem("<a>"), "");
}

TEST(TimelineSvg, IsWellFormedXml) {
  const Scenario s = sample_scenario();
  const std::string svg = timeline_svg(s.queries, s.events, s.wall_s);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_TRUE(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
  EXPECT_NE(svg.find("width=\"1000.0\" height=\"410.0\""), std::string::npos);
  EXPECT_NE(svg.find("<polyline class=\"ok\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"legend\""), std::string::npos);
  EXPECT_NE(svg.find("font-weight=\"bold\">Blue-green demo"), std::string::npos);
}

TEST(TimelineSvg, ParsesWithPythonXmlParser) {
  if (std::system("python3 -c pass >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  Scenario s = sample_scenario();
  // Malformed UTF-8 and control characters from a server message must not leak through.
  s.events.push_back({26, "error", "bad \xFF\xFE bytes\x01 and \xE2\x82 cut"});
  const auto dir = scratch_dir();
  const auto file = dir / "timeline.svg";
  write_file(file, timeline_svg(s.queries, s.events, s.wall_s));
  const std::string command =
      "python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); "
      "n = sum(1 for e in r.iter() if e.get(\"class\", \"\").startswith(\"event \")); "
      "sys.exit(0 if n == int(sys.argv[2]) else 3)' '" +
      file.string() + "' " + std::to_string(s.events.size());
  EXPECT_EQ(std::system(command.c_str()), 0);
  std::filesystem::remove_all(dir);
}

TEST(TimelineSvg, EscapesLabels) {
  const std::vector<EventRecord> events{{1, "error", "a<&\">b"}, {2, "we<ird\"", "x'y"}};
  const std::string svg = timeline_svg({}, events, 5);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find(">a&lt;&amp;&quot;&gt;b</text>"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<&\">"), std::string::npos);
  EXPECT_NE(svg.find("class=\"event we&lt;ird&quot;\""), std::string::npos) << svg;
  EXPECT_NE(svg.find(">x&apos;y</text>"), std::string::npos) << svg;
}

TEST(TimelineSvg, OneMarkerPerEventAndOneLabelPerGroup) {
  Scenario s = sample_scenario();
  // Events at the same instant, before the start, at NaN and of unknown kind still count.
  s.events.push_back({10, "switch", "blue→green again"});
  s.events.push_back({-3, "resume", "early"});
  s.events.push_back({NAN, "error", "when?"});
  s.events.push_back({29.9, "custom", "a label long enough to be cut short at the right edge"});
  const std::string svg = timeline_svg(s.queries, s.events, s.wall_s);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(occurrences(svg, "<line class=\"event "), s.events.size());
  // The two switches at 10 s share a label; every other event has its own.
  EXPECT_EQ(occurrences(svg, "<text class=\"event-label\""), s.events.size() - 1) << svg;
  EXPECT_NE(svg.find(">blue→green (+1 more)</text>"), std::string::npos) << svg;
  EXPECT_EQ(occurrences(svg, "<line class=\"event switch\""), 3u);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_NE(svg.find("…</text>"), std::string::npos);  // the long label is cut
}

// The marker line of the only event in `svg`.
std::string event_line(const std::string& svg) {
  const auto begin = svg.find("<line class=\"event ");
  return begin == std::string::npos ? "" : svg.substr(begin, svg.find("</line>", begin) - begin);
}

TEST(TimelineSvg, SwitchesAreColouredByTarget) {
  EXPECT_NE(event_line(timeline_svg({}, {{1, "switch", "blue→green"}}, 5)).find("#2ca02c"),
            std::string::npos);
  EXPECT_NE(event_line(timeline_svg({}, {{1, "switch", "green->blue"}}, 5)).find("#1f77b4"),
            std::string::npos);
  EXPECT_NE(event_line(timeline_svg({}, {{1, "suspend", "s"}}, 5)).find("#7f7f7f"),
            std::string::npos);
  EXPECT_NE(event_line(timeline_svg({}, {{1, "resume", "r"}}, 5)).find("#ff7f0e"),
            std::string::npos);
  EXPECT_NE(event_line(timeline_svg({}, {{1, "error", "e"}}, 5)).find("#d62728"),
            std::string::npos);
  EXPECT_NE(event_line(timeline_svg({}, {{1, "switch", "x"}}, 5)).find("stroke-dasharray"),
            std::string::npos);
}

TEST(TimelineSvg, FailedQueriesAreRedBarsPerBin) {
  // 30 s: 1 s bins. Two failures share bin 5, one is in bin 7.
  const std::vector<QueryRecord> queries{query(4, 5.2, false, "p"), query(4, 5.7, false, "p"),
                                         query(6, 7.1, false, "p"), query(1, 2, true, "p")};
  const std::string svg = timeline_svg(queries, {}, 30);
  const auto begin = svg.find("<g class=\"failed\"");
  ASSERT_NE(begin, std::string::npos);
  const std::string group = svg.substr(begin, svg.find("</g>", begin) - begin);
  EXPECT_EQ(occurrences(group, "<rect "), 2u) << group;
  EXPECT_NE(svg.find("1.0 s bins"), std::string::npos);
}

TEST(TimelineSvg, ShortRunsUseHalfSecondBins) {
  const std::string svg = timeline_svg({query(0, 1, true, "p")}, {}, 10);
  EXPECT_NE(svg.find("0.5 s bins"), std::string::npos);
  EXPECT_EQ(xml_problem(svg), "");
}

TEST(TimelineSvg, VeryLongRunsKeepTheFileSmall) {
  const std::string svg = timeline_svg({query(0, 86000, true, "p")}, {}, 86400);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_LT(svg.size(), 64u * 1024u);
}

TEST(TimelineSvg, IsDeterministic) {
  const Scenario s = sample_scenario();
  EXPECT_EQ(timeline_svg(s.queries, s.events, s.wall_s),
            timeline_svg(s.queries, s.events, s.wall_s));
}

TEST(TimelineSvg, EmptyWorkload) {
  for (double wall : {0.0, -1.0, double(NAN), 5.0}) {
    const std::string svg = timeline_svg({}, {}, wall);
    EXPECT_EQ(xml_problem(svg), "") << wall;
    EXPECT_EQ(occurrences(svg, "<line class=\"event "), 0u);
    EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
    EXPECT_EQ(svg.find("inf"), std::string::npos) << svg;
  }
}

// ---- label placement --------------------------------------------------------------------

TEST(PlaceLabels, ALabelStartsAtItsMarker) {
  const auto slots = place_labels({100}, {50}, 4, 996, 4, 6);
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_DOUBLE_EQ(slots[0].left, 100);
  EXPECT_DOUBLE_EQ(slots[0].right, 150);
  EXPECT_EQ(slots[0].row, 0);
}

TEST(PlaceLabels, ALabelEndsAtItsMarkerWhenThereIsNoRoomToTheRight) {
  const auto slots = place_labels({980}, {50}, 4, 996, 4, 6);
  EXPECT_DOUBLE_EQ(slots[0].left, 930);
  EXPECT_DOUBLE_EQ(slots[0].right, 980);
}

TEST(PlaceLabels, CloseLabelsStaggerIntoRowsAndFarOnesShareTheFirst) {
  const auto slots = place_labels({100, 120, 140, 200}, {50, 50, 50, 50}, 4, 996, 4, 6);
  EXPECT_EQ(slots[0].row, 0);
  EXPECT_EQ(slots[1].row, 1);
  EXPECT_EQ(slots[2].row, 2);
  EXPECT_EQ(slots[3].row, 0);  // 200 is past 150 plus the gap
}

TEST(PlaceLabels, KeepsTheGapBetweenNeighbours) {
  EXPECT_EQ(place_labels({100, 155}, {50, 50}, 4, 996, 4, 6)[1].row, 1);  // 5 px apart: too close
  EXPECT_EQ(place_labels({100, 156}, {50, 50}, 4, 996, 4, 6)[1].row, 0);
}

TEST(PlaceLabels, ALabelWithoutAFreeRowIsLeftOut) {
  const auto slots = place_labels({300, 300, 300, 300, 300}, {40, 40, 40, 40, 40}, 4, 996, 4, 6);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(slots[static_cast<std::size_t>(i)].row, i);
  EXPECT_EQ(slots[4].row, -1);
}

TEST(PlaceLabels, RandomLabelsNeverOverlapInARow) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> x(0, 1000);
  std::uniform_real_distribution<double> w(10, 190);
  for (int round = 0; round < 50; ++round) {
    std::vector<double> anchors(60);
    std::vector<double> widths(60);
    for (auto& a : anchors) a = x(rng);
    for (auto& v : widths) v = w(rng);
    const auto slots = place_labels(anchors, widths, 4, 996, 4, 6);
    ASSERT_EQ(slots.size(), anchors.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].row < 0) continue;
      EXPECT_NEAR(slots[i].right - slots[i].left, widths[i], 1e-9);
      EXPECT_GE(slots[i].left, 4 - 1e-9);
      EXPECT_TRUE(slots[i].left == anchors[i] || slots[i].right == anchors[i] || slots[i].left == 4)
          << "label " << i << " is not at its marker";
      for (std::size_t j = 0; j < i; ++j) {
        if (slots[j].row != slots[i].row) continue;
        EXPECT_TRUE(slots[i].left >= slots[j].right + 6 || slots[j].left >= slots[i].right + 6)
            << "labels " << j << " and " << i << " overlap in row " << slots[i].row;
      }
    }
  }
}

TEST(LabelWidth, GrowsWithDisplayWidthNotBytes) {
  EXPECT_DOUBLE_EQ(label_width_px("blue→green"), label_width_px("blue->gree"));
  EXPECT_GE(label_width_px("blue→green"), 10 * 6.0);  // at least an average glyph per column
}

// A label or a marker of an SVG timeline, as drawn.
struct Box {
  double left, right, top, bottom;
  std::string text;
};

double attribute(const std::string& element, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const auto at = element.find(key);
  if (at == std::string::npos) return NAN;
  return std::stod(element.substr(at + key.size()));
}

std::string unescaped(std::string text) {
  for (const auto& [entity, raw] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}}) {
    for (auto at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1)) {
      text.replace(at, entity.size(), raw);
    }
  }
  return text;
}

// Labels: from x to data-right; from the cap height of an 11 px sans-serif face (about 8 px)
// plus a pixel above the baseline, to the descenders (about 3 px) below it.
std::vector<Box> label_boxes(const std::string& svg) {
  std::vector<Box> boxes;
  for (auto at = svg.find("<text class=\"event-label\""); at != std::string::npos;
       at = svg.find("<text class=\"event-label\"", at + 1)) {
    const std::string element = svg.substr(at, svg.find("</text>", at) - at);
    const double y = attribute(element, "y");
    boxes.push_back({attribute(element, "x"), attribute(element, "data-right"), y - 9, y + 3,
                     unescaped(element.substr(element.find('>') + 1))});
  }
  return boxes;
}

std::vector<Box> marker_lines(const std::string& svg) {
  std::vector<Box> lines;
  for (auto at = svg.find("<line class=\"event "); at != std::string::npos;
       at = svg.find("<line class=\"event ", at + 1)) {
    const std::string element = svg.substr(at, svg.find('>', at) - at);
    const double x = attribute(element, "x1");
    lines.push_back({x, x, attribute(element, "y1"), attribute(element, "y2"), ""});
  }
  return lines;
}

bool intersect(const Box& a, const Box& b) {
  return a.left <= b.right && b.left <= a.right && a.top < b.bottom && b.top < a.bottom;
}

void expect_no_collision(const std::string& svg) {
  const auto labels = label_boxes(svg);
  const auto markers = marker_lines(svg);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    EXPECT_GE(labels[i].right - labels[i].left, label_width_px(labels[i].text) - 1e-9);
    EXPECT_GE(labels[i].left, 0);
    EXPECT_LE(labels[i].right, 1000);
    for (std::size_t j = 0; j < i; ++j) {
      EXPECT_FALSE(intersect(labels[i], labels[j]))
          << "label '" << labels[i].text << "' overlaps '" << labels[j].text << "'";
    }
    for (const auto& marker : markers) {
      EXPECT_FALSE(intersect(labels[i], marker))
          << "a marker at x=" << marker.left << " crosses label '" << labels[i].text << "'";
    }
  }
}

// The run the issue describes: a burst of failures right at a switch, then a suspend and a resume
// a moment later; before, their labels were drawn over each other and over the next markers.
TEST(TimelineSvg, LabelsCollideWithNeitherLabelsNorMarkers) {
  Scenario s = sample_scenario();
  for (int i = 0; i < 10; ++i) {
    s.events.push_back(
        {10.05 + 0.08 * i, "error",
         "connection error: failed to connect to all addresses " + std::to_string(i)});
  }
  s.events.push_back({11, "suspend", "suspend"});
  s.events.push_back({11.4, "resume", "auto-resumed"});
  s.events.push_back({11.6, "switch", "green→blue"});
  const std::string svg = timeline_svg(s.queries, s.events, s.wall_s);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(occurrences(svg, "<line class=\"event "), s.events.size());
  expect_no_collision(svg);
  // The burst of ten failures is one label.
  EXPECT_NE(svg.find("(+9 more)</text>"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("labels left out"), std::string::npos) << svg;
}

TEST(TimelineSvg, TooManyLabelsAreLeftOutAndCounted) {
  std::vector<EventRecord> events;
  const char* kinds[] = {"switch", "suspend", "resume", "error"};
  for (int i = 0; i < 60; ++i) {
    events.push_back({0.5 * i, kinds[i % 4], "event number " + std::to_string(i)});
  }
  const std::string svg = timeline_svg({}, events, 30);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_EQ(occurrences(svg, "<line class=\"event "), events.size());
  expect_no_collision(svg);
  const std::size_t shown = occurrences(svg, "<text class=\"event-label\"");
  EXPECT_LT(shown, events.size());
  EXPECT_NE(svg.find(">" + std::to_string(events.size() - shown) + " labels left out"),
            std::string::npos)
      << svg;
}

TEST(TimelineSvg, ACrowdedMomentLeavesOutAFailureLabelNotASwitch) {
  const std::vector<EventRecord> events{
      {10.0, "error", "lost"},     {10.1, "switch", "blue→green"}, {10.2, "suspend", "suspend"},
      {10.3, "resume", "resumed"}, {10.4, "switch", "green→blue"}, {10.5, "interrupt", "SIGINT"}};
  const std::string svg = timeline_svg({}, events, 30);
  expect_no_collision(svg);
  for (const char* label : {">blue→green<", ">suspend<", ">resumed<", ">green→blue<", ">SIGINT<"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label << " missing:\n" << svg;
  }
  EXPECT_EQ(svg.find(">lost<"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">1 label left out"), std::string::npos) << svg;
}

TEST(TimelineSvg, SampleRunHasNoCollision) {
  const Scenario s = sample_scenario();
  expect_no_collision(timeline_svg(s.queries, s.events, s.wall_s));
}

// ---- counters that add up ---------------------------------------------------------------

std::vector<ServingPeriod> sample_periods() {
  constexpr double kOpen = std::numeric_limits<double>::infinity();
  return {{0, 10, "blue"}, {10, 12, ""}, {12, 20, "green"}, {20, 22, ""}, {22, kOpen, "blue"}};
}

TEST(CountByServingDeployment, WholeQueriesOnOneSideCountOnIt) {
  const std::vector<QueryRecord> queries{
      query(1, 2, true, "blue"),           // blue
      query(9.5, 10.5, true, "blue"),      // spans the start of a switch
      query(10.5, 11, true, "b→g"),        // inside the switch
      query(11.9, 12.5, false, "b→g"),     // spans its end
      query(13, 14, true, "green"),        // green
      query(19, 23, true, "green"),        // spans a whole switch
      query(23, 25, true, "blue"),         // blue again
      interrupted_query(24, 30, "blue")};  // interrupted queries count like the others
  const ServingCounts counts = count_by_serving_deployment(queries, sample_periods());
  EXPECT_EQ(counts.on_blue, 3u);
  EXPECT_EQ(counts.on_green, 1u);
  EXPECT_EQ(counts.during_switch, 4u);
}

TEST(CountByServingDeployment, AlwaysAddsUpToTheTotal) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> start(-1, 30);
  std::uniform_real_distribution<double> length(0, 3);
  std::vector<QueryRecord> queries;
  for (int i = 0; i < 500; ++i) {
    const double s = start(rng);
    queries.push_back(query(s, s + length(rng), i % 5 != 0, "p"));
  }
  queries.push_back(query(NAN, NAN, true, "p"));
  const ServingCounts counts = count_by_serving_deployment(queries, sample_periods());
  EXPECT_EQ(counts.on_blue + counts.on_green + counts.during_switch, queries.size());
  const ServingCounts none = count_by_serving_deployment(queries, {});
  EXPECT_EQ(none.during_switch, queries.size());
}

TEST(SummaryTable, InterruptedQueriesHaveAColumnOfTheirOwn) {
  std::vector<QueryRecord> queries = small_workload();
  queries.push_back(interrupted_query(3.2, 3.3, "green"));
  queries.push_back(interrupted_query(3.2, 3.4, "green"));
  const std::string table = summary_table(queries, {}, 10);
  EXPECT_EQ(row_starting(table, "phase"),
            (std::vector<std::string>{"phase", "ok", "failed", "interrupted", "p50 ms", "p99 ms"}))
      << table;
  EXPECT_EQ(row_starting(table, "green"),
            (std::vector<std::string>{"green", "2", "0", "2", "55.0", "59.9"}))
      << table;
  EXPECT_EQ(row_starting(table, "total"),
            (std::vector<std::string>{"total", "6", "3", "2", "35.0", "59.5"}))
      << table;
  const auto lines = lines_of(table);
  for (const auto& line : lines) EXPECT_EQ(code_points(line), code_points(lines.front())) << line;
}

TEST(SummaryTable, NoInterruptedColumnWhenNothingWasInterrupted) {
  EXPECT_EQ(summary_table(small_workload(), {}, 10).find("interrupted"), std::string::npos);
}

// ---- progress line ----------------------------------------------------------------------

TEST(ProgressLine, KeepsItsWidthWhateverThePhase) {
  std::size_t width = 0;
  for (const std::string phase :
       {"blue", "blue→green", "green→blue", "suspended", "green (resumed)", "idle"}) {
    for (const double elapsed : {0.0, 0.1, 9.9, 10.0, 41.9, 42.0, 55.5}) {
      Progress p{elapsed, 42, phase, 12345, 7, 250.4, "blue", phase == "blue→green" ? "green" : ""};
      const std::string line = progress_line(p, 0);
      if (width == 0) width = display_width(line);
      EXPECT_EQ(display_width(line), width) << "[" << line << "]";
    }
  }
}

TEST(ProgressLine, ShowsElapsedTotalAndTimeLeft) {
  const std::string line = progress_line({12.3, 42, "blue→green", 10, 0, 99, "blue", "green"}, 0);
  EXPECT_NE(line.find("12.3s / 42s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 30s"), std::string::npos) << line;
  EXPECT_NE(line.find("client blue→green"), std::string::npos) << line;
  const std::string late = progress_line({50, 42, "blue", 10, 0, 99, "blue", ""}, 0);
  EXPECT_NE(late.find("ETA  0s"), std::string::npos) << late;
}

TEST(ProgressLine, IsCutToTheTerminalWidth) {
  const std::string line = progress_line({12.3, 42, "blue→green", 10, 0, 99, "blue", "green"}, 40);
  EXPECT_EQ(display_width(line), 40u) << line;
  EXPECT_GT(display_width(progress_line({12.3, 42, "blue", 10, 0, 99, "blue", ""}, 0)), 40u);
}

// ---- errors.log -------------------------------------------------------------------------

TEST(ErrorsLog, SaysSoWhenNothingFailed) {
  std::vector<QueryRecord> queries{query(0, 1, true, "blue"), interrupted_query(1, 2, "blue")};
  EXPECT_EQ(errors_log(queries, 1796083200), "no failed queries\n");
}

TEST(ErrorsLog, OneBlockPerFailureWithTheFullMessage) {
  const double midnight = 1796083200;  // 2026-12-01T00:00:00Z
  QueryRecord lost = query(4.0, 5.25, false, "blue→green");
  lost.worker = 3;
  lost.kind = "long";
  lost.sql = "SELECT i FROM n";
  lost.error_kind = "strategy changed";
  const std::string detail(400, 'x');
  lost.error = "strategy changed: query q7 was lost with blue " + detail + "\nsecond line";
  QueryRecord early = query(0.5, 1.5, false, "blue");
  early.worker = 0;
  early.error_kind = "connection";
  early.error = "connection: refused";
  const std::vector<QueryRecord> queries{lost, query(0, 1, true, "blue"), early,
                                         interrupted_query(6, 7, "green")};
  const std::string log = errors_log(queries, midnight);
  EXPECT_TRUE(log.starts_with("2 failed queries")) << log;
  EXPECT_NE(log.find("2026-12-01T00:00:05.250Z  t=5.250s (started 4.000s)  worker 3  long  "
                     "phase blue→green  kind: strategy changed\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("  query: SELECT i FROM n\n"), std::string::npos) << log;
  EXPECT_NE(log.find(detail + "\n         second line\n"), std::string::npos) << log;
  EXPECT_LT(log.find("worker 0"), log.find("worker 3"));  // in the order they ended
  EXPECT_EQ(log.find("cancelled"), std::string::npos);    // interrupted queries are not failures
}

// ---- write_file -------------------------------------------------------------------------

TEST(WriteFile, CreatesParentDirectoriesAndReplacesContents) {
  const auto dir = scratch_dir();
  const auto file = dir / "a" / "b" / "report.txt";
  write_file(file, "first version, longer");
  write_file(file, "second");
  std::ifstream in(file, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_EQ(contents.str(), "second");
  std::filesystem::remove_all(dir);
}

TEST(WriteFile, FailureNamesThePath) {
  const auto dir = scratch_dir();
  write_file(dir / "plain-file", "x");
  const auto impossible = dir / "plain-file" / "below" / "report.svg";
  try {
    write_file(impossible, "x");
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(impossible.string()), std::string::npos)
        << error.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace e6data::demo
