# The CUDA backend (kernels/cuda): built when nvcc, the CUDA runtime, cuBLAS and cuDNN are
# all found, unless -DDLCAM_CUDA=OFF. A build with it runs on machines without a GPU too:
# core/device.h then reports why no GPU can be used, and everything runs on the CPU.
#   nvcc, cudart, cuBLAS   the CUDA toolkit (/usr/local/cuda, or CUDAToolkit_ROOT)
#   cuDNN 9                its headers and libcudnn (in the toolkit, under CUDNN_ROOT, or from
#                          the nvidia-cudnn Python wheel: scripts/gpu_check.sh finds it)
# Sets DLCAM_HAVE_CUDA.
option(DLCAM_CUDA "Build the CUDA backend when nvcc, cuBLAS and cuDNN are found" ON)
set(DLCAM_HAVE_CUDA OFF)
if(DLCAM_CUDA)
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    find_package(CUDAToolkit QUIET)
    find_path(CUDNN_INCLUDE_DIR cudnn.h
              HINTS ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_INCLUDE_DIRS} PATH_SUFFIXES include)
    find_library(CUDNN_LIBRARY NAMES cudnn libcudnn.so.9
                 HINTS ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_LIBRARY_DIR} PATH_SUFFIXES lib lib64)
    if(CUDAToolkit_FOUND AND TARGET CUDA::cublas AND CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY)
      # SASS for Turing (sm_75) and Hopper (sm_90), PTX for later chips; override with
      # -DCMAKE_CUDA_ARCHITECTURES=native on a machine with a GPU.
      if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
        set(CMAKE_CUDA_ARCHITECTURES 75 90)
      endif()
      enable_language(CUDA)
      # C++20 as for the host code. CMake 3.25 does not know nvcc 13's flag for it, so it is
      # told here.
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA_STANDARD 20)
      set(CMAKE_CUDA_STANDARD_REQUIRED ON)
      string(APPEND CMAKE_CUDA_FLAGS " --expt-relaxed-constexpr")
      set(DLCAM_HAVE_CUDA ON)
      message(STATUS "dlcam: CUDA backend ON (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, cuDNN ${CUDNN_INCLUDE_DIR})")
    else()
      message(STATUS "dlcam: CUDA backend OFF: nvcc found but not cuBLAS and cuDNN (cudnn.h: ${CUDNN_INCLUDE_DIR}, "
                     "libcudnn: ${CUDNN_LIBRARY}); set CUDNN_ROOT")
    endif()
  else()
    message(STATUS "dlcam: CUDA backend OFF: no nvcc")
  endif()
else()
  message(STATUS "dlcam: CUDA backend OFF (DLCAM_CUDA=OFF)")
endif()
