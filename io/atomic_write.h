// Writing files so that each appears complete or not at all: the io/ writers (writePng,
// writeNpy, writeClassNames) never leave a half-written file where a reader could find it, and
// a program that writes several files (dlcam explain) can replace the old ones only once it
// has written every new one:
//
//   StagedFiles files;
//   writeNpy("map.npy", map, {}, files);   // written beside map.npy under a temporary name
//   writePng("cam.png", picture, files);
//   files.commit();                        // both renamed into place; a throw before this line
//                                          // removes the temporary files, the old ones stay
//
// Every file is flushed to disk (fsync) before it is renamed, and its directory after, so a
// committed file survives a power loss as well as a crash of the process. The rename replaces
// the path itself: a path that is a symbolic link becomes a regular file (the link's target is
// untouched), created with the default permissions.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace dlcam {

class StagedFiles {
 public:
  StagedFiles() = default;
  StagedFiles(const StagedFiles&) = delete;
  StagedFiles& operator=(const StagedFiles&) = delete;
  // Removes the temporary files of a batch that was not committed.
  ~StagedFiles();

  // Calls write(out) with a stream on a new temporary file in `path`'s directory
  // (".dlcam-<pid>-<n>.tmp": short, so that it fits wherever `path` does, and on the same
  // file system, so that the rename cannot fail for crossing one), then flushes it to disk.
  // Throws dlcam::Error "<who>: <path>: <why>" when path is a directory or is staged already,
  // or when the file cannot be created or written; an exception from `write` passes through
  // unchanged. Either way that temporary file is removed; the files staged before stay.
  void stage(const std::string& path, const std::string& who, const std::function<void(std::ostream& out)>& write);

  // Renames every staged file to its path, in the order staged, replacing any file there.
  // When a rename fails (rare: the directory took the temporary file) throws dlcam::Error
  // naming the path, after removing the temporary files not yet renamed; the files renamed
  // before it stay replaced.
  void commit();

  // The paths staged and not yet committed, in order.
  std::vector<std::string> paths() const;

 private:
  struct File {
    std::string temporary, path, who;
  };
  std::vector<File> files_;
};

namespace detail {

// One file written through StagedFiles: staged, then committed.
void writeFileAtomically(const std::string& path, const std::string& who,
                         const std::function<void(std::ostream& out)>& write);

}  // namespace detail
}  // namespace dlcam
