#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "autodiff/conv.h"
#include "dlcam.h"
#include "kernels/cpu/reduce.h"
#include "tests/support/gradcheck.h"

using namespace dlcam;
using dlcam::test::checkGradients;
using dlcam::test::expectClose;
using dlcam::test::randomArray;
using dlcam::test::randomArray32;

namespace {

// A convolution spelled out for the reference: explicit padding only, sizes per spatial dim.
struct Ref {
  std::vector<int64_t> in, k, stride, dil, before, after;
  int64_t C = 1, B = 1, F = 1, G = 1;
};

ConvOptions options(const Ref& r) {
  ConvOptions o;
  o.stride = r.stride;
  o.dilation = r.dil;
  o.padding = ConvPadding::explicitPad(r.before, r.after);
  o.groups = r.G;
  return o;
}

// Direct loop nest: x [in…, C, B], w [k…, C/G, F] → [out…, F, B], straight from
// out(o, f, b) = bias(f) + Σ_{c in f's group, taps} x(o·stride − before + tap·dilation, c, b) · w(tap, c, f).
Tensor naiveConv(const Ref& r, const Tensor& x, const Tensor& w, const Tensor& bias) {
  const size_t nd = r.in.size();
  int64_t I[3] = {1, 1, 1}, K[3] = {1, 1, 1}, S[3] = {1, 1, 1}, D[3] = {1, 1, 1}, PB[3] = {0, 0, 0}, O[3] = {1, 1, 1};
  for (size_t a = 0; a < nd; ++a) {
    I[a] = r.in[a];
    K[a] = r.k[a];
    S[a] = r.stride.empty() ? 1 : r.stride[a];
    D[a] = r.dil.empty() ? 1 : r.dil[a];
    PB[a] = r.before.empty() ? 0 : r.before[a];
    const int64_t PA = r.after.empty() ? 0 : r.after[a];
    O[a] = (I[a] + PB[a] + PA - (K[a] - 1) * D[a] - 1) / S[a] + 1;
  }
  std::vector<int64_t> dims(O, O + nd);
  dims.push_back(r.F);
  dims.push_back(r.B);
  Tensor out(Shape(dims), DType::Float64);
  double* o = out.data<double>();
  const int64_t Cg = r.C / r.G, Fg = r.F / r.G;
  for (int64_t b = 0; b < r.B; ++b)
    for (int64_t f = 0; f < r.F; ++f)
      for (int64_t o3 = 0; o3 < O[2]; ++o3)
        for (int64_t o2 = 0; o2 < O[1]; ++o2)
          for (int64_t o1 = 0; o1 < O[0]; ++o1) {
            double acc = bias.defined() ? bias.at(f) : 0.0;
            for (int64_t cg = 0; cg < Cg; ++cg)
              for (int64_t k3 = 0; k3 < K[2]; ++k3)
                for (int64_t k2 = 0; k2 < K[1]; ++k2)
                  for (int64_t k1 = 0; k1 < K[0]; ++k1) {
                    const int64_t i1 = o1 * S[0] - PB[0] + k1 * D[0];
                    const int64_t i2 = o2 * S[1] - PB[1] + k2 * D[1];
                    const int64_t i3 = o3 * S[2] - PB[2] + k3 * D[2];
                    if (i1 < 0 || i1 >= I[0] || i2 < 0 || i2 >= I[1] || i3 < 0 || i3 >= I[2]) continue;
                    const int64_t c = (f / Fg) * Cg + cg;
                    acc += x.at(i1 + I[0] * (i2 + I[1] * (i3 + I[2] * (c + r.C * b)))) *
                           w.at(k1 + K[0] * (k2 + K[1] * (k3 + K[2] * (cg + Cg * f))));
                  }
            o[o1 + O[0] * (o2 + O[1] * (o3 + O[2] * (f + r.F * b)))] = acc;
          }
  return out;
}

Shape inputShape(const Ref& r) {
  std::vector<int64_t> d = r.in;
  d.push_back(r.C);
  d.push_back(r.B);
  return Shape(d);
}

Shape weightShape(const Ref& r) {
  std::vector<int64_t> d = r.k;
  d.push_back(r.C / r.G);
  d.push_back(r.F);
  return Shape(d);
}

std::string spatialFormat(const Ref& r) { return std::string(r.in.size(), 'S') + "CB"; }

// Runs conv on random float64 inputs and compares with the loop nest; returns the inputs.
void checkForward(const Ref& r, bool withBias, const ConvOptions& o, unsigned seed) {
  Array x = randomArray(inputShape(r), spatialFormat(r), seed);
  Array w = randomArray(weightShape(r), "", seed + 1);
  Array b = withBias ? randomArray({r.F}, "", seed + 2) : Array();
  Array y = conv(x, w, b, o);
  CHECK(y.format() == x.format());
  expectClose(y.value(), naiveConv(r, x.value(), w.value(), b.value()), 1e-12, 1e-12, "conv vs loop nest");
}

// Permutes a "CBT" tensor [C, B, T] to the reference's spatial layout [T, C, B], and back.
Tensor cbtToTcb(const Tensor& t) {
  const int64_t C = t.shape()[0], B = t.shape()[1], T = t.shape()[2];
  Tensor out({T, C, B}, DType::Float64);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = 0; s < T; ++s) out.data<double>()[s + T * (c + C * b)] = t.at(c + C * (b + B * s));
  return out;
}

double dot(const Tensor& a, const Tensor& b) {
  REQUIRE(a.numel() == b.numel());
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += a.at(i) * b.at(i);
  return s;
}

}  // namespace

TEST_CASE("Conv forward 1-D, 2-D, 3-D against a loop nest: stride, dilation, asymmetric padding, groups") {
  {
    INFO("1-D, stride 2, dilation 2, padding 1/2, bias");
    Ref r{{11}, {3}, {2}, {2}, {1}, {2}, 3, 2, 4, 1};
    checkForward(r, true, options(r), 1);
  }
  {
    INFO("2-D, groups 2, stride 2x1, dilation 1x2, padding [1 0]/[2 1], bias");
    Ref r{{9, 7}, {3, 2}, {2, 1}, {1, 2}, {1, 0}, {2, 1}, 4, 3, 6, 2};
    checkForward(r, true, options(r), 2);
  }
  {
    INFO("3-D, stride, dilation, padding, no bias");
    Ref r{{5, 6, 7}, {2, 3, 2}, {1, 2, 2}, {2, 1, 1}, {1, 1, 0}, {0, 1, 1}, 2, 2, 3, 1};
    checkForward(r, false, options(r), 3);
  }
  {
    INFO("2-D depthwise (groups = C = 5, two filters per channel), padding 1");
    Ref r{{8, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 5, 2, 10, 5};
    checkForward(r, true, options(r), 4);
  }
  {
    INFO("2-D 1x1 kernel, stride 1, no padding (the pointwise path), bias, groups 1 and 3");
    Ref r{{6, 5}, {1, 1}, {}, {}, {}, {}, 6, 3, 9, 1};
    checkForward(r, true, options(r), 5);
    r.G = 3;
    checkForward(r, true, options(r), 6);
  }
  {
    INFO("2-D 1x1 kernel with stride 2 (not pointwise)");
    Ref r{{7, 6}, {1, 1}, {2, 2}, {}, {}, {}, 3, 2, 4, 1};
    checkForward(r, false, options(r), 7);
  }
  {
    INFO("a single stride/padding value applies to every dim");
    Ref r{{7, 6, 5}, {3, 2, 2}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 2, 2, 3, 1};
    ConvOptions o;
    o.stride = {2};
    o.padding = ConvPadding::explicitPad({1}, {1});
    checkForward(r, true, o, 8);
  }
  {
    INFO("3-D with 12 channels and groups 3, batch 3");
    Ref r{{4, 5, 3}, {3, 1, 2}, {1, 1, 1}, {1, 1, 2}, {1, 0, 1}, {1, 0, 1}, 12, 3, 6, 3};
    checkForward(r, true, options(r), 9);
  }
}

TEST_CASE("Conv forward: 'same' padding puts the odd one at the end, as MATLAB") {
  ConvOptions o;
  o.padding = ConvPadding::same();
  o.stride = {2};
  {
    INFO("odd 3x3 kernel, stride 2 on 9x8: out 5x4; padding dim 1: total 2 → 1/1, dim 2: total 1 → 0/1");
    Ref r{{9, 8}, {3, 3}, {2, 2}, {}, {1, 0}, {1, 1}, 3, 2, 4, 1};
    Array x = randomArray(inputShape(r), "SSCB", 11);
    Array w = randomArray(weightShape(r), "", 12);
    Array y = conv(x, w, Array(), o);
    CHECK(y.shape() == Shape{5, 4, 4, 2});
    expectClose(y.value(), naiveConv(r, x.value(), w.value(), Tensor()), 1e-12, 1e-12, "same, odd kernel");
  }
  {
    INFO("even 4x2 kernel, stride 2 on 9x8: out 5x4; dim 1: total 3 → 1/2, dim 2: total 0");
    Ref r{{9, 8}, {4, 2}, {2, 2}, {}, {1, 0}, {2, 0}, 3, 2, 4, 1};
    Array x = randomArray(inputShape(r), "SSCB", 13);
    Array w = randomArray(weightShape(r), "", 14);
    Array y = conv(x, w, Array(), o);
    CHECK(y.shape() == Shape{5, 4, 4, 2});
    expectClose(y.value(), naiveConv(r, x.value(), w.value(), Tensor()), 1e-12, 1e-12, "same, even kernel");
  }
  {
    INFO("1-D, stride 1, kernel 3 with dilation 2 on 7: total 4 → 2/2, output 7");
    Ref r{{7}, {3}, {1}, {2}, {2}, {2}, 2, 3, 2, 1};
    ConvOptions od;
    od.padding = ConvPadding::same();
    od.dilation = {2};
    Array x = randomArray(inputShape(r), "SCB", 15);
    Array w = randomArray(weightShape(r), "", 16);
    Array y = conv(x, w, Array(), od);
    CHECK(y.shape() == Shape{7, 2, 3});
    expectClose(y.value(), naiveConv(r, x.value(), w.value(), Tensor()), 1e-12, 1e-12, "same, dilated");
  }
  {
    INFO("stride [2 1] on 10x5 (strided im2col copies of consecutive rows merge): padding 0/1, 1/1");
    Ref r{{10, 5}, {3, 3}, {2, 1}, {}, {0, 1}, {1, 1}, 2, 2, 3, 1};
    Array x = randomArray(inputShape(r), "SSCB", 19);
    Array w = randomArray(weightShape(r), "", 20);
    Array y = conv(x, w, Array(), {.stride = {2, 1}, .padding = ConvPadding::same()});
    CHECK(y.shape() == Shape{5, 5, 3, 2});
    expectClose(y.value(), naiveConv(r, x.value(), w.value(), Tensor()), 1e-12, 1e-12, "same, stride [2 1]");
  }
  {
    INFO("3-D, stride 1, kernel 3x2x3 on 5x4x3: padding 1/1, 0/1, 1/1, output 5x4x3");
    Ref r{{5, 4, 3}, {3, 2, 3}, {1, 1, 1}, {}, {1, 0, 1}, {1, 1, 1}, 2, 2, 3, 1};
    Array x = randomArray(inputShape(r), "SSSCB", 17);
    Array w = randomArray(weightShape(r), "", 18);
    Array y = conv(x, w, Array(), {.padding = ConvPadding::same()});
    CHECK(y.shape() == Shape{5, 4, 3, 3, 2});
    expectClose(y.value(), naiveConv(r, x.value(), w.value(), Tensor()), 1e-12, 1e-12, "same, 3-D");
  }
}

TEST_CASE("Conv forward on sequences: 'causal' padding over T, CBT and CT") {
  ConvOptions o;
  o.padding = ConvPadding::causal();
  o.dilation = {2};
  // Kernel 3, dilation 2: 4 zeros before, none after, output length = input length.
  Ref r{{10}, {3}, {1}, {2}, {4}, {0}, 3, 2, 4, 1};
  Array x = randomArray({3, 2, 10}, "CBT", 21);
  Array w = randomArray({3, 3, 4}, "", 22);
  Array b = randomArray({4}, "", 23);
  Array y = conv(x, w, b, o);
  CHECK(y.format().str() == "CBT");
  CHECK(y.shape() == Shape{4, 2, 10});
  expectClose(cbtToTcb(y.value()), naiveConv(r, cbtToTcb(x.value()), w.value(), b.value()), 1e-12, 1e-12, "CBT");

  // Output t depends only on inputs ≤ t: changing the last step changes only the last output.
  Tensor x2 = x.value().clone();
  x2.data<double>()[0 + 3 * (0 + 2 * 9)] += 1.0;
  Array y2 = conv(Array(x2, "CBT"), w, b, o);
  for (int64_t t = 0; t < 9; ++t)
    for (int64_t i = 0; i < 8; ++i) CHECK(y2.value().at(i + 8 * t) == y.value().at(i + 8 * t));

  // "CT": one sequence without a B dim.
  Array xs = randomArray({2, 9}, "CT", 24);
  Array ws = randomArray({2, 2, 3}, "", 25);
  Array ys = conv(xs, ws, Array(), o);
  CHECK(ys.format().str() == "CT");
  CHECK(ys.shape() == Shape{3, 9});
  Ref rs{{9}, {2}, {1}, {2}, {2}, {0}, 2, 1, 3, 1};
  Tensor xsT = cbtToTcb(xs.value().reshaped({2, 1, 9}));
  Tensor expect = naiveConv(rs, xsT, ws.value(), Tensor());  // [T, F, 1]
  expectClose(cbtToTcb(ys.value().reshaped({3, 1, 9})), expect, 1e-12, 1e-12, "CT");
}

TEST_CASE("Conv forward without a B dim and with zero-sized batch or channels") {
  Array x = randomArray({6, 5, 3}, "SSC", 31);
  Array w = randomArray({3, 3, 3, 2}, "", 32);
  Array y = conv(x, w, Array(), {});
  CHECK(y.format().str() == "SSC");
  CHECK(y.shape() == Shape{4, 3, 2});
  Ref r{{6, 5}, {3, 3}, {}, {}, {}, {}, 3, 1, 2, 1};
  expectClose(y.value(), naiveConv(r, x.value().reshaped({6, 5, 3, 1}), w.value(), Tensor()).reshaped({4, 3, 2}),
              1e-12, 1e-12, "SSC");

  Array empty(Tensor({6, 5, 3, 0}, DType::Float64), "SSCB");
  CHECK(conv(empty, w, Array(), {}).shape() == Shape{4, 3, 2, 0});
  // No channels: the output is the bias.
  Array noC(Tensor({6, 5, 0, 2}, DType::Float64), "SSCB");
  Array b = randomArray({2}, "", 33);
  Array yb = conv(noC, Array(Tensor({3, 3, 0, 2}, DType::Float64)), b, {});
  REQUIRE(yb.shape() == Shape{4, 3, 2, 2});
  CHECK(yb.value().at(5) == b.value().at(0));
  CHECK(yb.value().at(12 + 5) == b.value().at(1));
}

TEST_CASE("Conv forward propagates NaN") {
  Tensor t = randomArray({5, 5, 2, 1}, "SSCB", 41).value();
  t.data<double>()[2 + 5 * 2] = std::numeric_limits<double>::quiet_NaN();  // centre of channel 0
  Array y = conv(Array(t, "SSCB"), randomArray({3, 3, 2, 1}, "", 42), Array(), {});
  for (int64_t i = 0; i < 9; ++i) CHECK(std::isnan(y.value().at(i)));  // every 3x3 output sees the centre
}

TEST_CASE("Conv float32 matches float64") {
  Ref r{{13, 11}, {3, 3}, {2, 1}, {1, 2}, {1, 2}, {2, 1}, 6, 3, 8, 2};
  Array x = randomArray(inputShape(r), "SSCB", 51), x32 = randomArray32(inputShape(r), "SSCB", 51);
  Array w = randomArray(weightShape(r), "", 52), w32 = randomArray32(weightShape(r), "", 52);
  Array b = randomArray({8}, "", 53), b32 = randomArray32({8}, "", 53);
  Array y64 = conv(x, w, b, options(r)), y32 = conv(x32, w32, b32, options(r));
  CHECK(y32.dtype() == DType::Float32);
  expectClose(y32.value().to(DType::Float64), y64.value(), 1e-5, 1e-5, "float32 vs float64");
}

TEST_CASE("Conv backward against finite differences") {
  auto check = [](const Ref& r, const ConvOptions& o, bool withBias, unsigned seed) {
    Array x = randomArray(inputShape(r), spatialFormat(r), seed);
    Array w = randomArray(weightShape(r), "", seed + 1);
    std::vector<Array> in = {x, w};
    if (withBias) in.push_back(randomArray({r.F}, "", seed + 2));
    checkGradients([&](const std::vector<Array>& v) { return conv(v[0], v[1], v.size() > 2 ? v[2] : Array(), o); },
                   in);
  };
  {
    INFO("1-D, stride 2, dilation 2, padding 2/1, bias");
    Ref r{{9}, {3}, {2}, {2}, {2}, {1}, 2, 2, 3, 1};
    check(r, options(r), true, 61);
  }
  {
    INFO("2-D, groups 2, stride 2x1, dilation 1x2, padding [1 0]/[1 2]");
    Ref r{{7, 6}, {3, 2}, {2, 1}, {1, 2}, {1, 0}, {1, 2}, 4, 2, 4, 2};
    check(r, options(r), true, 62);
  }
  {
    INFO("3-D, stride, dilation, padding");
    Ref r{{5, 4, 3}, {2, 2, 2}, {2, 1, 1}, {1, 2, 1}, {1, 0, 1}, {0, 1, 0}, 2, 2, 2, 1};
    check(r, options(r), true, 63);
  }
  {
    INFO("2-D depthwise, 'same' padding, stride 2");
    Ref r{{5, 5}, {3, 3}, {}, {}, {}, {}, 3, 2, 6, 3};
    ConvOptions o;
    o.padding = ConvPadding::same();
    o.stride = {2};
    o.groups = 3;
    check(r, o, true, 64);
  }
  {
    INFO("3-D 'same', stride 1 (rows of the im2col copies merge)");
    Ref r{{4, 3, 3}, {3, 3, 2}, {}, {}, {}, {}, 2, 2, 2, 1};
    check(r, {.padding = ConvPadding::same()}, true, 68);
  }
  {
    INFO("2-D 'same', stride [2 1] on an even height (strided copies merge)");
    Ref r{{10, 5}, {3, 3}, {}, {}, {}, {}, 2, 2, 2, 1};
    check(r, {.stride = {2, 1}, .padding = ConvPadding::same()}, true, 69);
  }
  {
    INFO("2-D pointwise 1x1, batch 3");
    Ref r{{5, 3}, {1, 1}, {}, {}, {}, {}, 4, 3, 3, 1};
    check(r, options(r), true, 65);
  }
  {
    INFO("causal 1-D on CBT, no bias");
    ConvOptions o;
    o.padding = ConvPadding::causal();
    o.dilation = {2};
    checkGradients([&](const std::vector<Array>& v) { return conv(v[0], v[1], Array(), o); },
                   {randomArray({3, 2, 7}, "CBT", 66), randomArray({3, 3, 2}, "", 67)});
  }
}

TEST_CASE("Conv backward on large tiled inputs: adjoint identities") {
  // Large enough that the im2col matrix is built in several tiles; batch 1 (threads inside
  // each GEMM) and batch 2 (threads over samples). conv is linear in x and in w, so
  // <conv(x, w), g> = <x, dL/dx> = <w, dL/dw>, and dL/db = Σ g.
  for (int64_t batch : {1, 2}) {
    CAPTURE(batch);
    Ref r{{40, 37}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 64, batch, 5, 1};
    Array x = randomArray(inputShape(r), "SSCB", 71);
    Array w = randomArray(weightShape(r), "", 72);
    Array b = randomArray({5}, "", 73);
    Array y0 = conv(x, w, Array(), options(r));
    expectClose(y0.value(), naiveConv(r, x.value(), w.value(), Tensor()), 1e-12, 1e-11, "tiled forward");

    Tensor g = randomArray(y0.shape(), "", 74).value();
    Tape tape;
    tape.watch(x);
    tape.watch(w);
    tape.watch(b);
    Array s = sum(multiply(conv(x, w, b, options(r)), Array(g, y0.format())));
    std::vector<Array> grads = tape.gradient(s, {x, w, b});
    const double expected = dot(y0.value(), g);
    CHECK(dot(x.value(), grads[0].value()) == doctest::Approx(expected).epsilon(1e-10));
    CHECK(dot(w.value(), grads[1].value()) == doctest::Approx(expected).epsilon(1e-10));
    Tensor gsum = kernels::cpu::sum(g, {0, 1, 3});
    expectClose(grads[2].value(), gsum.reshaped({5}), 1e-10, 1e-10, "bias gradient");
  }
}

TEST_CASE("Conv gradients honour what was watched") {
  Ref r{{6, 5}, {3, 3}, {2, 1}, {1, 1}, {1, 1}, {0, 1}, 4, 2, 4, 2};
  Array x = randomArray(inputShape(r), "SSCB", 81);
  Array w = randomArray(weightShape(r), "", 82);
  Array b = randomArray({4}, "", 83);
  auto loss = [&](const Array& xv, const Array& wv, const Array& bv) {
    Array y = conv(xv, wv, bv, options(r));
    return sum(multiply(y, y));
  };
  std::vector<Array> all;
  {
    Tape tape;
    Array xa = x, wa = w, ba = b;
    tape.watch(xa);
    tape.watch(wa);
    tape.watch(ba);
    all = tape.gradient(loss(xa, wa, ba), {xa, wa, ba});
  }
  {
    INFO("only x watched: the weights are constants, and their gradient is never formed");
    Tape tape;
    Array xa = x;
    tape.watch(xa);
    expectClose(tape.gradient(loss(xa, w, b), xa).value(), all[0].value(), 1e-12, 1e-12, "dx");
  }
  {
    INFO("only the weights watched");
    Tape tape;
    Array wa = w;
    tape.watch(wa);
    expectClose(tape.gradient(loss(x, wa, b), wa).value(), all[1].value(), 1e-12, 1e-12, "dw");
  }
  {
    INFO("all watched, only the bias asked for");
    Tape tape;
    Array xa = x, wa = w, ba = b;
    tape.watch(xa);
    tape.watch(wa);
    tape.watch(ba);
    expectClose(tape.gradient(loss(xa, wa, ba), ba).value(), all[2].value(), 1e-12, 1e-12, "db");
  }
}

TEST_CASE("Conv rejects bad inputs with clear messages") {
  Array x = randomArray32({8, 8, 6, 2}, "SSCB", 91);
  auto w = [](std::initializer_list<int64_t> s) { return Array(Tensor(Shape(s))); };
  auto withGroups = [](int64_t g) {
    ConvOptions o;
    o.groups = g;
    return o;
  };
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 4, 8}), Array()), doctest::Contains("C = 6 channels"), Error);
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 4, 8}), Array()), doctest::Contains("3x3x4x8"), Error);
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 3, 5}), Array(), withGroups(2)),
                       doctest::Contains("F = 5 filters"), Error);
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 1, 8}), Array(), withGroups(4)),
                       doctest::Contains("C = 6 channels, which is not divisible by groups = 4"), Error);
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 6, 8}), Array(), withGroups(0)), doctest::Contains("groups"), Error);
  CHECK_THROWS_WITH_AS(conv(x, w({9, 3, 6, 8}), Array()), doctest::Contains("larger than the padded input"), Error);
  ConvOptions dilated;
  dilated.dilation = {4};
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 6, 8}), Array(), dilated), doctest::Contains("spanning 9"), Error);

  ConvOptions o;
  o.stride = {0};
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 6, 8}), Array(), o), doctest::Contains("stride must be positive"), Error);
  o.stride = {1, 2, 1};
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 6, 8}), Array(), o), doctest::Contains("stride needs 1 or 2 values"),
                       Error);
  o.stride = {};
  o.dilation = {1, -1};
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 6, 8}), Array(), o), doctest::Contains("dilation must be positive"), Error);
  o.dilation = {};
  o.padding = ConvPadding::causal();
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 6, 8}), Array(), o), doctest::Contains("causal padding is for 1-D"), Error);
  o.padding = ConvPadding::explicitPad({1, -1}, {});
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 6, 8}), Array(), o), doctest::Contains("must not be negative"), Error);
  o.padding = ConvPadding::same();
  o.padding.before = {1};
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 6, 8}), Array(), o), doctest::Contains("compute their own amounts"), Error);

  CHECK_THROWS_WITH_AS(conv(Array(Tensor({6, 2}), "CB"), w({3, 6, 8}), Array()),
                       doctest::Contains("needs 1 to 3 S dims"), Error);
  CHECK_THROWS_WITH_AS(conv(Array(Tensor({6, 2})), w({3, 6, 8}), Array()), doctest::Contains("\"UU\""), Error);
  CHECK_THROWS_WITH_AS(conv(Array(Tensor({8, 8, 2}), "SSB"), w({3, 3, 1, 8}), Array()),
                       doctest::Contains("needs a C dim"), Error);
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 6, 8, 2}), Array()), doctest::Contains("got 3x3x6x8x2"), Error);
  CHECK_THROWS_WITH_AS(conv(x, w({3, 3, 6, 8}), w({7})), doctest::Contains("bias needs F = 8"), Error);
  CHECK_THROWS_WITH_AS(conv(x, Array(Tensor({3, 3, 6, 8}, DType::Float64)), Array()),
                       doctest::Contains("same dtype"), Error);
  // Trailing singleton weight dims may be dropped, as MATLAB does: 3x3x6 is 3x3x6x1.
  CHECK(conv(x, w({3, 3, 6}), Array()).shape() == Shape{6, 6, 1, 2});
}
