# dlcam's third-party dependencies all come from Debian packages; this file only finds them.
#   Eigen   libeigen3-dev   (linear algebra, GEMM)
#   doctest doctest-dev     (tests)
#   stb     libstb-dev      (image I/O: io/image.cpp)
#   OpenMP  part of g++     (threads over both cores)
#   benchmark libbenchmark-dev (micro-benchmarks, optional)
# scripts/setup.sh installs them.
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(OpenMP REQUIRED)

if(DLCAM_BUILD_TESTS)
  find_package(doctest REQUIRED)
endif()

if(DLCAM_BUILD_BENCH)
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    message(STATUS "Google Benchmark not found: bench/ is skipped (apt-get install libbenchmark-dev)")
    set(DLCAM_BUILD_BENCH OFF)
  endif()
endif()

# stb is used as headers only: io/image.cpp compiles stb_image and stb_image_write into itself
# (it explains why), so Debian's libstb.a is not linked.
find_path(STB_INCLUDE_DIR NAMES stb/stb_image.h)
if(NOT STB_INCLUDE_DIR OR NOT EXISTS "${STB_INCLUDE_DIR}/stb/stb_image_write.h")
  message(FATAL_ERROR "stb not found (stb/stb_image.h and stb/stb_image_write.h): apt-get install libstb-dev")
endif()
add_library(stb_headers INTERFACE)
target_include_directories(stb_headers SYSTEM INTERFACE ${STB_INCLUDE_DIR})
