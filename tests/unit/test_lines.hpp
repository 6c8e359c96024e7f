#pragma once
// Lines in and out of libcore, for unit tests: what a LineSink wrote, and a line
// as LineReader hands it to a parser.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "iot/record/output.hpp"

namespace iot_test {

// Collects the lines a LineSink writes (through a temporary file, as a tool writes stdout).
class CapturedLines {
public:
  CapturedLines() : m_fd(::mkstemp(m_path)), sink(m_fd) {}
  ~CapturedLines() {
    ::close(m_fd);
    std::remove(m_path);
  }
  CapturedLines(const CapturedLines&) = delete;
  CapturedLines& operator=(const CapturedLines&) = delete;
  // Everything written so far, a string per line (without its '\n').
  std::vector<std::string> lines() {
    sink.flush();
    std::ifstream in(m_path);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);)
      out.push_back(l);
    return out;
  }
  // Everything written so far, as one text.
  std::string text() {
    sink.flush();
    std::ifstream in(m_path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

private:
  char m_path[32] = "/tmp/iot-unit-lines.XXXXXX";
  int m_fd;

public:
  iot::LineSink sink;
};

// A line as LineReader hands it over: with room for simdjson's padding past its end.
inline std::string padded(std::string s) {
  s.append(64, '\0');
  s.resize(s.size() - 64);
  return s;
}

} // namespace iot_test
