#include "server/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace imi::server {

namespace {

void AppendGauge(std::string* out, const char* name, const char* type, const char* help, double value) {
  char number[64];
  std::snprintf(number, sizeof(number), "%.17g", value);
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + number +
          "\n";
}

// Fields of /proc/self/stat after the command name, numbered as in proc(5)
// (field 3, the state, is the first returned).
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  const size_t close = line.rfind(')');  // the command name may hold spaces and ')'
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  while (rest >> field) fields.push_back(field);
  return fields;
}

// Seconds since the epoch at boot (btime of /proc/stat), or -1.
double BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && (in >> value)) return value;
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

int OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the descriptor opendir itself holds
}

// The soft limit of "Max open files" in /proc/self/limits, or -1.
double MaxFds() {
  std::ifstream in("/proc/self/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(14));
    std::string soft;
    fields >> soft;
    if (soft == "unlimited") return -1;
    try {
      return std::stod(soft);
    } catch (...) {
      return -1;
    }
  }
  return -1;
}

}  // namespace

void AppendProcessMetrics(std::string* out) {
  const std::vector<std::string> f = StatFields();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24 (1-based,
  // so index n - 3 here).
  if (f.size() > 21 && ticks > 0) {
    try {
      AppendGauge(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
                  (std::stod(f[11]) + std::stod(f[12])) / ticks);
      const double boot = BootTime();
      if (boot >= 0) {
        AppendGauge(out, "process_start_time_seconds", "gauge",
                    "Start time of the process since unix epoch in seconds.", boot + std::stod(f[19]) / ticks);
      }
      AppendGauge(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", std::stod(f[20]));
      AppendGauge(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                  std::stod(f[21]) * page);
    } catch (...) {
      // A malformed /proc line: leave the remaining series out.
    }
  }
  const int open = OpenFds();
  if (open >= 0) AppendGauge(out, "process_open_fds", "gauge", "Number of open file descriptors.", open);
  const double max = MaxFds();
  if (max >= 0) AppendGauge(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", max);
}

std::string PrometheusLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace imi::server
