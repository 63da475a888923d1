// Eigen's Tensor module with thread-pool support, for kernels. Every file that uses Eigen
// tensors includes this header (so EIGEN_USE_THREADS is the same in all of them).
#pragma once

#ifndef EIGEN_USE_THREADS
#define EIGEN_USE_THREADS
#endif
// Eigen's thread-pool code captures `this` implicitly, deprecated in C++20.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated"
#include <unsupported/Eigen/CXX11/Tensor>
#pragma GCC diagnostic pop
