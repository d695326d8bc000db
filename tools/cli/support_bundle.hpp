#pragma once
// The parts of `e6data-cli support-bundle` that need no network: removing secrets from every
// file in every encoding a secret is commonly written in, masking the environment, and writing
// the files as a .tar.gz archive (ustar + gzip) or a directory.

#include <ctime>
#include <string>
#include <utility>
#include <vector>

namespace e6data::cli {

struct BundleFile {
  std::string name;     // relative path inside the bundle, '/' separated
  std::string content;  // already scrubbed
};

// Replaces every occurrence of a secret with "[REDACTED]", in the forms a secret takes when it
// is written down somewhere: as is, URL-encoded (upper- and lower-case hex, '+' for space), as
// hex (either case), JSON-escaped, and base64 (standard and URL-safe alphabets, at each of the
// three byte alignments it can have inside a longer encoded text, e.g. "user:token" in an
// HTTP Basic header).
class SecretRedactor {
 public:
  // Empty secrets are ignored.
  void add(const std::string& secret);
  bool empty() const { return forms_.empty(); }
  std::string scrub(std::string text) const;
  // Every form searched for, longest first (for tests and the final check).
  const std::vector<std::string>& forms() const { return forms_; }
  // True when `text` holds no form of any secret.
  bool clean(const std::string& text) const;

 private:
  std::vector<std::string> forms_;
};

// The forms of one secret that SecretRedactor looks for (base64 forms only when at least 4
// characters long: shorter ones would match ordinary text).
std::vector<std::string> secret_forms(const std::string& secret);

std::string base64(const std::string& bytes, bool url_safe = false, bool pad = true);

// True for a variable name that holds a secret: *PASSWORD*, *TOKEN*, *SECRET*, *CREDENTIAL*,
// *PRIVATE_KEY* (any case).
bool is_secret_variable(const std::string& name);

// "NAME=value" lines, sorted, for every variable whose name starts with `prefix`; values of
// secret variables are "***" (set) or "" (empty).
std::string masked_environment(const std::vector<std::pair<std::string, std::string>>& variables,
                               const std::string& prefix = "E6DATA_");

// The last `max_bytes` of `text`, starting after a line end when it had to be cut.
std::string tail_lines(const std::string& text, std::size_t max_bytes);

// Writes `files` under the directory `root` inside a gzip-compressed ustar archive at `path`
// (created 0600 under a temporary name, then renamed). \throws std::runtime_error
void write_tar_gz(const std::string& path, const std::string& root,
                  const std::vector<BundleFile>& files, std::time_t mtime);

// Writes `files` into the new directory `path` (0700; files 0600). \throws std::runtime_error
void write_directory(const std::string& path, const std::vector<BundleFile>& files);

// The ustar archive itself (uncompressed), for tests.
std::string tar_archive(const std::string& root, const std::vector<BundleFile>& files,
                        std::time_t mtime);

}  // namespace e6data::cli
