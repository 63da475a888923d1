// Eigen's Tensor module with thread-pool support, for kernels. Every file that uses Eigen
// tensors includes this header (so EIGEN_USE_THREADS is the same in all of them).
#pragma once

#ifndef EIGEN_USE_THREADS
#define EIGEN_USE_THREADS
#endif
#include <unsupported/Eigen/CXX11/Tensor>
