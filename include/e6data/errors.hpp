#pragma once
/// \file
/// \brief The typed errors every public e6data function throws.
///
/// One hierarchy, one channel: public functions throw; there are no error codes or "failed"
/// results to check. Subclasses exist only where a `catch` would differ.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace e6data {

/// \brief What went wrong, independent of the C++ type that carries it.
enum class ErrorKind {
  kDecode,  ///< Bytes from the server (or a capture) that do not follow the wire contract.
  kUsage,   ///< The caller used the API wrongly (wrong type, out-of-range index, ...).
};

/// \brief Name of an error kind, e.g. "decode".
std::string_view to_string(ErrorKind kind) noexcept;

/// \brief Base of every error the library throws.
class Error : public std::runtime_error {
 public:
  /// \param kind what went wrong
  /// \param message a sentence a person can act on; never contains secrets
  Error(ErrorKind kind, const std::string& message);

  /// \brief What went wrong.
  ErrorKind kind() const noexcept { return kind_; }
  /// \brief True when repeating the same operation may succeed.
  virtual bool is_retryable() const noexcept { return false; }

 private:
  ErrorKind kind_;
};

/// \brief Thrown when a result batch or result metadata payload is malformed.
///
/// The message says what was expected, and `offset()` is the byte offset in the payload where
/// the problem was found.
class DecodeError : public Error {
 public:
  /// \param message what was expected and what was found
  /// \param offset byte offset in the payload
  DecodeError(const std::string& message, std::size_t offset);

  /// \brief Byte offset in the payload at which the problem was detected.
  std::size_t offset() const noexcept { return offset_; }
  /// \brief The message without the " (at byte N)" suffix.
  const std::string& detail() const noexcept { return detail_; }

 private:
  std::string detail_;
  std::size_t offset_;
};

/// \brief Thrown when the API is used wrongly: a typed read of a column of another type, a row
/// or column index out of range, and similar mistakes in the calling code.
class UsageError : public Error {
 public:
  /// \param message names the operation and what was wrong with it
  explicit UsageError(const std::string& message);
};

}  // namespace e6data
