// The model catalog's search order (declared in site.hpp; documented in docs/config.md and
// iot-site(5)). The installed and source-tree paths are compiled in from CMake
// (libcore/CMakeLists.txt sets them on this file only).
#include <unistd.h>

#include <cstdlib>
#include <system_error>

#include "iot/config/site.hpp"

namespace iot::config {

namespace fs = std::filesystem;

namespace {

// True when the running executable lies in the build tree it was built in (IOT_BUILD_TREE):
// then the catalog is the source tree's examples/models, so built tools work from any
// directory without being installed.
bool running_from_build_tree() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return false;
  fs::path build = fs::weakly_canonical(fs::path(IOT_BUILD_TREE), ec); // /proc/self/exe is canonical too
  if (ec) build = fs::path(IOT_BUILD_TREE).lexically_normal();
  auto b = build.begin();
  auto e = exe.begin();
  for (; b != build.end() && !b->empty(); ++b, ++e)
    if (e == exe.end() || *e != *b) return false;
  return true;
}

} // namespace

std::vector<fs::path> catalog_dirs(const fs::path& site_dir, const LoadOptions& options) {
  std::vector<fs::path> candidates;
  if (!options.models_dir.empty())
    candidates.push_back(options.models_dir);
  else if (const char* env = std::getenv("IOT_MODELS"); env && *env)
    candidates.emplace_back(env);
  if (options.beside_site) candidates.push_back((site_dir.empty() ? fs::path(".") : site_dir) / "models");
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg && fs::path(xdg).is_absolute())
    candidates.push_back(fs::path(xdg) / "iot" / "models");
  else if (const char* home = std::getenv("HOME"); home && *home)
    candidates.push_back(fs::path(home) / ".local" / "share" / "iot" / "models");
  candidates.push_back(running_from_build_tree() ? fs::path(IOT_SOURCE_MODELS) : fs::path(IOT_INSTALLED_MODELS));

  std::vector<fs::path> dirs;
  std::error_code ec;
  for (auto& c : candidates)
    if (fs::is_directory(c, ec)) dirs.push_back(std::move(c));
  return dirs;
}

} // namespace iot::config
