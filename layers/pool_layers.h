// Pooling layers (MATLAB maxPooling1dLayer … averagePooling3dLayer and
// globalAveragePooling1dLayer … globalMaxPooling3dLayer; ONNX MaxPool, AveragePool,
// GlobalAveragePool, GlobalMaxPool), computed by autodiff/pool.h.
//
// Input: spatialDims S dims and C (and usually B, possibly T: "SCB", "SSCB", "SSSCB",
// "SSCBT"); pooled over the S dims. For spatialDims = 1 also a sequence "CBT" / "CT",
// pooled over T. Output: the input's format; only the pooled dims change size. No learnables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autodiff/pool.h"
#include "layers/layer.h"

namespace dlcam {

struct PoolingOptions {
  int spatialDims = 2;  // 1, 2 or 3
  // Window, stride (empty: the window, as ONNX; MATLAB layers pass theirs), padding,
  // countIncludePad (average only) and ceilMode, as maxPool/avgPool take them.
  PoolOptions pool{};
};

// What max and average pooling share.
class PoolingLayer : public Layer {
 public:
  // "2-D Max Pooling", "1-D Average Pooling"...
  std::string type() const override;
  // "2×2 max pooling with stride [2 2] and padding [0 0 0 0]"; padding is listed before and
  // after each pooled dim in turn, or 'same'.
  std::string description() const override;
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;

  int spatialDims() const { return spatialDims_; }
  const PoolOptions& poolOptions() const { return options_; }
  // Per pooled dim, resolved (one value each).
  const std::vector<int64_t>& poolSize() const { return window_; }
  const std::vector<int64_t>& stride() const { return stride_; }

 protected:
  // kind: "Max" or "Average". Throws dlcam::Error naming the layer for invalid options.
  PoolingLayer(std::string name, const char* kind, PoolingOptions options);
  // inferOutput for x, for forward's check.
  void check(const Array& x) const;

  int spatialDims_;
  const char* kind_;
  PoolOptions options_;
  std::vector<int64_t> window_, stride_, padBefore_, padAfter_;
};

class MaxPoolingLayer : public PoolingLayer {
 public:
  MaxPoolingLayer(std::string name, PoolingOptions options) : PoolingLayer(std::move(name), "Max", std::move(options)) {}
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;
};

class AveragePoolingLayer : public PoolingLayer {
 public:
  AveragePoolingLayer(std::string name, PoolingOptions options)
      : PoolingLayer(std::move(name), "Average", std::move(options)) {}
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;
};

// What global average and global max pooling share: the pooled dims become size 1
// ("SSCB" h×w×c×n → 1×1×c×n, "CBT" c×n×t → c×n×1).
class GlobalPoolingLayer : public Layer {
 public:
  // "2-D Global Average Pooling", "1-D Global Max Pooling"...
  std::string type() const override;
  // "Global average pooling"
  std::string description() const override;
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  int spatialDims() const { return spatialDims_; }

 protected:
  GlobalPoolingLayer(std::string name, const char* kind, int spatialDims);
  void check(const Array& x) const;

  int spatialDims_;
  const char* kind_;
};

class GlobalAveragePoolingLayer : public GlobalPoolingLayer {
 public:
  GlobalAveragePoolingLayer(std::string name, int spatialDims)
      : GlobalPoolingLayer(std::move(name), "Average", spatialDims) {}
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;
};

class GlobalMaxPoolingLayer : public GlobalPoolingLayer {
 public:
  GlobalMaxPoolingLayer(std::string name, int spatialDims) : GlobalPoolingLayer(std::move(name), "Max", spatialDims) {}
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;
};

}  // namespace dlcam
