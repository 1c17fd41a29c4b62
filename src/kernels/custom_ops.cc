// ibml's own TensorFlow CPU ops for the native engine (src/kernels/custom_ops.ts loads them).
//
// Built by `deno task setup-native` against the headers and framework library of the same
// TensorFlow wheel as the tfjs-node addon, into .native/libibml_ops.so. Loading the library
// registers the ops with TensorFlow; tfjs-node's binding then runs them by name like any op.
// Each replaces a chain of stock ops that passes over the same memory several times and
// scales poorly on two threads (bench/README.md, "ibml's own TensorFlow ops"):
//
// - IbmlMaxPool2Relu: relu(max_pool_2x2_stride_2(x)), plus one byte per output recording
//   which of the window's four cells was the maximum (the first in row order; NaN never
//   wins, as in oneDNN's pool), or 255 where the output is not positive (the ReLU's
//   gradient is zero there).
// - IbmlMaxPool2ReluGrad: the gradient of that pair: each output's gradient goes to its
//   window's maximum cell, every other input cell gets zero. One pass that writes dx.
// - IbmlApplyMomentumDecay: SGD with momentum and weight decay on two resource variables
//   in place: g' = g + p * wd, v = v * momentum + g', p = p - v * lr, with each operation
//   rounded to float as the op-by-op update does (compiled with -ffp-contract=off).
//
// All three split their work over TensorFlow's intra-op thread pool.
#include <cstdint>
#include <cstring>
#include <limits>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/resource_var.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace ibml {

using tensorflow::DEVICE_CPU;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;
using tensorflow::shape_inference::InferenceContext;

constexpr uint8_t kNotPositive = 255;

// Runs fn(begin, end) over [0, total) units on the op's intra-op pool (inline on one thread).
template <typename F>
void Parallel(OpKernelContext* ctx, int64_t total, int64_t cost_per_unit, F fn) {
  auto* pool = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  pool->ParallelFor(total, cost_per_unit, fn);
}

REGISTER_OP("IbmlMaxPool2Relu")
    .Input("x: float")
    .Output("y: float")
    .Output("argmax: uint8")
    .SetShapeFn([](InferenceContext* c) {
      auto in = c->input(0);
      tensorflow::shape_inference::ShapeHandle x;
      TF_RETURN_IF_ERROR(c->WithRank(in, 4, &x));
      tensorflow::shape_inference::DimensionHandle h, w;
      TF_RETURN_IF_ERROR(c->Divide(c->Dim(x, 1), 2, false, &h));
      TF_RETURN_IF_ERROR(c->Divide(c->Dim(x, 2), 2, false, &w));
      auto y = c->MakeShape({c->Dim(x, 0), h, w, c->Dim(x, 3)});
      c->set_output(0, y);
      c->set_output(1, y);
      return absl::OkStatus();
    });

// Sixteen lanes of floats, of 32-bit integers (comparison masks: -1 or 0) and of bytes, as
// GCC vector extensions. The loops that use them are compiled three times (AVX-512, AVX2
// and plain x86-64, which splits each vector into four SSE2 ones); the CPU picks one when
// the library loads.
typedef float F16 __attribute__((vector_size(64)));
typedef int32_t I16 __attribute__((vector_size(64)));
typedef uint8_t U16 __attribute__((vector_size(16)));
#define IBML_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

template <typename V>
inline V Load(const void* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}

template <typename V>
inline void Store(void* p, V v) {
  std::memcpy(p, &v, sizeof(V));
}

// The pooled, ReLU'd values of four or sixteen channels and the cell that was each maximum,
// from a window's four cells (v0 v1 on the top row, v2 v3 below). The first maximum in row
// order wins (strict comparisons keep the earlier cell on a tie), and a NaN never wins, as in
// oneDNN's pool that this replaces: a window of NaNs gives 0 after the ReLU.
template <typename F, typename I>
inline void PoolRelu(F v0, F v1, F v2, F v3, F* y, I* at) {
  F m{};
  m = m - std::numeric_limits<float>::infinity();  // -inf in every lane
  I k = m != m;                                    // zeros of the mask type
  I gt = v0 > m;
  m = gt ? v0 : m;
  gt = v1 > m;
  k = gt ? 1 : k;
  m = gt ? v1 : m;
  gt = v2 > m;
  k = gt ? 2 : k;
  m = gt ? v2 : m;
  gt = v3 > m;
  k = gt ? 3 : k;
  m = gt ? v3 : m;
  const I positive = m > 0.0f;
  *y = positive ? m : 0.0f;
  *at = positive ? k : kNotPositive;
}

// One output pixel's channels from its 2x2 window (top row a, bottom row b, each with the
// left cell's c channels and then the right cell's).
IBML_CLONES void Window(const float* a, const float* b, int64_t c, float* out, uint8_t* idx) {
  int64_t ch = 0;
  for (; ch + 16 <= c; ch += 16) {
    F16 y;
    I16 at;
    PoolRelu(Load<F16>(a + ch), Load<F16>(a + c + ch), Load<F16>(b + ch),
             Load<F16>(b + c + ch), &y, &at);
    Store(out + ch, y);
    Store(idx + ch, __builtin_convertvector(at, U16));
  }
  for (; ch < c; ++ch) {
    float y;
    int32_t at;
    PoolRelu(a[ch], a[c + ch], b[ch], b[c + ch], &y, &at);
    out[ch] = y;
    idx[ch] = static_cast<uint8_t>(at);
  }
}

class MaxPool2ReluOp : public OpKernel {
 public:
  explicit MaxPool2ReluOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    OP_REQUIRES(ctx, x.dims() == 4,
                absl::InvalidArgumentError("IbmlMaxPool2Relu: x must be [B, H, W, C]"));
    const int64_t b = x.dim_size(0), h = x.dim_size(1), w = x.dim_size(2), c = x.dim_size(3);
    const int64_t ho = h / 2, wo = w / 2;
    Tensor* y = nullptr;
    Tensor* arg = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({b, ho, wo, c}), &y));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({b, ho, wo, c}), &arg));
    const float* in = x.flat<float>().data();
    float* out = y->flat<float>().data();
    uint8_t* idx = arg->flat<uint8_t>().data();
    // One unit: one output row (all its columns and channels).
    Parallel(ctx, b * ho, wo * c * 8, [&](int64_t first, int64_t last) {
      for (int64_t r = first; r < last; ++r) {
        const int64_t n = r / ho, i = r % ho;
        const float* row0 = in + ((n * h + 2 * i) * w) * c;
        const float* row1 = row0 + w * c;
        float* o = out + r * wo * c;
        uint8_t* k = idx + r * wo * c;
        for (int64_t j = 0; j < wo; ++j) {
          Window(row0 + 2 * j * c, row1 + 2 * j * c, c, o + j * c, k + j * c);
        }
      }
    });
  }
};

REGISTER_KERNEL_BUILDER(Name("IbmlMaxPool2Relu").Device(DEVICE_CPU), MaxPool2ReluOp);

REGISTER_OP("IbmlMaxPool2ReluGrad")
    .Input("dy: float")
    .Input("argmax: uint8")
    .Attr("in_height: int")
    .Attr("in_width: int")
    .Output("dx: float")
    .SetShapeFn([](InferenceContext* c) {
      int64_t h = 0, w = 0;
      TF_RETURN_IF_ERROR(c->GetAttr("in_height", &h));
      TF_RETURN_IF_ERROR(c->GetAttr("in_width", &w));
      auto dy = c->input(0);
      c->set_output(0, c->MakeShape({c->Dim(dy, 0), h, w, c->Dim(dy, 3)}));
      return absl::OkStatus();
    });

// One window row's gradient: each channel's dy goes to the left or the right cell where
// that cell (number `half` or `half + 1`) was the window's maximum; every other cell gets 0.
IBML_CLONES void Scatter(const float* g, const uint8_t* idx, int32_t half, int64_t c,
                         float* out) {
  int64_t ch = 0;
  for (; ch + 16 <= c; ch += 16) {
    const F16 gv = Load<F16>(g + ch);
    const I16 k = __builtin_convertvector(Load<U16>(idx + ch), I16);
    Store(out + ch, k == half ? gv : 0.0f);
    Store(out + c + ch, k == half + 1 ? gv : 0.0f);
  }
  for (; ch < c; ++ch) {
    const int32_t k = idx[ch];
    out[ch] = k == half ? g[ch] : 0.0f;
    out[c + ch] = k == half + 1 ? g[ch] : 0.0f;
  }
}

class MaxPool2ReluGradOp : public OpKernel {
 public:
  explicit MaxPool2ReluGradOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("in_height", &h_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("in_width", &w_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& dy = ctx->input(0);
    const Tensor& arg = ctx->input(1);
    OP_REQUIRES(ctx, dy.dims() == 4 && dy.shape() == arg.shape(),
                absl::InvalidArgumentError(
                    "IbmlMaxPool2ReluGrad: dy and argmax must be the same [B, H/2, W/2, C]"));
    const int64_t b = dy.dim_size(0), ho = dy.dim_size(1), wo = dy.dim_size(2);
    const int64_t c = dy.dim_size(3), h = h_, w = w_;
    OP_REQUIRES(ctx, ho == h / 2 && wo == w / 2,
                absl::InvalidArgumentError("IbmlMaxPool2ReluGrad: in_height/in_width do not "
                                           "match dy's [H/2, W/2]"));
    Tensor* dx = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({b, h, w, c}), &dx));
    const float* g = dy.flat<float>().data();
    const uint8_t* idx = arg.flat<uint8_t>().data();
    float* out = dx->flat<float>().data();
    // One unit: one input row; a row pair shares one output row, an odd last row gets zeros.
    Parallel(ctx, b * h, w * c * 2, [&](int64_t first, int64_t last) {
      for (int64_t r = first; r < last; ++r) {
        const int64_t n = r / h, i = r % h;
        float* o = out + r * w * c;
        if (i >= 2 * ho) {
          std::memset(o, 0, sizeof(float) * w * c);
          continue;
        }
        const int64_t src = (n * ho + i / 2) * wo * c;
        const int32_t half = static_cast<int32_t>((i % 2) * 2);  // cells 0, 1 or 2, 3
        for (int64_t j = 0; j < wo; ++j) {
          Scatter(g + src + j * c, idx + src + j * c, half, c, o + 2 * j * c);
        }
        if (w > 2 * wo) std::memset(o + 2 * wo * c, 0, sizeof(float) * c);
      }
    });
  }

 private:
  int64_t h_ = 0;
  int64_t w_ = 0;
};

REGISTER_KERNEL_BUILDER(Name("IbmlMaxPool2ReluGrad").Device(DEVICE_CPU), MaxPool2ReluGradOp);

REGISTER_OP("IbmlApplyMomentumDecay")
    .Input("var: resource")
    .Input("accum: resource")
    .Input("lr: float")
    .Input("grad: float")
    .Input("momentum: float")
    .Input("decay: float")
    .SetShapeFn([](InferenceContext*) { return absl::OkStatus(); });

class ApplyMomentumDecayOp : public OpKernel {
 public:
  explicit ApplyMomentumDecayOp(OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(OpKernelContext* ctx) override {
    tensorflow::core::RefCountPtr<tensorflow::Var> var, accum;
    OP_REQUIRES_OK(ctx, LookupResource(ctx, HandleFromInput(ctx, 0), &var));
    OP_REQUIRES_OK(ctx, LookupResource(ctx, HandleFromInput(ctx, 1), &accum));
    tensorflow::mutex_lock lock_var(*var->mu());
    tensorflow::mutex_lock lock_accum(*accum->mu());
    const Tensor& grad = ctx->input(3);
    OP_REQUIRES(ctx, var->tensor()->IsInitialized() && accum->tensor()->IsInitialized(),
                absl::FailedPreconditionError("IbmlApplyMomentumDecay: uninitialized variable"));
    OP_REQUIRES(ctx,
                var->tensor()->shape() == grad.shape() &&
                    accum->tensor()->shape() == grad.shape() &&
                    var->tensor()->dtype() == tensorflow::DT_FLOAT &&
                    accum->tensor()->dtype() == tensorflow::DT_FLOAT,
                absl::InvalidArgumentError(
                    "IbmlApplyMomentumDecay: var, accum and grad must be float32 of one shape"));
    OP_REQUIRES_OK(ctx, Unshare(ctx, var.get()));
    OP_REQUIRES_OK(ctx, Unshare(ctx, accum.get()));
    const float lr = ctx->input(2).scalar<float>()();
    const float momentum = ctx->input(4).scalar<float>()();
    const float decay = ctx->input(5).scalar<float>()();
    float* p = var->tensor()->flat<float>().data();
    float* v = accum->tensor()->flat<float>().data();
    const float* g = grad.flat<float>().data();
    const int64_t n = grad.NumElements();
    Parallel(ctx, n, 12, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) {
        const float decayed = g[i] + p[i] * decay;
        const float velocity = v[i] * momentum + decayed;
        v[i] = velocity;
        p[i] = p[i] - velocity * lr;
      }
    });
  }

 private:
  // Copies a variable's buffer first where another tensor still reads it (as TensorFlow's own
  // training ops do), so that the update never changes a value someone else holds.
  static absl::Status Unshare(OpKernelContext* ctx, tensorflow::Var* var) {
    Tensor* t = var->tensor();
    if (t->RefCountIsOne()) return absl::OkStatus();
    Tensor copy;
    TF_RETURN_IF_ERROR(ctx->allocate_temp(t->dtype(), t->shape(), &copy));
    std::memcpy(copy.flat<float>().data(), t->flat<float>().data(),
                sizeof(float) * t->NumElements());
    *t = copy;
    return absl::OkStatus();
  }
};

REGISTER_KERNEL_BUILDER(Name("IbmlApplyMomentumDecay").Device(DEVICE_CPU), ApplyMomentumDecayOp);

}  // namespace ibml

// A symbol to open the library by (src/kernels/custom_ops.ts): the ops' version.
extern "C" int ibml_ops_version() { return 1; }
