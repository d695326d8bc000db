#pragma once
// The reference decoder: Apache Thrift's own TBinaryProtocol deserializes the `Chunk` into the
// generated classes, which are then copied into a Batch with the column builders. It is lenient
// where the library is (it does not enforce the contract's stricter rules) and is meant for
// valid inputs: the differential tests require it to agree with our decoder on every valid
// vector, and the benchmark compares their speed.

#include <string_view>

#include "e6data/batch.hpp"

namespace e6data::reference {

// Only the Thrift library's deserialization (what the benchmark times).
void thrift_deserialize_only(std::string_view payload);

// Full decode into a Batch. Throws std::exception on anything it cannot represent.
Batch thrift_decode(std::string_view payload);

}  // namespace e6data::reference
