#include "kernels/cpu/conv.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <vector>

namespace dlcam::kernels::cpu {

namespace {

template <typename T> using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <typename T> using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <typename T> using MatMap = Eigen::Map<Mat<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T> using ConstMatMap = Eigen::Map<const Mat<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

// The im2col matrix is built in tiles of output positions, small enough to stay in L2 while
// Eigen packs it (measured on ResNet shapes: 256 to 512 rows beat whole-image tiles by about
// 10%), and large enough to keep each GEMM efficient. This also bounds the memory of large 3-D
// convolutions.
constexpr int64_t kTileBytes = int64_t{512} << 10;
constexpr int64_t kMinTileRows = 256;
// Below this many copied elements a second thread costs more than it saves.
constexpr int64_t kCopyGrain = int64_t{1} << 15;
// Below this many flops a whole convolution runs on one thread: waking a team costs
// microseconds on an idle machine and milliseconds on a loaded one.
constexpr double kParallelFlops = double(int64_t{1} << 21);

int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }  // b > 0
int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

// One kernel tap (k_1, k_2, k_3): output o reads input o·stride + offset along each axis,
// which lies inside the input for o in [lo, hi).
struct Tap {
  std::array<int64_t, ConvGeometry::kMaxDims> offset{}, lo{}, hi{};
};

// Sizes and decisions shared by the four kernels.
struct Plan {
  int64_t inVol = 0, P = 0, kVol = 0, Cg = 0, Fg = 0, K = 0;
  // 1×…×1 kernel, stride 1, no padding: a sample's channel planes already are the im2col matrix.
  bool pointwise = false;
  int64_t pairs = 0;  // (sample, group) pairs
  // The output positions of each pair are split into `tiles` tiles of `tileRows` rows (the
  // last one may be short or empty).
  int64_t tiles = 0, tileRows = 1;
  int threads = 1;
  std::vector<Tap> taps;
};

Plan makePlan(const ConvGeometry& g, int64_t scalarBytes) {
  Plan pl;
  pl.inVol = g.inputVolume();
  pl.P = g.outputVolume();
  pl.kVol = g.kernelVolume();
  pl.Cg = g.channels / g.groups;
  pl.Fg = g.filters / g.groups;
  pl.K = pl.kVol * pl.Cg;
  pl.pointwise = true;
  for (int a = 0; a < ConvGeometry::kMaxDims; ++a)
    pl.pointwise = pl.pointwise && g.kernel[a] == 1 && g.stride[a] == 1 && g.padBefore[a] == 0 && g.padAfter[a] == 0;
  pl.pairs = g.batch * g.groups;
  const double flops = 2.0 * double(pl.P) * double(pl.K) * double(pl.Fg) * double(pl.pairs);
  pl.threads = flops < kParallelFlops ? 1 : omp_get_max_threads();
  if (pl.P > 0) {
    const int64_t maxRows = std::max(kMinTileRows, kTileBytes / std::max<int64_t>(1, pl.K * scalarBytes));
    pl.tiles = ceilDiv(pl.P, maxRows);
    // Few tiles in all: add tiles until every thread gets the same number.
    if (pl.pairs > 0 && pl.pairs * pl.tiles < 4 * pl.threads)
      while ((pl.pairs * pl.tiles) % pl.threads != 0 && pl.tiles < pl.P) ++pl.tiles;
    pl.tileRows = ceilDiv(pl.P, pl.tiles);
  }
  pl.taps.resize(static_cast<size_t>(pl.kVol));
  for (int64_t kpos = 0; kpos < pl.kVol; ++kpos) {
    Tap& t = pl.taps[static_cast<size_t>(kpos)];
    int64_t rest = kpos;
    for (int a = 0; a < ConvGeometry::kMaxDims; ++a) {
      const int64_t k = rest % g.kernel[a], s = g.stride[a];
      rest /= g.kernel[a];
      t.offset[a] = k * g.dilation[a] - g.padBefore[a];
      t.lo[a] = std::max<int64_t>(0, ceilDiv(-t.offset[a], s));
      t.hi[a] = std::max(t.lo[a], std::min(g.out[a], floorDiv(g.in[a] - 1 - t.offset[a], s) + 1));
    }
  }
  return pl;
}

// How one im2col column (one tap, one channel) is filled: copies from the channel plane,
// col[dst + o] = plane[src + o·stride_1] for o < count, then fills, col[dst .. dst + count) = 0,
// where the tap reads padding. The same lists serve every channel, so they are worked out once
// per tap and tile. Copies of consecutive output rows merge into one whenever they line up in
// the input (stride-1 rows with 'same' padding along the first axis): the merged copy also
// reads the input values that lie between the rows, and the fills that come after it put the
// zeros back. This turns thousands of row-sized copies into a few long ones.
struct Copy {
  int64_t dst, src, count;
};
struct Fill {
  int64_t dst, count;
};

// Per-thread scratch: the im2col tile, its copy and fill lists (those of tap k are
// copies[copyStart[k] .. copyStart[k + 1]) and likewise for fills), and, for the weight
// gradient, a private accumulator.
template <typename T>
struct Workspace {
  Vec<T> cols;
  std::vector<Copy> copies;
  std::vector<Fill> fills;
  std::vector<size_t> copyStart, fillStart;
  Vec<T> acc;
};

// The copy and fill lists of every tap over output positions [p0, p0 + rows).
template <typename T>
void buildRuns(const ConvGeometry& g, const Plan& pl, int64_t p0, int64_t rows, Workspace<T>& ws) {
  ws.copies.clear();
  ws.fills.clear();
  ws.copyStart.assign(1, 0);
  ws.fillStart.assign(1, 0);
  const int64_t s = g.stride[0];
  for (const Tap& t : pl.taps) {
    auto fill = [&](int64_t dst, int64_t count) {
      if (count == 0) return;
      if (ws.fills.size() > ws.fillStart.back() && ws.fills.back().dst + ws.fills.back().count == dst)
        ws.fills.back().count += count;
      else
        ws.fills.push_back({dst, count});
    };
    auto copy = [&](int64_t dst, int64_t src, int64_t count) {
      if (count == 0) return;
      if (ws.copies.size() > ws.copyStart.back()) {
        Copy& last = ws.copies.back();
        if (src - last.src == (dst - last.dst) * s) {  // same alignment: extend over the gap
          last.count = dst + count - last.dst;
          return;
        }
      }
      ws.copies.push_back({dst, src, count});
    };
    int64_t o1 = p0 % g.out[0];
    const int64_t rest = p0 / g.out[0];
    int64_t o2 = rest % g.out[1], o3 = rest / g.out[1];
    for (int64_t p = p0; p < p0 + rows;) {
      const int64_t len = std::min(g.out[0] - o1, p0 + rows - p), dst = p - p0;
      if (o2 >= t.lo[1] && o2 < t.hi[1] && o3 >= t.lo[2] && o3 < t.hi[2]) {
        const int64_t lo = std::clamp(t.lo[0], o1, o1 + len), hi = std::clamp(t.hi[0], lo, o1 + len);
        const int64_t i2 = o2 * g.stride[1] + t.offset[1], i3 = o3 * g.stride[2] + t.offset[2];
        fill(dst, lo - o1);
        copy(dst + lo - o1, (i3 * g.in[1] + i2) * g.in[0] + t.offset[0] + lo * s, hi - lo);
        fill(dst + hi - o1, o1 + len - hi);
      } else {
        fill(dst, len);
      }
      p += len;
      o1 = 0;
      if (++o2 == g.out[1]) {
        o2 = 0;
        ++o3;
      }
    }
    ws.copyStart.push_back(ws.copies.size());
    ws.fillStart.push_back(ws.fills.size());
  }
}

template <typename T>
void zeroFills(T* col, const Fill* begin, const Fill* end) {
  for (const Fill* f = begin; f != end; ++f) {
    if (f->count == 1)
      col[f->dst] = T(0);
    else
      std::fill_n(col + f->dst, f->count, T(0));
  }
}

// The im2col matrix (rows × K) for output positions [p0, p0 + rows) of one (sample, group),
// whose channel planes start at xg: column c·kVol + k holds what tap k reads from channel c.
// Built in the workspace, or a view of x for pointwise kernels.
template <typename T>
ConstMatMap<T> im2colTile(const ConvGeometry& g, const Plan& pl, const T* xg, int64_t p0, int64_t rows,
                          Workspace<T>& ws, bool parallel) {
  if (pl.pointwise) return ConstMatMap<T>(xg + p0, rows, pl.K, Eigen::OuterStride<>(pl.inVol));
  buildRuns(g, pl, p0, rows, ws);
  T* buf = ws.cols.data();
  const Copy* copies = ws.copies.data();
  const Fill* fills = ws.fills.data();
  const size_t* copyStart = ws.copyStart.data();
  const size_t* fillStart = ws.fillStart.data();
  const int64_t s = g.stride[0];
#pragma omp parallel for if (parallel && rows * pl.K > kCopyGrain) schedule(static)
  for (int64_t j = 0; j < pl.K; ++j) {
    const T* plane = xg + (j / pl.kVol) * pl.inVol;
    T* col = buf + j * rows;
    const auto k = static_cast<size_t>(j % pl.kVol);
    for (const Copy* c = copies + copyStart[k]; c != copies + copyStart[k + 1]; ++c) {
      if (s == 1)
        std::copy_n(plane + c->src, c->count, col + c->dst);
      else
        for (int64_t o = 0; o < c->count; ++o) col[c->dst + o] = plane[c->src + o * s];
    }
    zeroFills(col, fills + fillStart[k], fills + fillStart[k + 1]);
  }
  return ConstMatMap<T>(buf, rows, pl.K, Eigen::OuterStride<>(std::max<int64_t>(rows, 1)));
}

// Adjoint of im2colTile: adds the tile's columns (in the workspace, overwritten) back into the
// channel planes that start at dxg. The padding positions of each column are zeroed first, so
// that merged copies add nothing for them. Taps of one channel overlap in the input, different
// channels never do, so the threads split the channels.
template <typename T>
void col2imTile(const ConvGeometry& g, const Plan& pl, T* dxg, int64_t p0, int64_t rows, Workspace<T>& ws,
                bool parallel) {
  buildRuns(g, pl, p0, rows, ws);
  T* buf = ws.cols.data();
  const Copy* copies = ws.copies.data();
  const Fill* fills = ws.fills.data();
  const size_t* copyStart = ws.copyStart.data();
  const size_t* fillStart = ws.fillStart.data();
  const int64_t s = g.stride[0];
#pragma omp parallel for if (parallel && rows * pl.K > kCopyGrain) schedule(static)
  for (int64_t c = 0; c < pl.Cg; ++c) {
    T* plane = dxg + c * pl.inVol;
    for (int64_t k = 0; k < pl.kVol; ++k) {
      T* col = buf + (c * pl.kVol + k) * rows;
      const auto ku = static_cast<size_t>(k);
      zeroFills(col, fills + fillStart[ku], fills + fillStart[ku + 1]);
      for (const Copy* cp = copies + copyStart[ku]; cp != copies + copyStart[ku + 1]; ++cp)
        for (int64_t o = 0; o < cp->count; ++o) plane[cp->src + o * s] += col[cp->dst + o];
    }
  }
}

// Runs task(index, workspace, parallelInside) for index in [0, count), then finish(workspace)
// once per workspace, in thread order. With enough tasks, threads take whole tasks and each
// runs its GEMMs on one thread; otherwise the tasks run in turn and the threads work inside
// each im2col and each (Eigen-parallel) GEMM. Never both: nested teams would oversubscribe.
// Tasks are split statically and the workspaces finished in thread order, so a weight
// gradient (summed over the workspaces) is the same on every run with the same thread count:
// training is reproducible bit for bit.
template <typename T, typename Task, typename Finish>
void runTasks(const Plan& pl, int64_t count, int64_t accSize, Task task, Finish finish) {
  const int64_t colsSize = pl.pointwise ? 0 : pl.tileRows * pl.K;
  auto makeWorkspace = [&] {
    Workspace<T> ws;
    ws.cols.resize(colsSize);
    ws.acc = Vec<T>::Zero(accSize);
    return ws;
  };
  const int64_t threads = pl.threads;
  if (threads > 1 && count >= threads && (count % threads == 0 || count >= 4 * threads)) {
    std::vector<Workspace<T>> spaces(static_cast<size_t>(threads));
    std::vector<char> used(static_cast<size_t>(threads), 0);
#pragma omp parallel num_threads(pl.threads)
    {
      const auto t = static_cast<size_t>(omp_get_thread_num());
      spaces[t] = makeWorkspace();
      used[t] = 1;
#pragma omp for schedule(static)
      for (int64_t i = 0; i < count; ++i) task(i, spaces[t], false);
    }
    for (size_t t = 0; t < spaces.size(); ++t)
      if (used[t]) finish(spaces[t]);
  } else {
    Workspace<T> ws = makeWorkspace();
    for (int64_t i = 0; i < count; ++i) task(i, ws, threads > 1);
    finish(ws);
  }
}

// Task i of the forward and weight-gradient kernels: one tile of one (sample, group).
struct TileTask {
  int64_t b, grp, p0, rows;
  TileTask(const ConvGeometry& g, const Plan& pl, int64_t i)
      : b(i / (g.groups * pl.tiles)),
        grp(i / pl.tiles % g.groups),
        p0(i % pl.tiles * pl.tileRows),
        rows(std::max<int64_t>(0, std::min(pl.tileRows, pl.P - p0))) {}
};

template <typename T>
void forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* out) {
  const Plan pl = makePlan(g, sizeof(T));
  auto task = [&](int64_t i, Workspace<T>& ws, bool parallel) {
    const TileTask t(g, pl, i);
    if (t.rows == 0) return;
    const T* xg = x + (t.b * g.channels + t.grp * pl.Cg) * pl.inVol;
    ConstMatMap<T> wg(w + t.grp * pl.Fg * pl.K, pl.K, pl.Fg, Eigen::OuterStride<>(std::max<int64_t>(pl.K, 1)));
    MatMap<T> o(out + (t.b * g.filters + t.grp * pl.Fg) * pl.P + t.p0, t.rows, pl.Fg, Eigen::OuterStride<>(pl.P));
    if (bias)
      for (int64_t f = 0; f < pl.Fg; ++f) o.col(f).setConstant(bias[t.grp * pl.Fg + f]);
    else
      o.setZero();
    o.noalias() += im2colTile(g, pl, xg, t.p0, t.rows, ws, parallel) * wg;
  };
  runTasks<T>(pl, pl.pairs * pl.tiles, 0, task, [](Workspace<T>&) {});
}

template <typename T>
void backwardData(const ConvGeometry& g, const T* gradOut, const T* w, T* dx) {
  const Plan pl = makePlan(g, sizeof(T));
  auto task = [&](int64_t i, Workspace<T>& ws, bool parallel) {
    const int64_t b = i / g.groups, grp = i % g.groups;
    T* dxg = dx + (b * g.channels + grp * pl.Cg) * pl.inVol;
    const T* gg = gradOut + (b * g.filters + grp * pl.Fg) * pl.P;
    ConstMatMap<T> wg(w + grp * pl.Fg * pl.K, pl.K, pl.Fg, Eigen::OuterStride<>(std::max<int64_t>(pl.K, 1)));
    for (int64_t p0 = 0; p0 < pl.P; p0 += pl.tileRows) {
      const int64_t rows = std::min(pl.tileRows, pl.P - p0);
      ConstMatMap<T> go(gg + p0, rows, pl.Fg, Eigen::OuterStride<>(pl.P));
      if (pl.pointwise) {
        MatMap<T>(dxg + p0, rows, pl.K, Eigen::OuterStride<>(pl.inVol)).noalias() = go * wg.transpose();
        continue;
      }
      MatMap<T> cols(ws.cols.data(), rows, pl.K, Eigen::OuterStride<>(rows));
      cols.noalias() = go * wg.transpose();
      // Tiles of one pair overlap in dx, which is why this kernel's tasks are whole pairs.
      col2imTile(g, pl, dxg, p0, rows, ws, parallel);
    }
  };
  runTasks<T>(pl, pl.pairs, 0, task, [](Workspace<T>&) {});
}

template <typename T>
void backwardWeights(const ConvGeometry& g, const T* gradOut, const T* x, T* dw) {
  const Plan pl = makePlan(g, sizeof(T));
  const int64_t size = pl.K * g.filters;
  // Tiles and samples of one group add into the same block, so each workspace accumulates
  // privately and the sums are added up at the end.
  auto task = [&](int64_t i, Workspace<T>& ws, bool parallel) {
    const TileTask t(g, pl, i);
    if (t.rows == 0) return;
    const T* xg = x + (t.b * g.channels + t.grp * pl.Cg) * pl.inVol;
    ConstMatMap<T> go(gradOut + (t.b * g.filters + t.grp * pl.Fg) * pl.P + t.p0, t.rows, pl.Fg,
                      Eigen::OuterStride<>(pl.P));
    MatMap<T> dwg(ws.acc.data() + t.grp * pl.Fg * pl.K, pl.K, pl.Fg, Eigen::OuterStride<>(std::max<int64_t>(pl.K, 1)));
    dwg.noalias() += im2colTile(g, pl, xg, t.p0, t.rows, ws, parallel).transpose() * go;
  };
  Eigen::Map<Vec<T>> total(dw, size);
  runTasks<T>(pl, pl.pairs * pl.tiles, size, task, [&](Workspace<T>& ws) { total += ws.acc; });
}

template <typename T>
void backwardBias(const ConvGeometry& g, const T* gradOut, T* db) {
  const int64_t P = g.outputVolume(), F = g.filters;
#pragma omp parallel for if (P * F * g.batch > kCopyGrain) schedule(static)
  for (int64_t f = 0; f < F; ++f) {
    T s = 0;
    for (int64_t b = 0; b < g.batch; ++b) s += Eigen::Map<const Vec<T>>(gradOut + (b * F + f) * P, P).sum();
    db[f] = s;
  }
}

std::vector<int64_t> spatialPlus(const std::array<int64_t, ConvGeometry::kMaxDims>& sizes, int d, int64_t a,
                                 int64_t b) {
  std::vector<int64_t> dims(sizes.begin(), sizes.begin() + d);
  dims.push_back(a);
  dims.push_back(b);
  return dims;
}

void checkShapes(const ConvGeometry& g, const Tensor& t, const Shape& expected, const char* what) {
  DLCAM_ASSERT(t.numel() == expected.numel(), "conv kernel: ", what, " has shape ", t.shape().str(), ", expected ",
               expected.str());
  DLCAM_ASSERT(g.groups > 0 && g.channels % g.groups == 0 && g.filters % g.groups == 0, "conv kernel: groups ",
               g.groups, " for C ", g.channels, ", F ", g.filters);
}

}  // namespace

Shape ConvGeometry::inputShape() const { return Shape(spatialPlus(in, spatialDims, channels, batch)); }
Shape ConvGeometry::outputShape() const { return Shape(spatialPlus(out, spatialDims, filters, batch)); }
Shape ConvGeometry::weightShape() const {
  return Shape(spatialPlus(kernel, spatialDims, channels / std::max<int64_t>(groups, 1), filters));
}

Tensor convForward(const Tensor& x, const Tensor& weights, const Tensor& bias, const ConvGeometry& geometry) {
  checkShapes(geometry, x, geometry.inputShape(), "x");
  checkShapes(geometry, weights, geometry.weightShape(), "weights");
  DLCAM_ASSERT(!bias.defined() || bias.numel() == geometry.filters, "conv kernel: bias of ", bias.numel());
  Tensor out = Tensor::empty(geometry.outputShape(), x.dtype());
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    forward<T>(geometry, x.data<T>(), weights.data<T>(), bias.defined() ? bias.data<T>() : nullptr, out.data<T>());
  });
  return out;
}

Tensor convBackwardData(const Tensor& gradOut, const Tensor& weights, const ConvGeometry& geometry) {
  checkShapes(geometry, gradOut, geometry.outputShape(), "gradOut");
  checkShapes(geometry, weights, geometry.weightShape(), "weights");
  Tensor dx(geometry.inputShape(), gradOut.dtype());
  visitFloat(gradOut.dtype(), [&](auto zero) {
    using T = decltype(zero);
    backwardData<T>(geometry, gradOut.data<T>(), weights.data<T>(), dx.data<T>());
  });
  return dx;
}

Tensor convBackwardWeights(const Tensor& gradOut, const Tensor& x, const ConvGeometry& geometry) {
  checkShapes(geometry, gradOut, geometry.outputShape(), "gradOut");
  checkShapes(geometry, x, geometry.inputShape(), "x");
  Tensor dw(geometry.weightShape(), gradOut.dtype());
  visitFloat(gradOut.dtype(), [&](auto zero) {
    using T = decltype(zero);
    backwardWeights<T>(geometry, gradOut.data<T>(), x.data<T>(), dw.data<T>());
  });
  return dw;
}

Tensor convBackwardBias(const Tensor& gradOut, const ConvGeometry& geometry) {
  checkShapes(geometry, gradOut, geometry.outputShape(), "gradOut");
  Tensor db(Shape{geometry.filters}, gradOut.dtype());
  visitFloat(gradOut.dtype(), [&](auto zero) {
    using T = decltype(zero);
    backwardBias<T>(geometry, gradOut.data<T>(), db.data<T>());
  });
  return db;
}

}  // namespace dlcam::kernels::cpu
