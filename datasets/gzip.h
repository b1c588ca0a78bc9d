// gzip (RFC 1952) decompression for the data set readers, with stb_image's zlib decoder (no
// zlib dependency). Internal to datasets/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dlcam::datasets::detail {

// Whether the bytes start with gzip's magic number (1f 8b).
bool isGzip(std::string_view bytes);

// The contents of a one-member gzip file. Checks the header (method 8 = deflate, no reserved
// flags, the optional extra field, name, comment and header CRC), inflates the deflate stream
// and checks the trailer's CRC-32 and length against the output. Throws dlcam::Error
// "<what>: <path>: <why>" for any fault.
std::string gunzip(std::string_view bytes, const std::string& path, const char* what);

// CRC-32 as gzip and PNG use it (polynomial 0xEDB88320, reflected, initial and final xor ~0).
uint32_t crc32(std::string_view bytes);

}  // namespace dlcam::datasets::detail
