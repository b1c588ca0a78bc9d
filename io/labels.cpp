#include "io/labels.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/file_check.h"

namespace dlcam {

std::vector<std::string> readClassNames(const std::string& path) {
  requireReadableFile(path, "class-names file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("readClassNames: ", path, ": cannot open the file (", std::strerror(errno), ")");
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    if (line.ends_with('\r')) line.pop_back();  // Windows line ends
    names.push_back(std::move(line));
  }
  if (in.bad()) fail("readClassNames: ", path, ": reading the file failed");
  // A byte order mark, as Windows editors save UTF-8, is not part of the first name.
  if (!names.empty() && names[0].starts_with("\xEF\xBB\xBF")) names[0].erase(0, 3);

  while (!names.empty() && names.back().empty()) names.pop_back();
  if (names.empty()) fail("readClassNames: ", path, ": the file holds no class names");
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i].empty())
      fail("readClassNames: ", path, ": line ", i + 1, " is empty; every line up to the last name must hold one ",
           "(an empty line would shift the index of every class after it)");
  return names;
}

void writeClassNames(const std::string& path, const std::vector<std::string>& names) {
  if (names.empty()) fail("writeClassNames: ", path, ": no class names to write");
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) fail("writeClassNames: ", path, ": the name of class ", i, " is empty");
    if (names[i].find_first_of("\r\n") != std::string::npos)
      fail("writeClassNames: ", path, ": the name of class ", i, " contains a line break");
  }
  detail::writeFileAtomically(path, "writeClassNames", [&](std::ostream& out) {
    for (const std::string& name : names) out << name << '\n';
  });
}

}  // namespace dlcam
