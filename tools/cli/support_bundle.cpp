#include "support_bundle.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <stdexcept>
#include <system_error>

namespace e6data::cli {
namespace {

constexpr const char* kRedacted = "[REDACTED]";

std::string hex(const std::string& bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xF];
  }
  return out;
}

std::string url_encoded(const std::string& bytes, bool upper, bool plus_for_space) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ' && plus_for_space) {
      out += '+';
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xF];
    }
  }
  return out;
}

std::string json_escaped(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char u[8];
          std::snprintf(u, sizeof u, "\\u%04x", c);
          out += u;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string errno_text(int error) {
  return std::generic_category().message(error);
}

void write_all(int fd, const std::string& data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("cannot write " + path + ": " + errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
}

void octal(char* field, std::size_t width, unsigned long long value) {
  // width - 1 digits and a NUL, as ustar readers expect.
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), value);
}

std::string header(const std::string& path, char type, std::size_t size, std::time_t mtime) {
  std::string block(512, '\0');
  std::string name = path;
  std::string prefix;
  if (name.size() > 100) {
    const auto cut = name.rfind('/', 155);
    if (cut == std::string::npos || name.size() - cut - 1 > 100) {
      throw std::runtime_error("name too long for a tar archive: " + path);
    }
    prefix = name.substr(0, cut);
    name = name.substr(cut + 1);
  }
  std::memcpy(block.data(), name.data(), name.size());
  octal(block.data() + 100, 8, type == '5' ? 0700 : 0600);
  octal(block.data() + 108, 8, 0);
  octal(block.data() + 116, 8, 0);
  octal(block.data() + 124, 12, size);
  octal(block.data() + 136, 12, static_cast<unsigned long long>(std::max<std::time_t>(0, mtime)));
  std::memset(block.data() + 148, ' ', 8);
  block[156] = type;
  std::memcpy(block.data() + 257, "ustar", 6);
  std::memcpy(block.data() + 263, "00", 2);
  std::memcpy(block.data() + 345, prefix.data(), prefix.size());
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  std::snprintf(block.data() + 148, 8, "%06o", sum);
  block[155] = ' ';
  return block;
}

void make_parents(const std::string& root, const std::string& relative) {
  for (std::size_t at = relative.find('/'); at != std::string::npos;
       at = relative.find('/', at + 1)) {
    const std::string dir = root + "/" + relative.substr(0, at);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      throw std::runtime_error("cannot create " + dir + ": " + errno_text(errno));
    }
  }
}

}  // namespace

std::string base64(const std::string& bytes, bool url_safe, bool pad) {
  const char* alphabet = url_safe
                             ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (i + 1 < bytes.size()) out += alphabet[(v >> 6) & 63];
    if (pad) out += i + 1 < bytes.size() ? "=" : "==";
  }
  return out;
}

std::vector<std::string> secret_forms(const std::string& secret) {
  std::set<std::string> forms;
  if (secret.empty()) return {};
  forms.insert(secret);
  for (bool upper : {false, true}) {
    forms.insert(hex(secret, upper));
    for (bool plus : {false, true}) forms.insert(url_encoded(secret, upper, plus));
  }
  forms.insert(json_escaped(secret));
  // Base64: inside a longer text the secret starts at byte offset 0, 1 or 2 of a 3-byte group.
  // The characters that depend on the secret's bytes alone are the same wherever it sits; they
  // are what is searched for (the full encodings contain them).
  for (bool url_safe : {false, true}) {
    for (std::size_t shift = 0; shift < 3; ++shift) {
      const std::string encoded = base64(std::string(shift, '\0') + secret, url_safe, false);
      const std::size_t begin = shift == 0 ? 0 : 4;
      const std::size_t end = 4 * ((shift + secret.size()) / 3);
      if (end > begin && end - begin >= 4) forms.insert(encoded.substr(begin, end - begin));
    }
  }
  std::vector<std::string> out(forms.begin(), forms.end());
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

void SecretRedactor::add(const std::string& secret) {
  for (auto& form : secret_forms(secret)) {
    if (std::find(forms_.begin(), forms_.end(), form) == forms_.end()) forms_.push_back(form);
  }
  std::sort(forms_.begin(), forms_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string SecretRedactor::scrub(std::string text) const {
  // Longest forms first; the marker is not empty, so a replacement never joins two halves of
  // another occurrence.
  for (const auto& form : forms_) {
    for (auto at = text.find(form); at != std::string::npos; at = text.find(form, at)) {
      text.replace(at, form.size(), kRedacted);
      at += std::strlen(kRedacted);
    }
  }
  return text;
}

bool SecretRedactor::clean(const std::string& text) const {
  return std::none_of(forms_.begin(), forms_.end(), [&](const std::string& form) {
    return text.find(form) != std::string::npos;
  });
}

bool is_secret_variable(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const char* word : {"PASSWORD", "TOKEN", "SECRET", "CREDENTIAL", "PRIVATE_KEY"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string masked_environment(const std::vector<std::pair<std::string, std::string>>& variables,
                               const std::string& prefix) {
  std::vector<std::pair<std::string, std::string>> chosen;
  for (const auto& [name, value] : variables) {
    if (name.rfind(prefix, 0) != 0) continue;
    chosen.emplace_back(name, is_secret_variable(name) ? (value.empty() ? "" : "***") : value);
  }
  std::sort(chosen.begin(), chosen.end());
  std::string out;
  for (const auto& [name, value] : chosen) out += name + "=" + value + "\n";
  return out;
}

std::string tail_lines(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  const std::size_t from = text.size() - max_bytes;
  const auto line = text.find('\n', from == 0 ? 0 : from - 1);
  return line == std::string::npos ? text.substr(from) : text.substr(line + 1);
}

std::string tar_archive(const std::string& root, const std::vector<BundleFile>& files,
                        std::time_t mtime) {
  std::string out = header(root + "/", '5', 0, mtime);
  std::set<std::string> dirs;
  for (const auto& f : files) {
    for (std::size_t at = f.name.find('/'); at != std::string::npos;
         at = f.name.find('/', at + 1)) {
      const std::string dir = f.name.substr(0, at);
      if (dirs.insert(dir).second) out += header(root + "/" + dir + "/", '5', 0, mtime);
    }
    out += header(root + "/" + f.name, '0', f.content.size(), mtime);
    out += f.content;
    out.append((512 - f.content.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

void write_tar_gz(const std::string& path, const std::string& root,
                  const std::vector<BundleFile>& files, std::time_t mtime) {
  const std::string archive = tar_archive(root, files, mtime);
  const std::string temporary = path + ".partial-" + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + temporary + ": " + errno_text(errno));
  gzFile gz = ::gzdopen(fd, "wb9");
  if (gz == nullptr) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw std::runtime_error("cannot compress into " + temporary);
  }
  bool ok = true;
  for (std::size_t done = 0; ok && done < archive.size();) {
    const auto chunk = static_cast<unsigned>(std::min<std::size_t>(archive.size() - done, 1 << 20));
    ok = ::gzwrite(gz, archive.data() + done, chunk) == static_cast<int>(chunk);
    done += chunk;
  }
  ok = ::gzclose(gz) == Z_OK && ok;  // closes fd
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string why = ok ? errno_text(errno) : std::string("compression failed");
    ::unlink(temporary.c_str());
    throw std::runtime_error("cannot write " + path + ": " + why);
  }
}

void write_directory(const std::string& path, const std::vector<BundleFile>& files) {
  if (::mkdir(path.c_str(), 0700) != 0) {
    throw std::runtime_error("cannot create " + path + ": " + errno_text(errno));
  }
  for (const auto& f : files) {
    make_parents(path, f.name);
    const std::string file = path + "/" + f.name;
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + file + ": " + errno_text(errno));
    try {
      write_all(fd, f.content, file);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }
}

}  // namespace e6data::cli
