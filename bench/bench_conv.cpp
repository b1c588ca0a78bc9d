// Convolution throughput against its ceiling: Eigen's own float GEMM of the same M×K×N.
//
// conv2d by im2col is one GEMM per sample, Out(P×F) = Cols(P×K)·W(K×F) with P = output
// positions and K = 3·3·C, so a GEMM of that shape bounds what the convolution can reach.
// Run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true for medians.

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <random>

#include "autodiff/conv.h"
#include "kernels/cpu/conv.h"

namespace {

using namespace dlcam;

Tensor randomTensor(Shape shape, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t = Tensor::empty(std::move(shape), DType::Float32);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(gen);
  return t;
}

void setGflops(benchmark::State& state, double flopsPerIteration) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flopsPerIteration / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// 3×3 convolution, padding 1, stride 1: hw×hw×c×batch → hw×hw×f×batch.
struct Conv3x3 {
  Array x, w, b;
  ConvOptions options;
  double flops;
  Conv3x3(int64_t hw, int64_t c, int64_t f, int64_t batch)
      : x(randomTensor({hw, hw, c, batch}, 1), "SSCB"),
        w(randomTensor({3, 3, c, f}, 2)),
        b(randomTensor({f}, 3)),
        flops(2.0 * double(hw * hw) * double(9 * c) * double(f) * double(batch)) {
    options.padding = ConvPadding::explicitPad({1}, {1});
  }
};

void BM_Conv2dForward(benchmark::State& state) {
  Conv3x3 c(state.range(0), state.range(1), state.range(2), state.range(3));
  for (auto _ : state) {
    Array y = conv(c.x, c.w, c.b, c.options);
    benchmark::DoNotOptimize(y.value().data<float>());
  }
  setGflops(state, c.flops);
}

// Both backward GEMMs (data and weights), through the kernels: twice the forward's flops.
void BM_Conv2dBackward(benchmark::State& state) {
  Conv3x3 c(state.range(0), state.range(1), state.range(2), state.range(3));
  kernels::cpu::ConvGeometry g;
  g.spatialDims = 2;
  g.in = g.out = {state.range(0), state.range(0), 1};
  g.kernel = {3, 3, 1};
  g.padBefore = g.padAfter = {1, 1, 0};
  g.channels = state.range(1);
  g.filters = state.range(2);
  g.batch = state.range(3);
  Tensor grad = randomTensor(g.outputShape(), 4);
  for (auto _ : state) {
    Tensor dx = kernels::cpu::convBackwardData(grad, c.w.value(), g);
    Tensor dw = kernels::cpu::convBackwardWeights(grad, c.x.value(), g);
    benchmark::DoNotOptimize(dx.data<float>());
    benchmark::DoNotOptimize(dw.data<float>());
  }
  setGflops(state, 2 * c.flops);
}

void BM_EigenGemm(benchmark::State& state) {
  const Eigen::Index m = state.range(0), k = state.range(1), n = state.range(2);
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(m, k), b = Eigen::MatrixXf::Random(k, n), c(m, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  setGflops(state, 2.0 * double(m) * double(k) * double(n));
}

// ResNet-50 shapes: 56×56×64 → 64 and 14×14×256 → 256, batch 1 and 8.
BENCHMARK(BM_Conv2dForward)
    ->ArgNames({"hw", "c", "f", "batch"})
    ->Args({56, 64, 64, 1})
    ->Args({14, 256, 256, 1})
    ->Args({56, 64, 64, 8})
    ->Args({14, 256, 256, 8})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2dBackward)
    ->ArgNames({"hw", "c", "f", "batch"})
    ->Args({56, 64, 64, 1})
    ->Args({14, 256, 256, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// The same GEMMs: M = P (per sample, and all 8 samples stacked), K = 9·C, N = F; then 1024³.
BENCHMARK(BM_EigenGemm)
    ->ArgNames({"m", "k", "n"})
    ->Args({3136, 576, 64})
    ->Args({196, 2304, 256})
    ->Args({8 * 3136, 576, 64})
    ->Args({8 * 196, 2304, 256})
    ->Args({1024, 1024, 1024})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
