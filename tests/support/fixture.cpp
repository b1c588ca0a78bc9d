#include "tests/support/fixture.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <span>
#include <sstream>

#include "core/error.h"

namespace dlcam::test {

Tensor FixtureTensor::columnMajor() const {
  return Tensor::fromValues(Shape(std::vector<int64_t>(dims.rbegin(), dims.rend())),
                            std::span<const double>(values), DType::Float64);
}

std::vector<int64_t> FixtureTensor::ints() const {
  std::vector<int64_t> out;
  for (double v : values) {
    if (v != std::round(v)) fail("FixtureTensor::ints: expected integral values, got ", v);
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

double FixtureTensor::scalar() const {
  if (values.size() != 1) fail("FixtureTensor::scalar: expected one value, got ", values.size());
  return values[0];
}

const FixtureTensor& FixtureCase::operator[](const std::string& tensor) const {
  auto it = tensors_.find(tensor);
  if (it == tensors_.end()) fail("fixture case '", name_, "': expected a tensor '", tensor, "', found none");
  return it->second;
}

void FixtureCase::add(const std::string& tensor, FixtureTensor value) {
  if (!tensors_.emplace(tensor, std::move(value)).second)
    fail("fixture case '", name_, "': expected one tensor '", tensor, "', found two");
}

const FixtureCase& Fixture::operator[](const std::string& caseName) const {
  auto it = cases_.find(caseName);
  if (it == cases_.end()) fail("fixture: expected a case '", caseName, "', found none");
  return it->second;
}

Fixture Fixture::read(const std::string& path) {
  std::ifstream file(path);
  if (!file) fail("Fixture::read: expected a readable file, got '", path, "'");
  Fixture fixture;
  FixtureCase* current = nullptr;
  std::string line;
  for (int lineNo = 1; std::getline(file, line); ++lineNo) {
    std::istringstream in(line);
    std::string word;
    if (!(in >> word) || word[0] == '#') continue;
    auto bad = [&](const char* expected) {
      fail("Fixture::read: ", path, ":", lineNo, ": expected ", expected, ", got '", line.substr(0, 60), "'");
    };
    if (word == "case") {
      std::string name;
      if (!(in >> name)) bad("a case name");
      auto [it, added] = fixture.cases_.emplace(name, FixtureCase(name));
      if (!added) bad("a case name not used before");
      current = &it->second;
      continue;
    }
    if (!current) bad("'case <name>' before the first tensor");
    FixtureTensor t;
    int rank = -1;
    if (!(in >> rank) || rank < 0) bad("<name> <rank> <dims...> <values...>");
    int64_t count = 1;
    for (int d = 0; d < rank; ++d) {
      int64_t size = -1;
      if (!(in >> size) || size < 0) bad("a non-negative size for each of <rank> dims");
      t.dims.push_back(size);
      count *= size;
    }
    // strtod, not operator>>, so that inf and nan (as repr() writes them) are read.
    std::string token;
    while (in >> token) {
      char* end = nullptr;
      double v = std::strtod(token.c_str(), &end);
      if (end != token.c_str() + token.size()) bad("numbers");
      t.values.push_back(v);
    }
    if (static_cast<int64_t>(t.values.size()) != count) bad("as many values as the dims hold");
    current->add(word, std::move(t));
  }
  return fixture;
}

}  // namespace dlcam::test
