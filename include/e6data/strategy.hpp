#pragma once
/// \file
/// \brief What the connector knows about a cluster's blue-green deployments, for operators.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "e6data/errors.hpp"

namespace e6data {

struct ConnectionOptions;

/// \brief How often each strategy event happened for one endpoint (host, port, cluster), since
/// the process started. Every Connection to the endpoint adds to the same counters.
struct StrategyCounters {
  std::uint64_t detections = 0;         ///< detections run (blue/green probing)
  std::uint64_t detection_probes = 0;   ///< authenticate calls made by detections
  std::uint64_t cache_hits = 0;         ///< authentications that used a cached, fresh strategy
  std::uint64_t cache_misses = 0;       ///< authentications that had to detect or revalidate
  std::uint64_t recoveries_456 = 0;     ///< calls answered 456 and recovered
  std::uint64_t reauthentications = 0;  ///< sessions replaced after "Access denied"
  std::uint64_t resumes = 0;            ///< cluster resumes this process waited for
  std::uint64_t retries = 0;            ///< transient failures retried after a backoff
  std::uint64_t transitions = 0;        ///< switches completed (pending became active)
  std::uint64_t announcements = 0;      ///< switches announced by `new_strategy`
  std::uint64_t reruns = 0;             ///< reads re-run on the new deployment after a loss
  std::uint64_t lost_queries = 0;       ///< queries reported lost (StrategyChanged errors)
  std::uint64_t queries_blue = 0;       ///< queries prepared on blue
  std::uint64_t queries_green = 0;      ///< queries prepared on green
  std::uint64_t bindings_evicted = 0;   ///< query bindings dropped by the cap or the TTL
  std::uint64_t lag_holds = 0;  ///< 456s from an announced deployment ridden out (router lag)
};

/// \brief A consistent picture of one endpoint's strategy state.
struct StrategySnapshot {
  std::string endpoint;                  ///< "host:port/cluster"
  std::string active;                    ///< "blue", "green" or "" (not known yet)
  std::string pending;                   ///< the deployment announced by `new_strategy`, or ""
  double seconds_since_check = -1;       ///< since the strategy was last confirmed; -1 never
  std::string last_transition;           ///< e.g. "blue->green", or "" when none yet
  double seconds_since_transition = -1;  ///< -1 when none yet
  std::int64_t bound_blue = 0;           ///< live queries bound to blue
  std::int64_t bound_green = 0;          ///< live queries bound to green
  StrategyCounters counters;
  /// \brief The snapshot as one JSON object.
  std::string to_json() const;
};

/// \brief One endpoint's slot in a shared strategy file (`E6DATA_STRATEGY_SHARED_STATE`), as
/// read_shared_strategy() found it.
///
/// The file holds only what every process on the host shares: the strategy word (active,
/// pending, whether the pending deployment has answered, a generation) and the last-check time.
/// Bound queries and counters stay in each process and are not in the file.
struct SharedStrategySlot {
  std::size_t slot = 0;   ///< the slot's index in the file
  std::string endpoint;   ///< "host:port/cluster"; "" when the process that claimed the slot did
                          ///< not record it (an older library) or is recording it right now
  std::uint64_t key = 0;  ///< the slot's key: a 64-bit FNV-1a hash of the endpoint
  std::string active;     ///< "blue", "green" or "" (not known: the next call detects)
  std::string pending;    ///< the deployment a switch was announced to, or ""
  bool pending_confirmed = false;   ///< the pending deployment has answered a call
  std::uint32_t generation = 0;     ///< changes with every change of the word
  double seconds_since_check = -1;  ///< since the strategy was last confirmed; -1 never
  /// \brief The slot as one JSON object (the key as a "0x..." string).
  std::string to_json() const;
};

/// \brief Thrown when a shared strategy file cannot be read or is not safe to trust.
///
/// kind() is ErrorKind::kUsage (the configuration names a file that cannot be used); reason()
/// says why and the message names the file and what to do.
class SharedStateError : public Error {
 public:
  /// \brief Why the file was refused.
  enum class Reason {
    kBadName,          ///< the name is empty, ".", ".." or contains '/'
    kMissing,          ///< no such file (no process on this host has joined it yet)
    kNotRegularFile,   ///< a directory, a symbolic link, a device, ...
    kUntrustedOwner,   ///< owned by another user than the caller and root
    kUnsafeMode,       ///< writable by the group or by others
    kNotStrategyFile,  ///< not an e6data strategy file (wrong magic number, too short)
    kUnreadable,       ///< it cannot be opened or mapped (permissions, I/O)
  };
  /// \param reason why \param path the file \param message the whole sentence
  SharedStateError(Reason reason, std::string path, const std::string& message);
  /// \brief Why the file was refused.
  Reason reason() const noexcept { return reason_; }
  /// \brief The file's path.
  const std::string& path() const noexcept { return path_; }

 private:
  Reason reason_;
  std::string path_;
};

/// \brief Name of a refusal reason, e.g. "untrusted owner".
std::string_view to_string(SharedStateError::Reason reason) noexcept;

/// \brief The key the connector keeps an endpoint's strategy under: "host:port/cluster", the
/// cluster name lower-cased (StrategySnapshot::endpoint, SharedStrategySlot::endpoint).
std::string strategy_endpoint(const ConnectionOptions& options);

/// \brief Every claimed slot of the shared strategy file `directory/name`, read without joining
/// it: the file is opened read-only and never created, grown or written.
///
/// The file must be safe to trust before anything in it is believed: a regular file (not a
/// symbolic link), owned by the caller's effective user or by root, and not writable by the
/// group or others; the connector refuses to join such a file too.
/// \param name the file name, as in `E6DATA_STRATEGY_SHARED_STATE` (no '/')
/// \param directory where the file lives (tests use another directory)
/// \return the slots in file order; empty when no process has claimed one yet
/// \throws SharedStateError naming the file and why it was refused
/// \note Thread-safe; no lock is taken that a writer could wait for.
std::vector<SharedStrategySlot> read_shared_strategy(const std::string& name,
                                                     const std::string& directory = "/dev/shm");

/// \brief Forgets what the connector knows about the endpoint of `options` (host, port,
/// cluster), so that the next call detects the deployment again.
///
/// Clears this process's cached strategy for the endpoint (every Connection to it sees the
/// change at once) and, when `options.strategy.shared_state` names a shared file, the endpoint's
/// slot in that file, which every process on the host that joined it uses. Never creates the
/// file or a slot, and makes no network call. Queries already running keep their deployment.
/// \return true when a strategy was known (in this process or in the file) and is now forgotten
/// \throws SharedStateError when the shared file exists but is not safe to trust
/// \note Thread-safe (lock-free updates of the strategy word).
bool clear_strategy_cache(const ConnectionOptions& options);

/// \brief Completes the endpoint's pending switch now: the deployment a switch was announced to
/// becomes active at once, without waiting for the queries bound to the old one to finish or for
/// the new one to answer (e6data's "apply the pending strategy").
///
/// Applies to this process's state for the endpoint and, with `options.strategy.shared_state`,
/// to the endpoint's slot in the shared file. Queries still running on the old deployment may
/// then be cut by its drain. No network call.
/// \return true when a pending switch was completed; false when none was pending
/// \throws SharedStateError when the shared file exists but is not safe to trust
/// \note Thread-safe (lock-free updates of the strategy word).
bool apply_pending_strategy(const ConnectionOptions& options);

}  // namespace e6data
