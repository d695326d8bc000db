// Decode throughput of result batches: our decoder, the Apache Thrift library's deserializer,
// and memcpy of the same bytes as the ceiling. Results: docs/performance.md.
//
// Batches are built with the column builders and encoded with our encoder, which writes what
// e6data sends (the wire vectors check that both directions agree).

#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "e6data/decode.hpp"
#include "thrift_reference_decoder.hpp"
#include "wire/chunk_encoder.hpp"
#include "wire/column_builder.hpp"

namespace {

using e6data::VectorType;
using e6data::wire::BatchBuilder;
using e6data::wire::ColumnBuilder;

struct Payload {
  std::string bytes;
  std::int64_t rows = 0;
};

// 8 numeric columns (4 LONG, 4 DOUBLE), about 1 in 16 rows null.
Payload numeric_batch(std::int64_t rows) {
  std::mt19937_64 rng(42);
  BatchBuilder batch;
  for (int c = 0; c < 8; ++c) {
    ColumnBuilder col(c < 4 ? VectorType::kLong : VectorType::kDouble);
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto x = rng();
      if ((x & 15) == 0) {
        col.append_null();
      } else if (c < 4) {
        col.append_int64(static_cast<std::int64_t>(x >> 4));
      } else {
        col.append_double(static_cast<double>(x >> 11) * 0x1.0p-53);
      }
    }
    batch.add_column(std::move(col).finish());
  }
  return {e6data::wire::encode_chunk(std::move(batch).finish()), rows};
}

// 4 STRING columns of 0..40 ASCII bytes.
Payload string_batch(std::int64_t rows) {
  std::mt19937_64 rng(7);
  BatchBuilder batch;
  for (int c = 0; c < 4; ++c) {
    ColumnBuilder col(VectorType::kString);
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto x = rng();
      if ((x & 31) == 0) {
        col.append_null();
        continue;
      }
      std::string s(static_cast<std::size_t>(x % 41), 'a');
      for (std::size_t i = 0; i < s.size(); ++i)
        s[i] = static_cast<char>('a' + (x >> (i % 50)) % 26);
      col.append_bytes(s);
    }
    batch.add_column(std::move(col).finish());
  }
  return {e6data::wire::encode_chunk(std::move(batch).finish()), rows};
}

// A wide result like a typical SELECT: 12 columns of every common type.
Payload mixed_batch(std::int64_t rows) {
  std::mt19937_64 rng(11);
  const std::vector<VectorType> types = {
      VectorType::kLong,     VectorType::kInteger,     VectorType::kDouble,
      VectorType::kString,   VectorType::kBoolean,     VectorType::kDate,
      VectorType::kDateTime, VectorType::kTimestampTz, VectorType::kDecimal128,
      VectorType::kString,   VectorType::kLong,        VectorType::kFloat};
  const char* zones[] = {"UTC", "+05:30", "America/Los_Angeles", "Europe/Paris"};
  BatchBuilder batch;
  for (const VectorType type : types) {
    ColumnBuilder col(type);
    if (type == VectorType::kDecimal128) col.set_decimal_scale(2);
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto x = rng();
      if ((x & 15) == 0) {
        col.append_null();
        continue;
      }
      const auto v = static_cast<std::int64_t>(x >> 8);
      switch (type) {
        case VectorType::kLong:
          col.append_int64(v);
          break;
        case VectorType::kInteger:
          col.append_int32(static_cast<std::int32_t>(v));
          break;
        case VectorType::kDouble:
        case VectorType::kFloat:
          col.append_double(static_cast<double>(v) / 1000.0);
          break;
        case VectorType::kString:
          col.append_bytes("customer-" + std::to_string(v % 100000));
          break;
        case VectorType::kBoolean:
          col.append_bool((x & 32) != 0);
          break;
        case VectorType::kDate:
          col.append_int64((v % 20000) * 86'400'000'000);
          break;
        case VectorType::kDateTime:
          col.append_int64(v % 2'000'000'000'000'000);
          break;
        case VectorType::kTimestampTz:
          col.append_timestamp_tz(v % 2'000'000'000'000'000, zones[x % 4]);
          break;
        case VectorType::kDecimal128:
          col.append_decimal(v);
          break;
        default:
          break;
      }
    }
    batch.add_column(std::move(col).finish());
  }
  return {e6data::wire::encode_chunk(std::move(batch).finish()), rows};
}

void report(benchmark::State& state, const Payload& p) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(p.bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * p.rows);
  state.counters["payload_KiB"] = static_cast<double>(p.bytes.size()) / 1024.0;
}

template <Payload (*Make)(std::int64_t)>
void BM_DecodeOurs(benchmark::State& state) {
  const Payload p = Make(state.range(0));
  for (auto _ : state) {
    auto batch = e6data::decode_result_batch(p.bytes);
    benchmark::DoNotOptimize(batch);
  }
  report(state, p);
}

template <Payload (*Make)(std::int64_t)>
void BM_DecodeThriftLibrary(benchmark::State& state) {
  const Payload p = Make(state.range(0));
  for (auto _ : state) e6data::reference::thrift_deserialize_only(p.bytes);
  report(state, p);
}

template <Payload (*Make)(std::int64_t)>
void BM_Memcpy(benchmark::State& state) {
  const Payload p = Make(state.range(0));
  std::string copy(p.bytes.size(), '\0');
  for (auto _ : state) {
    std::memcpy(copy.data(), p.bytes.data(), p.bytes.size());
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  report(state, p);
}

#define E6DATA_DECODE_BENCH(make)                                              \
  BENCHMARK(BM_Memcpy<make>)->Name("memcpy/" #make)->Arg(8192)->Arg(131072);   \
  BENCHMARK(BM_DecodeOurs<make>)->Name("ours/" #make)->Arg(8192)->Arg(131072); \
  BENCHMARK(BM_DecodeThriftLibrary<make>)->Name("thrift_library/" #make)->Arg(8192)->Arg(131072)

E6DATA_DECODE_BENCH(numeric_batch);
E6DATA_DECODE_BENCH(string_batch);
E6DATA_DECODE_BENCH(mixed_batch);

}  // namespace

BENCHMARK_MAIN();
