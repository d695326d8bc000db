#include "metrics/registry.hpp"

#include <algorithm>

#include "metrics/builtin_collectors.hpp"
#include "metrics/text_format.hpp"

namespace e6data::metrics {

std::uint64_t Registry::add(Collector collector) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  collectors_.emplace_back(id, std::move(collector));
  return id;
}

void Registry::remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  std::erase_if(collectors_, [id](const auto& entry) { return entry.first == id; });
}

std::vector<Family> Registry::collect() const {
  std::vector<Family> families;
  std::lock_guard lock(mutex_);
  for (const auto& [id, collector] : collectors_) collector(families);
  return families;
}

std::string Registry::text() const {
  return render_text(collect());
}

std::string Registry::claim_name(const std::string& wanted) {
  std::lock_guard lock(mutex_);
  std::string name = wanted;
  for (int n = 2; names_.contains(name); ++n) name = wanted + "-" + std::to_string(n);
  names_.insert(name);
  return name;
}

void Registry::release_name(const std::string& name) {
  std::lock_guard lock(mutex_);
  names_.erase(name);
}

Registry& registry() {
  // Leaked on purpose: see the header. The built-in collectors (operations, strategy) are added
  // once, here, so that every scrape has them.
  static Registry* const instance = [] {
    auto* r = new Registry;  // NOLINT(cppcoreguidelines-owning-memory): lives for the process
    add_builtin_collectors(*r);
    return r;
  }();
  return *instance;
}

}  // namespace e6data::metrics
