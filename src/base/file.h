#ifndef IMI_BASE_FILE_H_
#define IMI_BASE_FILE_H_

#include <string>

#include "base/result.h"

namespace imi {

// Reads a whole file. NotFound names the path when it does not exist;
// IoError when it cannot be read.
Result<std::string> ReadFileToString(const std::string& path);

// Writes `data` to `path` atomically: a temporary file in the same directory,
// fsync, rename over the target, fsync of the directory.
Status WriteFileAtomically(const std::string& path, const std::string& data);

}  // namespace imi

#endif  // IMI_BASE_FILE_H_
