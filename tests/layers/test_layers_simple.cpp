#include <doctest/doctest.h>

#include "dlcam.h"
#include "layers/simple_layers.h"
#include "tests/support/gradcheck.h"
#include "tests/layers/layer_test_util.h"

using namespace dlcam;
using dlcam::test::infoOf;
using dlcam::test::expectClose;
using dlcam::test::randomArray;

namespace {

Array forwardOf(const Layer& layer, std::vector<Array> in, bool training = false, uint64_t seed = 0) {
  ForwardContext context;
  context.training = training;
  context.seed = seed;
  return layer.forward(in, context);
}

// inferOutput of the inputs' sizes equals the size and format forward produces.
void checkInfer(const Layer& layer, const std::vector<Array>& in) {
  std::vector<ActivationInfo> infos;
  for (const Array& x : in) infos.push_back(infoOf(x));
  CHECK(layer.inferOutput(infos) == infoOf(forwardOf(layer, in)));
}

}  // namespace

TEST_CASE("Softmax layer: forward equals softmax over C") {
  SoftmaxLayer layer("sm");
  CHECK(layer.type() == "Softmax");
  CHECK(layer.description() == "softmax");
  for (Array x : {randomArray({10, 3}, "CB", 1), randomArray({3, 5, 4, 2}, "SSCB", 2), randomArray({4, 2, 5}, "CBT", 3)}) {
    expectClose(forwardOf(layer, {x}).value(), softmax(x).value(), 0, 0, "softmax");
    checkInfer(layer, {x});
  }
  CHECK_THROWS_WITH_AS(forwardOf(layer, {randomArray({3, 4}, "SB", 1)}),
                       doctest::Contains("layer 'sm' (Softmax): expects input with a C dimension"), Error);
}

TEST_CASE("Dropout layer: identity at inference, dropout with a mask per seed in training") {
  DropoutLayer layer("drop", 0.3);
  CHECK(layer.type() == "Dropout");
  CHECK(layer.description() == "30% dropout");
  CHECK(DropoutLayer("d").probability() == 0.5);
  Array x = randomArray({6, 5, 3, 4}, "SSCB", 1, 0.5, 1);
  Array y = forwardOf(layer, {x});
  expectClose(y.value(), x.value(), 0, 0, "inference");
  checkInfer(layer, {x});

  Array t1 = forwardOf(layer, {x}, true, 7), t2 = forwardOf(layer, {x}, true, 8);
  CHECK(t1.shape() == x.shape());
  int64_t dropped = 0, differ = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = t1.value().at(i);
    if (v == 0) ++dropped;
    else CHECK(v == doctest::Approx(x.value().at(i) / 0.7));
    if ((v == 0) != (t2.value().at(i) == 0)) ++differ;
  }
  // 360 elements at p = 0.3: about 108 dropped; the bounds are > 5 standard deviations away.
  CHECK(dropped > 60);
  CHECK(dropped < 160);
  CHECK(differ > 0);  // another seed, another mask
  // The same seed gives the same mask; another layer name, another mask.
  expectClose(forwardOf(layer, {x}, true, 7).value(), t1.value(), 0, 0, "same seed");
  const Array other = forwardOf(DropoutLayer("drop2", 0.3), {x}, true, 7);
  int64_t otherDiffer = 0;
  for (int64_t i = 0; i < x.numel(); ++i) otherDiffer += (other.value().at(i) == 0) != (t1.value().at(i) == 0);
  CHECK(otherDiffer > 0);
  CHECK_THROWS_WITH_AS(DropoutLayer("d", 1.0), doctest::Contains("layer 'd' (Dropout): probability must be in [0, 1)"),
                       Error);
}

TEST_CASE("Addition layer: element-wise sum of equal-size inputs") {
  AdditionLayer layer("add", 3);
  CHECK(layer.type() == "Addition");
  CHECK(layer.description() == "Element-wise addition of 3 inputs");
  CHECK(layer.numInputs() == 3);
  Array a = randomArray({5, 3, 4, 2}, "SSCB", 1), b = randomArray({5, 3, 4, 2}, "SSCB", 2),
        c = randomArray({5, 3, 4, 2}, "SSCB", 3);
  expectClose(forwardOf(layer, {a, b, c}).value(), (a + b + c).value(), 1e-15, 0, "sum");
  checkInfer(layer, {a, b, c});

  // MATLAB's rule: no broadcasting, even where elementwise add would broadcast.
  AdditionLayer two("add2", 2);
  Array perChannel = randomArray({1, 1, 4, 2}, "SSCB", 4);
  CHECK_THROWS_WITH_AS(forwardOf(two, {a, perChannel}),
                       doctest::Contains("layer 'add2' (Addition): the inputs must have the same size and format, got "
                                         "input 1: 5(S) × 3(S) × 4(C) × 2(B) (\"SSCB\"), input 2: 1(S) × 1(S) × 4(C) × 2(B)"),
                       Error);
  CHECK_THROWS_WITH_AS(forwardOf(two, {randomArray({4, 2}, "CB", 1), randomArray({4, 2}, "CT", 1)}),
                       doctest::Contains("layer 'add2'"), Error);
  CHECK_THROWS_WITH_AS(forwardOf(two, {a}), doctest::Contains("layer 'add2' (Addition): expects 2 input(s), got 1"), Error);
  CHECK_THROWS_WITH_AS(AdditionLayer("a", 0), doctest::Contains("numInputs must be at least 1"), Error);
}

TEST_CASE("Depth concatenation layer: concatenates along C") {
  DepthConcatenationLayer layer("cat", 3);
  CHECK(layer.type() == "Depth concatenation");
  CHECK(layer.description() == "Depth concatenation of 3 inputs");
  Array a = randomArray({5, 3, 2, 2}, "SSCB", 1), b = randomArray({5, 3, 4, 2}, "SSCB", 2),
        c = randomArray({5, 3, 1, 2}, "SSCB", 3);
  Array y = forwardOf(layer, {a, b, c});
  CHECK(y.shape() == Shape{5, 3, 7, 2});
  expectClose(y.value(), concat({a, b, c}, 2).value(), 0, 0, "concat");
  checkInfer(layer, {a, b, c});
  DepthConcatenationLayer seq("cat2", 2);
  checkInfer(seq, {randomArray({3, 2, 5}, "CBT", 1), randomArray({2, 2, 5}, "CBT", 2)});

  CHECK_THROWS_WITH_AS(forwardOf(seq, {a, randomArray({5, 4, 2, 2}, "SSCB", 4)}),
                       doctest::Contains("layer 'cat2' (Depth concatenation): the inputs must have the same format and the "
                                         "same size in every dimension except C"),
                       Error);
  CHECK_THROWS_WITH_AS(forwardOf(seq, {randomArray({3, 2}, "SB", 1), randomArray({3, 2}, "SB", 1)}),
                       doctest::Contains("layer 'cat2' (Depth concatenation): expects input with a C"), Error);
}

TEST_CASE("Flatten layer: S dims and C become C") {
  FlattenLayer layer("flat");
  CHECK(layer.type() == "Flatten");
  CHECK(layer.description() == "Flatten");
  for (Array x : {randomArray({3, 5, 2, 4}, "SSCB", 1), randomArray({3, 2, 2, 2, 3}, "SSSCB", 2),
                  randomArray({3, 5, 2, 4, 3}, "SSCBT", 3), randomArray({6, 4}, "CB", 4), randomArray({6, 4, 2}, "CBT", 5)}) {
    CAPTURE(x.format().str());
    Array y = forwardOf(layer, {x});
    Array expected = flatten(x);
    CHECK(y.format() == expected.format());
    CHECK(y.shape() == expected.shape());
    expectClose(y.value(), expected.value(), 0, 0, "flatten");
    checkInfer(layer, {x});
  }
  CHECK(forwardOf(layer, {randomArray({3, 5, 2, 4}, "SSCB", 1)}).format().str() == "CB");
  CHECK_THROWS_WITH_AS(forwardOf(layer, {randomArray({3, 4}, "SB", 1)}),
                       doctest::Contains("layer 'flat' (Flatten): expects input with a C"), Error);
}
