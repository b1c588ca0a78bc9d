// Checks on paths that readers and writers share. Every reader calls requireReadableFile
// before it opens a file, so that a missing file, a directory or a file without read
// permission is reported the same way everywhere:
//
//   requireReadableFile("dog.png", "image");   // "cannot open image 'dog.png': no such file"
//
// canonicalPath tells whether two paths name one file (an output that would overwrite an input).
#pragma once

#include <string>

namespace dlcam {

// Throws dlcam::Error "cannot open <what> '<path>': <why>" unless `path` names something this
// process may read that is not a directory. why: "no such file", "it is a directory", or the
// system's reason ("Permission denied"...).
void requireReadableFile(const std::string& path, const std::string& what);

// `path` absolute, with symbolic links, "." and ".." resolved as far as the path exists: two
// spellings of one file ("./x.png", "dir/../x.png") give the same result, so that a program
// can tell that two paths would name the same file.
std::string canonicalPath(const std::string& path);

}  // namespace dlcam
