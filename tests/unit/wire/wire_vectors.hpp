#pragma once
// Loads the public wire test vectors (shared/testdata/wire/index.json) for parameterized tests.

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace e6data::testing {

struct WireVector {
  std::string group;  // chunks | metadata | malformed
  std::string name;
  std::string bin;    // payload bytes
  nlohmann::json spec;  // the vector's JSON file

  friend std::ostream& operator<<(std::ostream& out, const WireVector& v) { return out << v.name; }
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::vector<WireVector> load_wire_vectors(const std::string& group) {
  const std::string dir = E6DATA_WIRE_VECTORS_DIR;
  const auto index = nlohmann::json::parse(read_file(dir + "/index.json"));
  std::vector<WireVector> out;
  for (const auto& entry : index.at("vectors")) {
    if (entry.at("group") != group) continue;
    WireVector v;
    v.group = group;
    v.name = entry.at("name").get<std::string>();
    v.bin = read_file(dir + "/" + entry.at("bin").get<std::string>());
    v.spec = nlohmann::json::parse(read_file(dir + "/" + entry.at("json").get<std::string>()));
    if (v.bin.size() != entry.at("bin_size").get<std::size_t>()) {
      throw std::runtime_error("size mismatch for vector " + v.name);
    }
    out.push_back(std::move(v));
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
