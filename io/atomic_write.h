// Writing a file so that it appears complete or not at all: the io/ writers (writePng,
// writeNpy, writeClassNames) never leave a half-written file where a reader could find it.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace dlcam::detail {

// Calls write(out) with a stream on a new temporary file beside `path` ("<path>.tmp-<pid>-<n>",
// in the same directory, so that the rename below cannot cross file systems), then renames it
// to `path`, replacing any file there. When the file cannot be created or written, or the
// rename fails, removes the temporary file and throws dlcam::Error "<who>: <path>: <why>";
// an exception from `write` removes it too and passes through unchanged.
void writeFileAtomically(const std::string& path, const std::string& who,
                         const std::function<void(std::ostream& out)>& write);

}  // namespace dlcam::detail
