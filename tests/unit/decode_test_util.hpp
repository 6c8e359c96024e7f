#pragma once
// Helpers shared by the iot-decode unit tests: the lines a command writes.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "iot/record/output.hpp"

namespace decode_test {

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
  std::vector<std::string> lines() {
    sink.flush();
    std::ifstream in(m_path);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);)
      out.push_back(l);
    return out;
  }

private:
  char m_path[32] = "/tmp/iot-unit-decode.XXXXXX";
  int m_fd;

public:
  iot::LineSink sink;
};

} // namespace decode_test
