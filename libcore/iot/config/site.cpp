// Site file loader (toml++). Work in progress: see site.hpp for the API.
#include "iot/config/site.hpp"

#include "iot/core/error.hpp"

namespace iot::config {

Site parse_site(std::string_view, const std::filesystem::path& file) {
  throw config_error(file.string() + ": site loader not implemented yet");
}

Site load_site(const std::filesystem::path& path) { return parse_site({}, path); }

std::map<std::string, Model> load_models(const std::filesystem::path& path) {
  throw config_error(path.string() + ": model loader not implemented yet");
}

}  // namespace iot::config
