// rewrite_site: edits a site file's text in place of the values it changes, so comments and
// layout survive (a TOML writer would lose them).
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

#include "iot/config/site.hpp"
#include "iot/core/error.hpp"
#include "iot/record/json_writer.hpp"

namespace iot::config {

namespace fs = std::filesystem;

namespace {

struct Edit {
  std::size_t begin = 0, end = 0; // byte offsets in the text
  std::string text;
};

// Byte offsets of the start of each line (line 1 at index 0).
std::vector<std::size_t> line_starts(std::string_view text) {
  std::vector<std::size_t> starts{0};
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts.push_back(i + 1);
  return starts;
}

// TOML strings are JSON strings for what we write (paths, urls): escape the same way.
std::string toml_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

class Rewriter {
public:
  Rewriter(std::string_view text, const fs::path& file) : m_text(text), m_starts(line_starts(text)), m_file(file) {}

  // Replaces the value `n` (a single-line string) with `value`.
  void replace(const toml::node& n, std::string_view value) {
    const auto& r = n.source();
    const std::size_t b = offset(r.begin), e = offset(r.end);
    if (b >= e || e > m_text.size()) throw config_error(m_file.string() + ": cannot rewrite a value");
    m_edits.push_back({b, e, toml_string(value)});
  }
  void insert_line_after(std::size_t line, std::string text) {
    const std::size_t at = line < m_starts.size() ? m_starts[line] : m_text.size();
    m_edits.push_back({at, at, std::move(text)});
  }
  void prepend(std::string text) { m_edits.push_back({0, 0, std::move(text)}); }

  // A relative path in the string `n` made absolute against the site file's directory.
  void absolute_path(const toml::node* n) {
    if (n == nullptr || !n->is_string()) return;
    const fs::path p(n->as_string()->get());
    if (p.is_absolute()) return;
    std::error_code ec;
    replace(*n, fs::absolute(m_file.parent_path() / p, ec).lexically_normal().string());
  }

  // Generator files anywhere below `n` ([[model.point]], [[port.device.point]]).
  void generator_files(const toml::node& n) {
    if (const toml::table* t = n.as_table()) {
      if (const toml::table* g = t->get_as<toml::table>("generator")) absolute_path(g->get("file"));
      for (const auto& [k, v] : *t)
        if (k.str() != "generator") generator_files(v);
    } else if (const toml::array* a = n.as_array()) {
      for (const auto& e : *a)
        generator_files(e);
    }
  }

  std::string apply() {
    std::sort(m_edits.begin(), m_edits.end(), [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
    std::string out(m_text);
    for (const auto& e : m_edits)
      out.replace(e.begin, e.end - e.begin, e.text);
    return out;
  }

private:
  std::size_t offset(const toml::source_position& p) const {
    if (p.line == 0 || p.line > m_starts.size()) return m_text.size() + 1;
    // Columns count characters (code points), not bytes: walk the line.
    std::size_t i = m_starts[p.line - 1];
    for (std::uint32_t col = 1; col < p.column && i < m_text.size(); ++col) {
      ++i;
      while (i < m_text.size() && (static_cast<unsigned char>(m_text[i]) & 0xC0) == 0x80)
        ++i;
    }
    return i;
  }

  std::string_view m_text;
  std::vector<std::size_t> m_starts;
  fs::path m_file;
  std::vector<Edit> m_edits;
};

} // namespace

std::string rewrite_site(std::string_view text, const fs::path& file, const SiteRewrite& rewrite) {
  toml::table root;
  try {
    root = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    throw config_error(fmt::format("{}: {}", file.string(), e.description()));
  }
  Rewriter rw(text, file);
  if (const toml::array* ports = root.get_as<toml::array>("port")) {
    for (const auto& pn : *ports) {
      const toml::table* port = pn.as_table();
      if (port == nullptr) continue;
      const toml::node* url = port->get("url");
      if (url == nullptr || !url->is_string()) continue;
      const toml::node* name = port->get("name");
      const std::string key = name && name->is_string() ? name->as_string()->get() : url->as_string()->get();
      if (auto it = rewrite.port_urls.find(key); it != rewrite.port_urls.end()) rw.replace(*url, it->second);
    }
  }
  const toml::table* site = root.get_as<toml::table>("site");
  if (site != nullptr)
    if (const toml::array* models = site->get_as<toml::array>("models"))
      for (const auto& m : *models)
        rw.absolute_path(&m);
  rw.generator_files(root);
  if (!rewrite.catalog.empty()) {
    std::error_code ec;
    const std::string line =
        "catalog = " + toml_string(fs::absolute(rewrite.catalog, ec).lexically_normal().string()) + "\n";
    if (site != nullptr && site->get("catalog") != nullptr)
      rw.replace(*site->get("catalog"), fs::absolute(rewrite.catalog, ec).lexically_normal().string());
    else if (site != nullptr && site->source().begin.line > 0)
      rw.insert_line_after(site->source().begin.line, line); // the line after the [site] header
    else
      rw.prepend("[site]\n" + line + "\n");
  }
  return rw.apply();
}

} // namespace iot::config
