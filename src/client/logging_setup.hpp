#pragma once
// The library's own logging set-up (e6data/logging.hpp says the rule): the E6DATA_* logging
// variables, applied once at first use unless the program configured logging itself.

#include "e6data/options.hpp"

namespace e6data::detail {

// The logging the E6DATA_* variables ask for, with per-logger levels inheriting
// E6DATA_LOG_LEVEL when they are not set.
LoggingOptions logging_from_environment();

// Applies logging_from_environment() the first time it is called in the process, unless the
// program has configured logging; later calls do nothing.
void apply_environment_logging_once();

}  // namespace e6data::detail
