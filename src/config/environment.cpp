// ConnectionOptions from E6DATA_* variables. A caller that passes a list of issues gets every
// adjustment there and decides; without one, an adjusted value is a WARN and an unusable value a
// UsageError naming the variable. Values are quoted in messages (except secrets, which are never
// shown) so odd bytes cannot forge log lines.

#include <cstdlib>
#include <utility>

#include "config/option_fields.hpp"
#include "config/value_parsers.hpp"
#include "e6data/errors.hpp"
#include "e6data/options.hpp"
#include "log/logger.hpp"

namespace e6data {
namespace {

// A variable that is set to something other than blanks; shells often export empty values to
// mean "unset".
std::optional<std::string> read_set(const EnvironmentReader& env, std::string_view name) {
  auto value = env.get(std::string(name));
  if (!value || config::trim(*value).empty()) return std::nullopt;
  return value;
}

// Where problems go: to the caller's list when it gave one (it decides), else out loud: a value
// that was adjusted is a WARN naming the variable and the value used, and values that could not
// be used at all are one UsageError at the end, naming every variable.
class Reporter {
 public:
  explicit Reporter(std::vector<ConfigIssue>* issues) : issues_(issues) {}

  void report(ConfigIssue::Severity severity, std::string_view variable, std::string message) {
    if (issues_ != nullptr) {
      issues_->push_back({severity, std::string(variable), std::move(message)});
    } else if (severity == ConfigIssue::Severity::kWarning) {
      log::event(log::get("e6data"), spdlog::level::warn, message,
                 {{"variable", std::string(variable)}});
    } else {
      errors_.push_back(std::move(message));
    }
  }

  bool collecting() const noexcept { return issues_ != nullptr; }

  void throw_if_unusable() const {
    if (errors_.empty()) return;
    std::string message = "invalid E6DATA_* environment:";
    for (const auto& e : errors_) message += "\n  - " + e;
    throw UsageError(message);
  }

 private:
  std::vector<ConfigIssue>* issues_;
  std::vector<std::string> errors_;
};

}  // namespace

EnvironmentReader::EnvironmentReader(Lookup lookup) : lookup_(std::move(lookup)) {
  if (!lookup_) throw UsageError("EnvironmentReader needs a lookup function, got an empty one");
}

EnvironmentReader EnvironmentReader::process() {
  return EnvironmentReader([](const std::string& name) -> std::optional<std::string> {
    // getenv races with setenv; the header tells callers to read the environment at start-up.
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

EnvironmentReader EnvironmentReader::from_map(std::map<std::string, std::string> variables) {
  return EnvironmentReader(
      [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
        const auto found = variables.find(name);
        if (found == variables.end()) return std::nullopt;
        return found->second;
      });
}

std::optional<std::string> EnvironmentReader::get(const std::string& name) const {
  return lookup_(name);
}

ConnectionOptions ConnectionOptions::from_env(const EnvironmentReader& env,
                                              std::vector<ConfigIssue>* issues) {
  ConnectionOptions options;
  options.fill_from_env(env, issues);
  return options;
}

void ConnectionOptions::fill_from_env(const EnvironmentReader& env,
                                      std::vector<ConfigIssue>* issues) {
  using Severity = ConfigIssue::Severity;
  Reporter reporter(issues);
  const ConnectionOptions defaults;
  for (const config::OptionField& field : config::option_fields()) {
    if (field.env.empty()) continue;
    const config::FieldValue default_value = field.get(defaults);
    // Anything not at its default came from code or a URI, which win over the environment.
    if (field.get(*this) != default_value) continue;

    std::string_view variable = field.env;
    auto text = read_set(env, field.env);
    if (!field.env_alias.empty()) {
      auto alias_text = read_set(env, field.env_alias);
      if (!text) {
        variable = field.env_alias;
        text = std::move(alias_text);
      } else if (alias_text && *alias_text != *text) {
        reporter.report(Severity::kWarning, field.env_alias,
                        std::string(field.env_alias) + " is ignored because " +
                            std::string(field.env) + " is also set, to a different value");
      }
    }
    if (!text) continue;

    const std::string shown = field.secret ? std::string(variable) + " (value hidden)"
                                           : std::string(variable) + "=" + config::quote(*text);
    config::ParsedField parsed = config::parse_field(field, *text);
    switch (parsed.status) {
      case config::ParsedField::Status::kOk:
        field.set(*this, parsed.value);
        break;
      case config::ParsedField::Status::kClamped:
        reporter.report(
            Severity::kWarning, variable,
            shown + " " + parsed.problem + "; using " + config::format_value(field, parsed.value));
        field.set(*this, parsed.value);
        break;
      case config::ParsedField::Status::kInvalid:
        // The field still holds its default (see above), so ignoring the value restores it.
        // With a list of issues the caller decides; without one, this value is an error.
        reporter.report(
            Severity::kError, variable,
            shown + " " + parsed.problem +
                (!reporter.collecting() ? std::string()
                 : field.kind == config::FieldKind::kText
                     ? std::string("; ignoring it")
                     : "; using the default " + config::format_value(field, default_value)));
        break;
    }
  }
  reporter.throw_if_unusable();
}

}  // namespace e6data
