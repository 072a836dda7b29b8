#ifndef IMI_SERVER_PROCESS_METRICS_H_
#define IMI_SERVER_PROCESS_METRICS_H_

#include <string>

namespace imi::server {

// Appends Prometheus' standard process series for this process, read from
// /proc/self at call time: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_start_time_seconds, process_open_fds, process_max_fds (the names
// and meanings of the Prometheus client libraries). A series whose source
// cannot be read is left out.
void AppendProcessMetrics(std::string* out);

// `value` escaped for a Prometheus label value (backslash, quote, newline).
std::string PrometheusLabelValue(const std::string& value);

}  // namespace imi::server

#endif  // IMI_SERVER_PROCESS_METRICS_H_
