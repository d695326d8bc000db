#include "metrics/prometheus_checker.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace e6data::metrics::testing {
namespace {

bool is_metric_name(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool is_label_name(std::string_view s) {
  if (s.empty() || s.substr(0, 2) == "__") return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// A float as Prometheus reads one (Go's ParseFloat forms we accept: decimal, exponent, +Inf,
// -Inf, NaN).
std::optional<double> parse_value(std::string_view s) {
  if (s == "+Inf" || s == "Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  if (s == "NaN") return std::nan("");
  if (s.empty()) return std::nullopt;
  for (const char c : s) {
    const bool ok =
        (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
    if (!ok) return std::nullopt;
  }
  const std::string copy(s);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || errno == ERANGE) return std::nullopt;
  return v;
}

struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // in order of appearance
  double value = 0;
};

// Parses `name{a="x",b="y"} value`; returns an error text or nullopt.
std::optional<std::string> parse_sample(std::string_view line, Sample& out) {
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  out.name = std::string(line.substr(0, i));
  if (!is_metric_name(out.name)) return "bad metric name '" + out.name + "'";
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      std::size_t start = i;
      while (i < line.size() && line[i] != '=') ++i;
      const std::string label(line.substr(start, i - start));
      if (!is_label_name(label)) return "bad label name '" + label + "'";
      if (i + 1 >= line.size() || line[i + 1] != '"') return "label value not quoted";
      i += 2;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i];
        if (c == '\\') {
          if (i + 1 >= line.size()) return "dangling escape in label value";
          const char e = line[i + 1];
          if (e == '\\') {
            value += '\\';
          } else if (e == '"') {
            value += '"';
          } else if (e == 'n') {
            value += '\n';
          } else {
            return std::string("bad escape \\") + e + " in label value";
          }
          i += 2;
        } else if (c == '"') {
          closed = true;
          ++i;
          break;
        } else {
          value += c;
          ++i;
        }
      }
      if (!closed) return "unterminated label value";
      for (const auto& [n, v] : out.labels) {
        if (n == label) return "label '" + label + "' twice";
      }
      out.labels.emplace_back(label, value);
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') continue;
      return "expected ',' or '}' after a label";
    }
  }
  if (i >= line.size() || line[i] != ' ') return "no space before the value";
  ++i;
  const std::string_view rest = line.substr(i);
  const auto space = rest.find(' ');
  const auto value = parse_value(rest.substr(0, space));
  if (!value) return "bad value '" + std::string(rest.substr(0, space)) + "'";
  out.value = *value;
  if (space != std::string_view::npos) {
    const std::string_view stamp = rest.substr(space + 1);
    const bool digits =
        !stamp.empty() && stamp.find_first_not_of("-0123456789") == std::string_view::npos;
    if (!digits) return "bad timestamp '" + std::string(stamp) + "'";
  }
  return std::nullopt;
}

bool help_escapes_ok(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') continue;
    if (i + 1 >= text.size() || (text[i + 1] != '\\' && text[i + 1] != 'n')) return false;
    ++i;
  }
  return true;
}

struct HistogramSeries {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count) in line order
  std::optional<double> sum;
  std::optional<double> count;
  int first_line = 0;
};

using LabelSet = std::vector<std::pair<std::string, std::string>>;

LabelSet sorted_without_le(const LabelSet& labels) {
  LabelSet out;
  for (const auto& l : labels) {
    if (l.first != "le") out.push_back(l);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> check_prometheus_text(std::string_view text) {
  std::vector<std::string> errors;
  const auto fail = [&errors](int line, const std::string& what) {
    errors.push_back("line " + std::to_string(line) + ": " + what);
  };
  if (!text.empty() && text.back() != '\n') fail(0, "the text does not end with a newline");

  std::map<std::string, std::string> types;  // family name -> type
  std::set<std::string> helped;
  std::set<std::string> finished;  // families whose samples ended (another family began)
  std::string current;             // family of the last line
  std::set<std::pair<std::string, LabelSet>> series;
  std::map<std::pair<std::string, LabelSet>, HistogramSeries> histograms;

  // The family a sample belongs to, from its name and the TYPEs seen.
  const auto family_of = [&types](const std::string& name) -> std::string {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (name.size() > s.size() && name.ends_with(s)) {
        const std::string base = name.substr(0, name.size() - s.size());
        if (auto it = types.find(base); it != types.end() && it->second == "histogram") {
          return base;
        }
      }
    }
    return name;
  };
  const auto enter = [&](const std::string& family, int n) {
    if (family == current) return;
    if (finished.contains(family)) fail(n, "family " + family + " is interleaved with another");
    if (!current.empty()) finished.insert(current);
    current = family;
  };

  int n = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    const std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++n;
    if (line.empty()) {
      fail(n, "empty line");
      continue;
    }
    if (line.starts_with("#")) {
      const bool help = line.starts_with("# HELP ");
      const bool type = line.starts_with("# TYPE ");
      if (!help && !type) {
        fail(n, "a comment that is neither HELP nor TYPE");
        continue;
      }
      const std::string_view rest = line.substr(7);
      const auto space = rest.find(' ');
      const std::string name(rest.substr(0, space));
      if (!is_metric_name(name)) fail(n, "bad metric name '" + name + "'");
      if (space == std::string_view::npos) {
        fail(n, "no text after the name");
        continue;
      }
      const std::string_view body = rest.substr(space + 1);
      enter(name, n);
      if (help) {
        if (!helped.insert(name).second) fail(n, "second HELP for " + name);
        if (!help_escapes_ok(body)) fail(n, "bad escape in HELP of " + name);
      } else {
        if (types.contains(name)) fail(n, "second TYPE for " + name);
        for (const auto& s : series) {
          if (family_of(s.first) == name) fail(n, "TYPE of " + name + " after its samples");
        }
        const std::string t(body);
        if (t != "counter" && t != "gauge" && t != "histogram" && t != "summary" &&
            t != "untyped") {
          fail(n, "unknown type '" + t + "'");
        }
        types[name] = t;
      }
      continue;
    }
    Sample s;
    if (auto error = parse_sample(line, s)) {
      fail(n, *error);
      continue;
    }
    const std::string family = family_of(s.name);
    enter(family, n);
    const auto type = types.find(family);
    if (type == types.end()) {
      fail(n, "sample of " + s.name + " without a TYPE");
      continue;
    }
    const LabelSet key = [&] {
      LabelSet k = s.labels;
      std::sort(k.begin(), k.end());
      return k;
    }();
    if (!series.insert({s.name, key}).second) fail(n, "duplicate series " + s.name);
    if (type->second == "counter") {
      if (!s.name.ends_with("_total")) fail(n, "counter " + s.name + " does not end in _total");
      if (!(s.value >= 0)) fail(n, "counter " + s.name + " is negative or NaN");
    } else if (type->second == "histogram") {
      auto& h = histograms[{family, sorted_without_le(s.labels)}];
      if (h.first_line == 0) h.first_line = n;
      const bool has_le = std::any_of(s.labels.begin(), s.labels.end(),
                                      [](const auto& l) { return l.first == "le"; });
      if (s.name == family + "_bucket") {
        if (!has_le) {
          fail(n, "bucket without le");
          continue;
        }
        const auto le = std::find_if(s.labels.begin(), s.labels.end(),
                                     [](const auto& l) { return l.first == "le"; });
        const auto bound = parse_value(le->second);
        if (!bound || std::isnan(*bound)) {
          fail(n, "bad le '" + le->second + "'");
          continue;
        }
        if (h.sum || h.count) fail(n, "bucket after _sum or _count");
        if (!h.buckets.empty() && !(*bound > h.buckets.back().first)) {
          fail(n, "le " + le->second + " not above the bucket before");
        }
        if (!h.buckets.empty() && s.value < h.buckets.back().second) {
          fail(n, "cumulative bucket count goes down");
        }
        if (s.value < 0 || s.value != std::floor(s.value)) fail(n, "bucket count not a count");
        h.buckets.emplace_back(*bound, s.value);
      } else if (has_le) {
        fail(n, "le on " + s.name);
      } else if (s.name == family + "_sum") {
        h.sum = s.value;
      } else {
        if (s.value < 0 || s.value != std::floor(s.value)) fail(n, "_count not a count");
        h.count = s.value;
      }
    } else if (s.name != family) {
      fail(n, "sample " + s.name + " does not match its TYPE");
    }
  }
  for (const auto& [key, h] : histograms) {
    const std::string where = key.first + " (from line " + std::to_string(h.first_line) + ")";
    if (h.buckets.empty() || !std::isinf(h.buckets.back().first)) {
      fail(h.first_line, where + ": no +Inf bucket last");
    }
    if (!h.sum) fail(h.first_line, where + ": no _sum");
    if (!h.count) fail(h.first_line, where + ": no _count");
    if (h.count && !h.buckets.empty() && *h.count != h.buckets.back().second) {
      fail(h.first_line, where + ": _count differs from the +Inf bucket");
    }
  }
  return errors;
}

}  // namespace e6data::metrics::testing
