#include "base/log.h"

#include <cstdio>
#include <mutex>
#include <string>

namespace imi {

namespace {

std::mutex& SinkMutex() {
  static std::mutex mu;
  return mu;
}

LogSink& Sink() {
  static LogSink sink;
  return sink;
}

}  // namespace

void Log(std::string_view component, std::string_view message) {
  std::string line = "imi ";
  line += component;
  line += ": ";
  // One line whatever the message holds.
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  std::lock_guard<std::mutex> lock(SinkMutex());
  if (Sink()) {
    Sink()(line);
    return;
  }
  line += '\n';
  std::fputs(line.c_str(), stderr);
}

LogSink SetLogSink(LogSink sink) {
  std::lock_guard<std::mutex> lock(SinkMutex());
  LogSink previous = std::move(Sink());
  Sink() = std::move(sink);
  return previous;
}

}  // namespace imi
