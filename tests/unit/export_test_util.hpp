#pragma once
// Helpers shared by the iot-export unit tests: scratch files in a private directory.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace export_test {

class ScratchDir {
public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/iot-export-unit-XXXXXX";
    m_path = ::mkdtemp(templ.data());
  }
  ~ScratchDir() { std::filesystem::remove_all(m_path); }
  std::string file(const std::string& name, const std::string& content) const {
    std::string p = m_path + "/" + name;
    std::ofstream(p) << content;
    return p;
  }
  std::string path(const std::string& name) const { return m_path + "/" + name; }

private:
  std::string m_path;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace export_test
