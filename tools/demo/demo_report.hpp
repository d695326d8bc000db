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
};

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
/// (ok, failed, p50 and p99 latency in ms), a total row, the counters, the wall time, and the
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

/// \brief A self-contained 1000x360 SVG timeline: successful queries per second (by end_s, in
/// 0.5 s bins when the run is shorter than 20 s, 1 s bins otherwise, coarser when there would
/// be more than 1000 bins) as a step line, failed queries per second as red bars, and one
/// dashed vertical marker (a `<line class="event ...">`) with a label per event. The x axis
/// covers [0, max(wall_seconds, last query end, last event)]; negative or non-finite times
/// are drawn at 0.
/// \param queries every query the workload ran
/// \param events every event, in any order
/// \param wall_seconds how long the workload ran
/// \return a UTF-8 XML document; the same arguments always give the same bytes
std::string timeline_svg(const std::vector<QueryRecord>& queries,
                         const std::vector<EventRecord>& events, double wall_seconds);

/// \brief Writes `contents` to `path`, replacing the file and creating missing parent
/// directories.
/// \param path file to write
/// \param contents bytes to write
/// \throws std::runtime_error naming the path when a directory or the file cannot be written
void write_file(const std::filesystem::path& path, std::string_view contents);

}  // namespace e6data::demo
