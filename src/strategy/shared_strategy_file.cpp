#include "strategy/shared_strategy_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>

#include "log/logger.hpp"
#include "strategy/deployment.hpp"

namespace e6data::strategy {
namespace {

constexpr std::uint64_t kMagic = 0x45364453'54524154ULL;  // "E6DSTRAT", version 1
constexpr std::size_t kSlots = 64;
constexpr std::size_t kNameWords = 31;
constexpr std::size_t kNameBytes = kNameWords * sizeof(std::uint64_t);  // 248

struct Slot {
  std::atomic<std::uint64_t> key{0};  // FNV-1a of the endpoint; 0 = free
  StrategyCell cell;
};

// What every version of the file holds: the magic word and the slots.
struct LegacyLayout {
  std::atomic<std::uint64_t> magic;
  Slot slots[kSlots];
};

// The endpoint of a slot, for operators: `length` bytes in `words`, published by the release
// store of `length` (0 = not recorded). Atomic words, so a reader never races a writer.
struct SlotName {
  std::atomic<std::uint64_t> length{0};
  std::atomic<std::uint64_t> words[kNameWords];
};

struct FileLayout {
  LegacyLayout v1;
  SlotName names[kSlots];
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "shared state needs address-free lock-free atomics");
static_assert(sizeof(LegacyLayout) == 8 + kSlots * 24, "the layout older libraries map");
static_assert(sizeof(FileLayout) == sizeof(LegacyLayout) + kSlots * 256, "names follow slots");

std::uint64_t key_of(const std::string& endpoint) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : endpoint) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

// errno as text. Not std::strerror: its buffer is shared between threads (glibc: MT-Unsafe).
std::string errno_text(int error) {
  return std::generic_category().message(error);
}

StrategyCell* fail(const std::string& path, const std::string& why) {
  log::get("e6data.strategy")
      ->warn("strategy shared state {} unusable ({}): keeping the strategy in-process", path, why);
  return nullptr;
}

using Reason = SharedStateError::Reason;

std::string path_of(const std::string& name, const std::string& directory) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    throw SharedStateError(Reason::kBadName, directory + "/" + name,
                           "bad shared strategy file name '" + name + "': a file name in " +
                               directory + " without '/'");
  }
  return directory + "/" + name;
}

std::string octal_mode(mode_t mode) {
  char text[16];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Why the file described by `st` must not be trusted, or nullopt when it may be.
std::optional<SharedStateError> untrusted(const struct stat& st, const std::string& path) {
  if (S_ISDIR(st.st_mode)) {
    return SharedStateError(Reason::kNotRegularFile, path, path + " is a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    return SharedStateError(Reason::kNotRegularFile, path, path + " is not a regular file");
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me && st.st_uid != 0) {
    return SharedStateError(
        Reason::kUntrustedOwner, path,
        path + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
            std::to_string(me) +
            ") or root: its owner could steer the routing of every process that trusts it");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return SharedStateError(
        Reason::kUnsafeMode, path,
        path + " has mode " + octal_mode(st.st_mode) + ": writable by " +
            ((st.st_mode & S_IWOTH) != 0 ? "every user" : "its group") +
            ", who could steer the routing of every process that trusts it (chmod go-w " + path +
            ", or remove it)");
  }
  return std::nullopt;
}

SharedStateError open_error(const std::string& path, int error, const char* how) {
  if (error == ENOENT) {
    return {Reason::kMissing, path,
            path + " does not exist (no process on this host has joined it yet)"};
  }
  if (error == ELOOP) {
    return {Reason::kNotRegularFile, path, path + " is a symbolic link"};
  }
  return {Reason::kUnreadable, path, "cannot open " + path + " " + how + ": " + errno_text(error)};
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct Mapping {
  void* p;
  std::size_t length;
  ~Mapping() {
    if (p != MAP_FAILED) ::munmap(p, length);
  }
};

// The slot of `key`, or nullptr: slots are claimed in probe order and never freed, so a free
// slot on the probe path means the key has none.
Slot* find_slot(LegacyLayout& layout, std::uint64_t key) {
  for (std::size_t i = 0; i < kSlots; ++i) {
    Slot& slot = layout.slots[(key + i) % kSlots];
    const std::uint64_t seen = slot.key.load(std::memory_order_acquire);
    if (seen == key) return &slot;
    if (seen == 0) return nullptr;
  }
  return nullptr;
}

void record_name(SlotName& name, const std::string& endpoint) {
  if (endpoint.empty() || endpoint.size() > kNameBytes) return;  // too long: not recorded
  if (name.length.load(std::memory_order_acquire) != 0) return;
  // Another process may record the same slot at the same time: it writes the same words.
  for (std::size_t w = 0; w < kNameWords; ++w) {
    std::uint64_t value = 0;
    const std::size_t at = w * sizeof value;
    if (at < endpoint.size()) {
      std::memcpy(&value, endpoint.data() + at, std::min(sizeof value, endpoint.size() - at));
    }
    name.words[w].store(value, std::memory_order_relaxed);
  }
  name.length.store(endpoint.size(), std::memory_order_release);
}

std::string read_name(const SlotName& name, std::uint64_t key) {
  const std::uint64_t length = name.length.load(std::memory_order_acquire);
  if (length == 0 || length > kNameBytes) return {};
  std::string text(kNameBytes, '\0');
  for (std::size_t w = 0; w < kNameWords; ++w) {
    const std::uint64_t value = name.words[w].load(std::memory_order_relaxed);
    std::memcpy(text.data() + w * sizeof value, &value, sizeof value);
  }
  text.resize(length);
  // A name that is not the slot's (a damaged file) is not shown as if it were.
  return key_of(text) == key ? text : std::string();
}

// One mapping per joined file per process, kept for the life of the process.
struct Joined {
  std::mutex mutex;
  std::map<std::string, FileLayout*> files;
};

Joined& joined() {
  static Joined j;
  return j;
}

}  // namespace

StrategyCell* shared_strategy_cell(const std::string& name, const std::string& endpoint,
                                   const std::string& directory) {
  const std::string path = directory + "/" + name;
  Joined& j = joined();
  std::lock_guard lock(j.mutex);
  FileLayout* layout = j.files[path];
  if (layout == nullptr) {
    // O_NOFOLLOW: a link planted in /dev/shm must not make us grow or write another file.
    const int fd =
        ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0) {
      return fail(path, errno == ELOOP ? std::string("a symbolic link") : errno_text(errno));
    }
    const Fd closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail(path, errno_text(errno));
    if (auto why = untrusted(st, path)) return fail(path, why->what());
    // A file that starts with something other than our magic (or zero, not yet claimed) is not
    // ours: refuse it before changing anything in it.
    std::uint64_t magic = 0;
    if (static_cast<std::size_t>(st.st_size) >= sizeof magic &&
        ::pread(fd, &magic, sizeof magic, 0) == static_cast<ssize_t>(sizeof magic) && magic != 0 &&
        magic != kMagic) {
      return fail(path, "not an e6data strategy file");
    }
    if (st.st_size > 0 && static_cast<std::size_t>(st.st_size) < sizeof magic) {
      return fail(path, "not an e6data strategy file (too short)");
    }
    // Growing a file zero-fills it, and every process grows it to the same size: concurrent
    // creators cannot disturb each other. A file an older library made (no names) grows too.
    if (static_cast<std::size_t>(st.st_size) < sizeof(FileLayout) &&
        ::ftruncate(fd, sizeof(FileLayout)) != 0) {
      return fail(path, errno_text(errno));
    }
    void* p = ::mmap(nullptr, sizeof(FileLayout), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return fail(path, errno_text(errno));
    layout = static_cast<FileLayout*>(p);
    std::uint64_t expected = 0;
    if (!layout->v1.magic.compare_exchange_strong(expected, kMagic) && expected != kMagic) {
      ::munmap(p, sizeof(FileLayout));
      return fail(path, "not an e6data strategy file");
    }
    j.files[path] = layout;
  }
  const std::uint64_t key = key_of(endpoint);
  for (std::size_t i = 0; i < kSlots; ++i) {
    const std::size_t index = (key + i) % kSlots;
    Slot& slot = layout->v1.slots[index];
    std::uint64_t seen = slot.key.load();
    if ((seen == 0 && slot.key.compare_exchange_strong(seen, key)) || seen == key) {
      record_name(layout->names[index], endpoint);
      return &slot.cell;
    }
  }
  return fail(path, "all " + std::to_string(kSlots) + " endpoint slots are taken");
}

std::vector<SharedStrategySlot> read_shared_slots(const std::string& name,
                                                  const std::string& directory) {
  const std::string path = path_of(name, directory);
  // O_NONBLOCK: a FIFO planted under the name must not hang the reader.
  const Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)};
  if (fd.fd < 0) throw open_error(path, errno, "for reading");
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) {
    throw SharedStateError(Reason::kUnreadable, path,
                           "cannot read " + path + ": " + errno_text(errno));
  }
  if (auto why = untrusted(st, path)) throw *why;
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) return {};  // just created: nothing claimed yet
  if (size < sizeof(LegacyLayout)) {
    throw SharedStateError(
        Reason::kNotStrategyFile, path,
        path + " is not an e6data strategy file (" + std::to_string(size) + " bytes, too short)");
  }
  const std::size_t length = size >= sizeof(FileLayout) ? sizeof(FileLayout) : sizeof(LegacyLayout);
  const Mapping map{::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd.fd, 0), length};
  if (map.p == MAP_FAILED) {
    throw SharedStateError(Reason::kUnreadable, path,
                           "cannot map " + path + ": " + errno_text(errno));
  }
  const auto& layout = *static_cast<const LegacyLayout*>(map.p);
  const std::uint64_t magic = layout.magic.load(std::memory_order_acquire);
  if (magic == 0) return {};  // being created
  if (magic != kMagic) {
    throw SharedStateError(Reason::kNotStrategyFile, path,
                           path + " is not an e6data strategy file (its magic number is not ours)");
  }
  const SlotName* names =
      length == sizeof(FileLayout) ? static_cast<const FileLayout*>(map.p)->names : nullptr;
  // The last-check times are steady-clock (CLOCK_MONOTONIC) readings, the same in every
  // process of the host.
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::vector<SharedStrategySlot> slots;
  for (std::size_t i = 0; i < kSlots; ++i) {
    const Slot& slot = layout.slots[i];
    const std::uint64_t key = slot.key.load(std::memory_order_acquire);
    if (key == 0) continue;
    const StrategyWord w = StrategyWord::unpack(slot.cell.word.load(std::memory_order_seq_cst));
    const std::int64_t at = slot.cell.last_check_ns.load(std::memory_order_acquire);
    SharedStrategySlot s;
    s.slot = i;
    s.key = key;
    s.endpoint = names != nullptr ? read_name(names[i], key) : std::string();
    s.active = std::string(to_string(w.active));
    s.pending = std::string(to_string(w.pending));
    s.pending_confirmed = w.pending_confirmed;
    s.generation = w.generation;
    if (at != 0) s.seconds_since_check = static_cast<double>(now - at) / 1e9;
    slots.push_back(std::move(s));
  }
  return slots;
}

bool with_existing_shared_cell(const std::string& name, const std::string& endpoint,
                               const std::function<bool(StrategyCell&)>& change,
                               const std::string& directory) {
  const std::string path = path_of(name, directory);
  const std::uint64_t key = key_of(endpoint);
  Slot* slot = nullptr;
  {
    Joined& j = joined();
    std::lock_guard lock(j.mutex);
    if (auto it = j.files.find(path); it != j.files.end() && it->second != nullptr) {
      slot = find_slot(it->second->v1, key);
      if (slot == nullptr) return false;
    }
  }
  if (slot != nullptr) return change(slot->cell);  // joined: the mapping lives on

  const Fd fd{::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)};
  if (fd.fd < 0 && errno == ENOENT) return false;
  if (fd.fd < 0) throw open_error(path, errno, "for writing");
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) {
    throw SharedStateError(Reason::kUnreadable, path,
                           "cannot read " + path + ": " + errno_text(errno));
  }
  if (auto why = untrusted(st, path)) throw *why;
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size == 0) return false;
  if (size < sizeof(LegacyLayout)) {
    throw SharedStateError(
        Reason::kNotStrategyFile, path,
        path + " is not an e6data strategy file (" + std::to_string(size) + " bytes, too short)");
  }
  const Mapping map{
      ::mmap(nullptr, sizeof(LegacyLayout), PROT_READ | PROT_WRITE, MAP_SHARED, fd.fd, 0),
      sizeof(LegacyLayout)};
  if (map.p == MAP_FAILED) {
    throw SharedStateError(Reason::kUnreadable, path,
                           "cannot map " + path + ": " + errno_text(errno));
  }
  auto& layout = *static_cast<LegacyLayout*>(map.p);
  const std::uint64_t magic = layout.magic.load(std::memory_order_acquire);
  if (magic == 0) return false;
  if (magic != kMagic) {
    throw SharedStateError(Reason::kNotStrategyFile, path,
                           path + " is not an e6data strategy file (its magic number is not ours)");
  }
  slot = find_slot(layout, key);
  return slot != nullptr && change(slot->cell);
}

}  // namespace e6data::strategy
