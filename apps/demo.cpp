// dlcam demo: the tape on a tiny convolutional network, end to end.
//
// A 16×16 grey image holds a bright 4×4 square. A small network (conv 3×3 → relu →
// global average pooling → fully connected → softmax) scores it. The demo then does what
// Grad-CAM does: it records only the head of the network on a tape, takes the gradient of
// the class score with respect to the conv activation, and weights the activation's
// channels by their mean gradient. It prints the gradient, a finite-difference check of it,
// and the resulting map, which lights up where the square is.
#include <cmath>
#include <cstdio>
#include <vector>

#include "dlcam.h"

using namespace dlcam;

namespace {

constexpr int kSize = 16;

Array makeImage(int top, int left) {
  Tensor t({kSize, kSize, 1, 1});
  for (int w = 0; w < kSize; ++w)
    for (int h = 0; h < kSize; ++h)
      t.data<float>()[h + kSize * w] = (h >= top && h < top + 4 && w >= left && w < left + 4) ? 1.0f : 0.1f;
  return Array(t, "SSCB");
}

struct TinyNet {
  Array convWeights, convBias, fcWeights, fcBias;

  TinyNet() {
    // Four 3×3 filters: a blob detector, its negative, and two edge detectors.
    std::vector<float> w(3 * 3 * 1 * 4);
    for (int i = 0; i < 9; ++i) {
      int h = i % 3, x = i / 3;
      w[i] = 1.0f / 9;                             // blob
      w[9 + i] = -1.0f / 9;                        // inverted blob
      w[18 + i] = h == 0 ? 1.0f : (h == 2 ? -1.0f : 0.0f);  // horizontal edge
      w[27 + i] = x == 0 ? 1.0f : (x == 2 ? -1.0f : 0.0f);  // vertical edge
    }
    convWeights = Array::fromValues(Shape{3, 3, 1, 4}, std::span<const float>(w));
    std::vector<float> b = {-0.2f, 0.5f, 0.0f, 0.0f};
    convBias = Array::fromValues(Shape{4}, std::span<const float>(b));
    // Class 0 "square" scores the blob channel; class 1 "empty" the inverted blob (a uniform
    // background). The edge channels do not vote.
    std::vector<float> fw = {40.0f, 0.0f, 0.0f, 2.0f, 0.0f, 0.0f, 0.0f, 0.0f};  // 2×4, column-major
    fcWeights = Array::fromValues(Shape{2, 4}, std::span<const float>(fw));
    std::vector<float> fb = {0.0f, 0.0f};
    fcBias = Array::fromValues(Shape{2}, std::span<const float>(fb));
  }

  // The feature extractor: everything up to the last conv activation.
  Array features(const Array& x) const {
    ConvOptions opts;
    opts.padding = ConvPadding::same();
    return relu(conv(x, convWeights, convBias, opts));
  }
  // The head: from the activation to the class scores.
  Array head(const Array& a) const { return softmax(fullyConnect(globalAvgPool(a), fcWeights, fcBias)); }
};

}  // namespace

int main() {
  TinyNet net;
  Array image = makeImage(/*top=*/9, /*left=*/3);
  std::printf("dlcam demo: tape-based autodiff on a tiny conv net\n\n");
  std::printf("input: %s, a bright 4x4 square at rows 10-13, columns 4-7\n", image.shape().str().c_str());

  Array scores = net.head(net.features(image));
  std::printf("class scores (softmax): square %.4f, empty %.4f\n\n", scores.value().at(0), scores.value().at(1));

  // Only the head is recorded: the conv below the watched activation runs at inference cost.
  Tape tape;
  Array activation = net.features(image);
  tape.watch(activation);
  Array score = element(net.head(activation), 0);
  Array grad = tape.gradient(score, activation);
  std::printf("tape: %llu nodes recorded (the watched activation and the head only)\n",
              static_cast<unsigned long long>(tape.nodesRecorded()));
  std::printf("d(score)/d(activation): %s %s\n", grad.shape().str().c_str(), grad.format().str().c_str());

  // Check one entry against a central finite difference.
  const int64_t probe = 10 + kSize * 5;  // 0-based (10, 5, 0): row 11, column 6, channel 1
  const float step = 1e-2f;
  auto scoreAt = [&](float delta) {
    Tensor a = activation.value().clone();
    a.data<float>()[probe] += delta;
    return net.head(Array(a, activation.format())).value().at(0);
  };
  double numeric = (scoreAt(step) - scoreAt(-step)) / (2 * step);
  std::printf("gradient at (row 11, column 6, channel 1): tape %.6f, finite difference %.6f\n\n", grad.value().at(probe), numeric);

  // Grad-CAM: channel weights are the spatially averaged gradients.
  Array alpha = mean(grad, grad.format().dimsOf("S"));
  std::printf("channel weights alpha:");
  for (float a : alpha.toVector()) std::printf(" %+.4f", a);
  Array map = relu(sum(activation.detached() * alpha, {2}));
  std::vector<float> m = map.toVector();
  float top = 0;
  for (float v : m) top = std::max(top, v);
  std::printf("\n\nGrad-CAM map (%dx%d, scaled to 0-9):\n", kSize, kSize);
  for (int h = 0; h < kSize; ++h) {
    std::printf("  ");
    for (int w = 0; w < kSize; ++w) {
      float v = top > 0 ? m[static_cast<size_t>(h + kSize * w)] / top : 0;
      std::printf("%c", v < 0.05f ? '.' : static_cast<char>('0' + std::min(9, static_cast<int>(v * 9.99f))));
    }
    std::printf("\n");
  }
  return 0;
}
