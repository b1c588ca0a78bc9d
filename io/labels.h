// Class-name files: one class name per line, in class-index order (line 1 is class 0), as
// exporters write them (ImageNet's synset lists, Keras/PyTorch label files).
#pragma once

#include <string>
#include <vector>

namespace dlcam {

// Reads a class-names file: one name per line, kept as written (spaces included); '\r' at a
// line end, a UTF-8 byte order mark at the start and trailing empty lines are dropped; an empty
// line before the last name is an error (it would shift every index after it). Throws
// dlcam::Error naming the path (and the line) when the file is missing or cannot be read
// (requireReadableFile, io/file_check.h), holds no names, or has an empty line among the names.
std::vector<std::string> readClassNames(const std::string& path);

// Writes names one per line, each ending in '\n', so that readClassNames reads them back. The
// file appears complete or not at all (written beside `path` and renamed). Throws dlcam::Error
// naming the path, before creating anything, when names is empty or a name is empty or
// contains a line break, and when the file cannot be written.
void writeClassNames(const std::string& path, const std::vector<std::string>& names);

}  // namespace dlcam
