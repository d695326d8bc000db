#pragma once
/// \file
/// \brief Reporting for the blue-green demo: a text summary table and an SVG timeline.
///
/// The demo records every query and every event while deployments switch and the cluster is
/// suspended and resumed; these functions turn those records into its output. They are pure
/// functions of their arguments (no clock, no network, no locale), so the same records always
/// give the same bytes and tests need no cluster. Only write_file() touches the disk.
///
/// Times are seconds since the demo started, as the demo measured them.
///
/// Thread safety: no shared state; call from any thread.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace e6data::demo {

/// \brief One query the workload ran.
struct QueryRecord {
  /// \brief When the query was submitted, in seconds since the demo started.
  double start_s = 0;
  /// \brief When its result (or its failure) arrived, in seconds since the demo started.
  double end_s = 0;
  /// \brief Whether it returned a result.
  bool ok = false;
  /// \brief The deployment phase it ran in, e.g. "blue" or "blue→green" (UTF-8).
  std::string phase;
  /// \brief Why it failed; empty when ok.
  std::string error;
  /// \brief Workload class, "short" or "long".
  std::string kind;
  /// \brief The query was stopped by the demo's own interrupt (Ctrl-C) before it finished:
  /// neither ok nor failed.
  bool interrupted = false;
  /// \brief The worker that ran it (0-based), or -1 when unknown.
  int worker = -1;
  /// \brief The statement, for errors.log.
  std::string sql;
  /// \brief The connector's failure kind (e.g. "strategy changed"), "wrong result", or "" when
  /// unknown or ok.
  std::string error_kind;
};

/// \brief Which deployment alone served the cluster from `start_s` to `end_s`: "blue",
/// "green", or "" while a switch was in progress (either side may have served).
struct ServingPeriod {
  double start_s = 0;
  double end_s = 0;
  std::string deployment;
};

/// \brief Every query of a run in exactly one of three classes, so that they add up to the
/// total: whole queries while blue alone served, while green alone served, and the rest (a
/// query that started, ended or ran during a switch, or outside every known period).
struct ServingCounts {
  std::uint64_t on_blue = 0;
  std::uint64_t on_green = 0;
  std::uint64_t during_switch = 0;
};

/// \brief Classifies each query by the periods it ran in (see ServingCounts).
/// \param queries every query the workload ran
/// \param periods the serving periods in any order; a query counts on a deployment only when
/// one period of that deployment contains [start_s, end_s]
/// \return the counts; on_blue + on_green + during_switch == queries.size()
ServingCounts count_by_serving_deployment(const std::vector<QueryRecord>& queries,
                                          const std::vector<ServingPeriod>& periods);

/// \brief Something that happened to the cluster or the client during the demo.
struct EventRecord {
  /// \brief When it happened, in seconds since the demo started.
  double at_s = 0;
  /// \brief "switch", "suspend", "resume" or "error"; other kinds are drawn in a neutral colour.
  std::string kind;
  /// \brief Shown next to the marker, e.g. "blue→green" (UTF-8). For a switch, the text after
  /// the last "→" or "->" names the target deployment, which picks the marker's colour.
  std::string label;
};

/// \brief Named totals printed under the per-phase rows, in this order (e.g. "switches",
/// "456 recoveries", "re-authentications", "resumes", "retries", "transitions").
struct Counters {
  std::vector<std::pair<std::string, std::uint64_t>> values;
};

/// \brief The p-th percentile by linear interpolation between closest ranks (numpy's default,
/// Hyndman-Fan type 7): the value at rank p/100 * (n - 1) of the sorted data.
/// \param values the sample; NaNs are ignored
/// \param p percentile in [0, 100]; clamped into that range
/// \return the percentile, or NaN when no values remain or p is NaN
double percentile(std::vector<double> values, double p);

/// \brief Terminal columns a UTF-8 string occupies, counted as one per code point (so
/// "blue→green" is 10). Each byte of an invalid sequence counts as one; East Asian wide
/// characters and emoji are not special-cased.
/// \param text UTF-8 text
/// \return its width in columns
std::size_t display_width(std::string_view text);

/// \brief A box-drawn table: one row per phase in order of first appearance in `queries`
/// (ok, failed, p50 and p99 latency in ms; an "interrupted" column after "failed" when any query
/// was interrupted), a total row, the counters, the wall time, and the
/// throughput in successful queries per second. Every line has the same display width.
///
/// Latency percentiles use successful queries only, since a failure's duration measures how
/// long it took to give up; a cell with no successful query shows "-", as does the throughput
/// when `wall_seconds` is not positive.
/// \param queries every query the workload ran
/// \param counters totals to print under the per-phase rows
/// \param wall_seconds how long the workload ran
/// \return the table, each line ending in '\n'
std::string summary_table(const std::vector<QueryRecord>& queries, const Counters& counters,
                          double wall_seconds);

/// \brief A self-contained 1000x410 SVG timeline: successful queries per second (by end_s, in
/// 0.5 s bins when the run is shorter than 20 s, 1 s bins otherwise, coarser when there would
/// be more than 1000 bins) as a step line, failed queries per second as red bars, and one
/// dashed vertical marker (a `<line class="event ...">`) per event inside the plot. Labels sit
/// in a band of kLabelRows rows above the plot, left edge at their marker (right edge when
/// there is no room to the right), placed by place_labels(): so no marker crosses a label and
/// no two labels overlap. Events of one kind closer than a few pixels share one label
/// ("first (+N more)"); a label with no free row is left out, and the header says how many
/// were (labels of switches, suspends and resumes are placed before those of failures; every
/// marker keeps its full text as a tooltip). The x axis covers
/// [0, max(wall_seconds, last query end, last event)]; negative or non-finite times are drawn
/// at 0.
/// \param queries every query the workload ran
/// \param events every event, in any order
/// \param wall_seconds how long the workload ran
/// \return a UTF-8 XML document; the same arguments always give the same bytes
std::string timeline_svg(const std::vector<QueryRecord>& queries,
                         const std::vector<EventRecord>& events, double wall_seconds);

/// \brief Rows in the SVG's label band.
inline constexpr int kLabelRows = 5;

/// \brief Where one label goes: its horizontal extent in pixels and its row (0 is the row next
/// to the plot), or row -1 when no row had room for it.
struct LabelSlot {
  double left = 0;
  double right = 0;
  int row = -1;
};

/// \brief Places labels, in order, each at the lowest row where it keeps `gap` pixels from
/// every label already in that row. A label starts at its anchor, or ends there when starting
/// there would cross `max_x`; a label wider than [min_x, max_x] is clamped to min_x.
/// \param anchors marker positions in pixels
/// \param widths label widths in pixels (the same length as anchors)
/// \param min_x, max_x the band's horizontal extent
/// \param rows rows available
/// \param gap pixels kept free between two labels of one row
/// \return one slot per label; no two slots with the same row >= 0 come closer than `gap`
std::vector<LabelSlot> place_labels(const std::vector<double>& anchors,
                                    const std::vector<double>& widths, double min_x, double max_x,
                                    int rows, double gap);

/// \brief Approximate width in pixels of `text` at the SVG's font size (11 px sans-serif):
/// display_width() times an average advance, rounded up for safety.
/// \param text UTF-8 text
/// \return the width in pixels
double label_width_px(std::string_view text);

/// \brief The demo's live progress line, every field padded to a fixed display width (not a
/// byte count: "blue→green" is 12 bytes and 10 columns), so the line never shifts.
struct Progress {
  double elapsed_s = 0;  ///< since the workload started
  double total_s = 0;    ///< planned length of the run
  std::string phase;     ///< e.g. "blue→green" (UTF-8)
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  double queries_per_s = 0;
  std::string active;   ///< the connector's active deployment, "" when unknown
  std::string pending;  ///< the connector's pending deployment, "" when none
};

/// \brief The progress line: elapsed/total, the time left, phase, counts, throughput and the
/// connector's deployments. Every line for the same total has the same display width (up to
/// `max_width`, beyond which it is cut: a line longer than the terminal would wrap and break
/// the carriage-return redraw).
/// \param progress what to show
/// \param max_width the terminal's width in columns (0: no limit)
/// \return the line, without a line ending
std::string progress_line(const Progress& progress, std::size_t max_width);

/// \brief errors.log: one block per failed query (wrong results included), in order of when it
/// ended: the wall-clock time (UTC) and seconds since the start, worker, query kind and error
/// kind, the statement, and the full error message, indented. Interrupted and successful
/// queries are left out; with no failed query it says so in one line.
/// \param queries every query the workload ran
/// \param started_unix_s the wall-clock time of second 0, in seconds since the Unix epoch
/// \return the file's contents
std::string errors_log(const std::vector<QueryRecord>& queries, double started_unix_s);

/// \brief Writes `contents` to `path`, replacing the file and creating missing parent
/// directories.
/// \param path file to write
/// \param contents bytes to write
/// \throws std::runtime_error naming the path when a directory or the file cannot be written
void write_file(const std::filesystem::path& path, std::string_view contents);

}  // namespace e6data::demo
