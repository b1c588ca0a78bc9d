// dlcam: the whole public API in one include.
#pragma once

#include "autodiff/conv.h"
#include "autodiff/dropout.h"
#include "autodiff/elementwise.h"
#include "autodiff/linear.h"
#include "autodiff/norm.h"
#include "autodiff/pool.h"
#include "autodiff/reduce.h"
#include "autodiff/resize.h"
#include "autodiff/shape_ops.h"
#include "autodiff/softmax.h"
#include "autodiff/tape.h"
#include "core/array.h"
#include "core/dim_format.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/tensor.h"
