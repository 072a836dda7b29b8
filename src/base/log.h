#ifndef IMI_BASE_LOG_H_
#define IMI_BASE_LOG_H_

#include <functional>
#include <string_view>

namespace imi {

// One-line diagnostics for operators: long work starting (an index build)
// and things imi repaired or worked around on its own (an index rebuilt, a
// corrupt row left out) that are not errors of the call in progress. Written to stderr as "imi <component>: <message>"
// unless a sink is installed. Thread-safe.
void Log(std::string_view component, std::string_view message);

// Receives each formatted line (without '\n').
using LogSink = std::function<void(std::string_view line)>;
// Installs `sink` (an empty function restores stderr) and returns the one it
// replaces. For tests and for servers that format their own logs.
LogSink SetLogSink(LogSink sink);

}  // namespace imi

#endif  // IMI_BASE_LOG_H_
