#include "strategy/shared_strategy_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>
#include <system_error>

#include "log/logger.hpp"

namespace e6data::strategy {
namespace {

constexpr std::uint64_t kMagic = 0x45364453'54524154ULL;  // "E6DSTRAT", version 1
constexpr std::size_t kSlots = 64;

struct Slot {
  std::atomic<std::uint64_t> key{0};  // FNV-1a of the endpoint; 0 = free
  StrategyCell cell;
};

struct FileLayout {
  std::atomic<std::uint64_t> magic;
  Slot slots[kSlots];
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "shared state needs address-free lock-free atomics");

std::uint64_t key_of(const std::string& endpoint) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : endpoint) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

// errno as text. Not std::strerror: its buffer is shared between threads (glibc: MT-Unsafe).
std::string errno_text() {
  return std::generic_category().message(errno);
}

StrategyCell* fail(const std::string& path, const std::string& why) {
  log::get("e6data.strategy")
      ->warn("strategy shared state {} unusable ({}): keeping the strategy in-process", path, why);
  return nullptr;
}

}  // namespace

StrategyCell* shared_strategy_cell(const std::string& name, const std::string& endpoint,
                                   const std::string& directory) {
  static std::mutex mutex;
  static std::map<std::string, FileLayout*> mapped;  // one mapping per file per process
  const std::string path = directory + "/" + name;
  std::lock_guard lock(mutex);
  FileLayout* layout = mapped[path];
  if (layout == nullptr) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return fail(path, errno_text());
    struct stat st {};
    // A file that starts with something other than our magic (or zero, not yet claimed) is not
    // ours: refuse it before changing anything in it.
    std::uint64_t magic = 0;
    if (::fstat(fd, &st) == 0 && static_cast<std::size_t>(st.st_size) >= sizeof magic &&
        ::pread(fd, &magic, sizeof magic, 0) == static_cast<ssize_t>(sizeof magic) && magic != 0 &&
        magic != kMagic) {
      ::close(fd);
      return fail(path, "not an e6data strategy file");
    }
    if (st.st_size > 0 && static_cast<std::size_t>(st.st_size) < sizeof magic) {
      ::close(fd);
      return fail(path, "not an e6data strategy file (too short)");
    }
    // Growing a file zero-fills it, and every process grows it to the same size: concurrent
    // creators cannot disturb each other.
    if (::fstat(fd, &st) != 0 || (static_cast<std::size_t>(st.st_size) < sizeof(FileLayout) &&
                                  ::ftruncate(fd, sizeof(FileLayout)) != 0)) {
      const std::string why = errno_text();
      ::close(fd);
      return fail(path, why);
    }
    void* p = ::mmap(nullptr, sizeof(FileLayout), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const std::string why = p == MAP_FAILED ? errno_text() : std::string();  // before close()
    ::close(fd);
    if (p == MAP_FAILED) return fail(path, why);
    layout = static_cast<FileLayout*>(p);
    std::uint64_t expected = 0;
    if (!layout->magic.compare_exchange_strong(expected, kMagic) && expected != kMagic) {
      ::munmap(p, sizeof(FileLayout));
      return fail(path, "not an e6data strategy file");
    }
    mapped[path] = layout;
  }
  const std::uint64_t key = key_of(endpoint);
  for (std::size_t i = 0; i < kSlots; ++i) {
    Slot& slot = layout->slots[(key + i) % kSlots];
    std::uint64_t seen = slot.key.load();
    if (seen == 0 && slot.key.compare_exchange_strong(seen, key)) return &slot.cell;
    if (seen == key) return &slot.cell;
  }
  return fail(path, "all " + std::to_string(kSlots) + " endpoint slots are taken");
}

}  // namespace e6data::strategy
