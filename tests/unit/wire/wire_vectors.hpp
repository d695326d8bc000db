#pragma once
// Loads the public wire test vectors (shared/testdata/wire/index.json) for parameterized tests.

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace e6data::testing {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One vector of index.json. Its files are read when a test asks for them, so that registering
// the tests of a binary (which CTest does once per test process) stays cheap.
struct WireVector {
  std::string group;  // chunks | metadata | malformed
  std::string name;
  std::string bin_path;
  std::string json_path;
  std::size_t bin_size = 0;

  std::string bin() const {
    std::string bytes = read_file(bin_path);
    if (bytes.size() != bin_size) throw std::runtime_error("size mismatch for vector " + name);
    return bytes;
  }
  nlohmann::json spec() const { return nlohmann::json::parse(read_file(json_path)); }

  friend std::ostream& operator<<(std::ostream& out, const WireVector& v) { return out << v.name; }
};

inline std::vector<WireVector> load_wire_vectors(const std::string& group) {
  const std::string dir = E6DATA_WIRE_VECTORS_DIR;
  const auto index = nlohmann::json::parse(read_file(dir + "/index.json"));
  std::vector<WireVector> out;
  for (const auto& entry : index.at("vectors")) {
    if (entry.at("group") != group) continue;
    out.push_back(
        {group, entry.at("name").get<std::string>(), dir + "/" + entry.at("bin").get<std::string>(),
         dir + "/" + entry.at("json").get<std::string>(), entry.at("bin_size").get<std::size_t>()});
  }
  if (out.empty()) throw std::runtime_error("no wire vectors in group " + group);
  return out;
}

inline std::string vector_test_name(const ::testing::TestParamInfo<WireVector>& info) {
  std::string name;
  for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : 'X';
  return name;
}

}  // namespace e6data::testing
