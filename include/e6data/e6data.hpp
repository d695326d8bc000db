#pragma once
/// \file
/// \brief Umbrella header of the e6data C++ connector.

#include "e6data/batch.hpp"
#include "e6data/cluster_manager.hpp"
#include "e6data/column.hpp"
#include "e6data/connection.hpp"
#include "e6data/connection_pool.hpp"
#include "e6data/cursor.hpp"
#include "e6data/decode.hpp"
#include "e6data/errors.hpp"
#include "e6data/logging.hpp"
#include "e6data/metrics.hpp"
#include "e6data/options.hpp"
#include "e6data/query_options.hpp"
#include "e6data/schema.hpp"
#include "e6data/strategy.hpp"
#include "e6data/switch_summary.hpp"
#include "e6data/values.hpp"
#include "e6data/vector_type.hpp"
