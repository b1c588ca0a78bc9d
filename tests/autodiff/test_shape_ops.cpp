#include <doctest/doctest.h>

#include "autodiff/shape_ops.h"
#include "dlcam.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::checkGradients;
using dlcam::test::randomArray;

TEST_CASE("concat along C and along B, with gradients") {
  Array a = randomArray({3, 2, 2, 2}, "SSCB", 1), b = randomArray({3, 2, 3, 2}, "SSCB", 2);
  Array c = concat({a, b}, 2);
  REQUIRE(c.shape() == Shape{3, 2, 5, 2});
  // c(h, w, ch, n): channels 0-1 from a, 2-4 from b.
  CHECK(c.value().at(1 + 3 * (1 + 2 * (3 + 5 * 1))) == b.value().at(1 + 3 * (1 + 2 * (1 + 3 * 1))));
  CHECK(c.value().at(2 + 3 * (0 + 2 * (1 + 5 * 0))) == a.value().at(2 + 3 * (0 + 2 * (1 + 2 * 0))));
  checkGradients([](const std::vector<Array>& v) { return concat({v[0], v[1], v[0]}, 2); }, {a, b});
  checkGradients([](const std::vector<Array>& v) { return concat({v[0], v[1]}, 2); },
                 {randomArray({2, 3, 1}, "CBT", 3), randomArray({2, 3, 1}, "CBT", 4)});
  CHECK_THROWS_WITH_AS(concat({a, b}, 3), doctest::Contains("differ in dimension 2"), Error);
  CHECK_THROWS_WITH_AS(concat({a, randomArray({3, 2}, "CB", 5)}, 0), doctest::Contains("same format"), Error);
}

TEST_CASE("flatten, reshape and relabel keep column-major order") {
  Array x = randomArray({2, 3, 4, 5}, "SSCB", 1);
  Array f = flatten(x);
  CHECK(f.format().str() == "CB");
  CHECK(f.shape() == Shape{24, 5});
  CHECK(f.value().at(7 + 24 * 3) == x.value().at(7 + 24 * 3));
  Array r = reshape(x, Shape{6, 4, 5}, "SCB");
  CHECK(r.format().str() == "SCB");
  checkGradients([](const std::vector<Array>& v) { return flatten(v[0]) * 2.0; }, {x});
  CHECK_THROWS_WITH_AS(reshape(x, Shape{7, 4, 5}, "SCB"), doctest::Contains("120 elements"), Error);
  CHECK_THROWS_WITH_AS(reshape(x, Shape{6, 4, 5}, "BCS"), doctest::Contains("canonical"), Error);
  CHECK(relabel(randomArray({3, 4}, "", 2), "CB").format().str() == "CB");
}

TEST_CASE("permute against index arithmetic, and its gradient") {
  Array x = randomArray({2, 3, 4}, "", 1);
  Array p = permute(x, {2, 0, 1});
  REQUIRE(p.shape() == Shape{4, 2, 3});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) CHECK(p.value().at(k + 4 * (i + 2 * j)) == x.value().at(i + 2 * (j + 3 * k)));
  checkGradients([](const std::vector<Array>& v) { return permute(v[0], {1, 2, 0}); }, {x});
  Array img = randomArray({2, 3, 2, 1}, "SSCB", 2);
  CHECK(permute(img, {1, 0, 2, 3}).shape() == Shape{3, 2, 2, 1});
  CHECK_THROWS_WITH_AS(permute(img, {2, 1, 0, 3}), doctest::Contains("not canonical"), Error);
  CHECK_THROWS_WITH_AS(permute(img, {0, 0, 2, 3}), doctest::Contains("appears twice"), Error);
}

TEST_CASE("index, selectChannels and element select values and scatter gradients back") {
  Array x = randomArray({3, 4, 2}, "SCB", 1);
  Array s = selectChannels(x, {3, 1, 3});
  REQUIRE(s.shape() == Shape{3, 3, 2});
  CHECK(s.value().at(2 + 3 * (0 + 3 * 1)) == x.value().at(2 + 3 * (3 + 4 * 1)));
  checkGradients([](const std::vector<Array>& v) { return selectChannels(v[0], {3, 1, 3}); }, {x});
  Array e = element(x, 17);
  CHECK(e.numel() == 1);
  CHECK(e.item() == x.value().at(17));
  checkGradients([](const std::vector<Array>& v) { return element(v[0], 17); }, {x});
  CHECK_THROWS_WITH_AS(element(x, 24), doctest::Contains("out of range"), Error);
  CHECK_THROWS_WITH_AS(selectChannels(x, {4}), doctest::Contains("index 4 is out of range for dimension 1 ('C', size 4)"), Error);
  CHECK_THROWS_WITH_AS(index(x, 3, {0}), doctest::Contains("dimension 3 is out of range"), Error);
}
