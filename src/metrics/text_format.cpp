#include "metrics/text_format.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "e6data/errors.hpp"

namespace e6data::metrics {
namespace {

bool is_name_char(char c, bool first) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return letter || (!first && c >= '0' && c <= '9');
}

void check_label_name(const std::string& name, const std::string& family) {
  bool ok = !name.empty() && name.rfind("__", 0) != 0;  // "__" is reserved for Prometheus
  for (std::size_t i = 0; ok && i < name.size(); ++i) ok = is_name_char(name[i], i == 0);
  if (!ok || name == "le") {  // `le` belongs to the histogram buckets
    throw UsageError("metrics: label name '" + name + "' of " + family + " is not valid");
  }
}

std::string unit_suffix(std::string_view unit) {
  if (unit == "s") return "seconds";
  if (unit == "ms") return "milliseconds";
  if (unit == "By") return "bytes";
  return {};  // "1", "{connection}" and other annotations name no unit
}

// HELP text: backslash and newline escaped.
void append_help(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// A label value: backslash, double quote and newline escaped.
void append_label_value(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_labels(std::string& out, const Labels& labels, const std::string* le = nullptr) {
  if (labels.empty() && le == nullptr) return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    append_label_value(out, value);
    out += '"';
  }
  if (le != nullptr) {
    if (!first) out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

const char* type_name(Kind kind) {
  switch (kind) {
    case Kind::kCounter:
      return "counter";
    case Kind::kGauge:
      return "gauge";
    case Kind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string prometheus_name(std::string_view otel_name, std::string_view unit) {
  std::string name;
  for (const char c : otel_name) {
    const bool keep = is_name_char(c, false) || c == ':';
    const char mapped = keep ? c : '_';
    if (mapped == '_' && !name.empty() && name.back() == '_') continue;
    name += mapped;
  }
  if (!name.empty() && name.front() >= '0' && name.front() <= '9') name.insert(0, "_");
  const std::string suffix = unit_suffix(unit);
  if (!suffix.empty()) {
    const std::string tail = "_" + suffix;
    if (name.size() < tail.size() || name.compare(name.size() - tail.size(), tail.size(), tail)) {
      name += tail;
    }
  }
  return name;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return {buffer.data(), result.ptr};
}

std::string render_text(std::vector<Family> families) {
  // Merge by Prometheus name; the map orders the output by name.
  std::map<std::string, Family> merged;
  for (auto& f : families) {
    // A counter's samples are named with "_total", and so are its HELP and TYPE lines: in the
    // text format they name the sample, not the OpenTelemetry instrument.
    std::string name = prometheus_name(f.name, f.unit);
    if (f.kind == Kind::kCounter && !name.ends_with("_total")) name += "_total";
    auto [it, inserted] = merged.try_emplace(name);
    if (inserted) {
      it->second = std::move(f);
      continue;
    }
    if (it->second.kind != f.kind || it->second.unit != f.unit) {
      throw UsageError("metrics: two families named " + name + " differ in kind or unit");
    }
    for (auto& p : f.points) it->second.points.push_back(std::move(p));
  }

  std::string out;
  for (auto& [name, f] : merged) {
    if (f.points.empty()) continue;  // a family with no series says nothing
    std::sort(f.points.begin(), f.points.end(),
              [](const Point& a, const Point& b) { return a.labels < b.labels; });
    std::set<Labels> seen;
    for (auto& p : f.points) {
      std::sort(p.labels.begin(), p.labels.end());
      for (const auto& label : p.labels) check_label_name(label.first, name);
      if (!seen.insert(p.labels).second) {
        throw UsageError("metrics: two series of " + name + " have the same labels");
      }
    }
    out += "# HELP " + name + " ";
    append_help(out, f.help);
    out += "\n# TYPE " + name + " " + type_name(f.kind) + "\n";
    for (const auto& p : f.points) {
      if (f.kind == Kind::kHistogram) {
        const auto& h = p.histogram;
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= h.bounds.size(); ++i) {
          cumulative += i < h.counts.size() ? h.counts[i] : 0;
          const std::string le = i < h.bounds.size() ? format_value(h.bounds[i]) : "+Inf";
          out += name + "_bucket";
          append_labels(out, p.labels, &le);
          out += " " + std::to_string(cumulative) + "\n";
        }
        out += name + "_sum";
        append_labels(out, p.labels);
        out += " " + format_value(h.sum) + "\n";
        out += name + "_count";
        append_labels(out, p.labels);
        out += " " + std::to_string(cumulative) + "\n";
      } else {
        out += name;
        append_labels(out, p.labels);
        out += " " + format_value(p.value) + "\n";
      }
    }
  }
  return out;
}

}  // namespace e6data::metrics
