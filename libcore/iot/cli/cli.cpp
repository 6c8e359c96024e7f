#include "iot/cli/cli.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/record/output.hpp"

namespace iot::cli {

// A tool started with fd 0, 1 or 2 closed (`<&-`, some service managers) would
// hand that number to the next file it opens: a database read as stdin, records
// written into a spool file. /dev/null takes the empty places first.
void reserve_standard_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int got = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (got >= 0 && got != fd) { // lower descriptors were open after all: put it in place
      ::dup2(got, fd);
      ::close(got);
    }
  }
}

namespace {
std::map<const CLI::Option*, CompletionHint>& hints() {
  static std::map<const CLI::Option*, CompletionHint> table;
  return table;
}
} // namespace

CLI::Option* choices(CLI::Option* opt, std::vector<std::string> values) {
  opt->check(CLI::IsMember(values));
  hints()[opt].choices = std::move(values);
  return opt;
}

CLI::Option* completion_values(CLI::Option* opt, std::vector<std::string> values) {
  hints()[opt].choices = std::move(values);
  return opt;
}

CLI::Option* path(CLI::Option* opt) {
  hints()[opt].path = true;
  return opt;
}

CompletionHint completion_hint(const CLI::Option* opt) {
  auto it = hints().find(opt);
  return it == hints().end() ? CompletionHint{} : it->second;
}

bool use_color(const std::string& setting, int fd) {
  if (setting == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false; // https://no-color.org: NO_COLOR wins
  if (setting == "always") return true;
  return ::isatty(fd) == 1;
}

Tool::Tool(std::string name, std::string description) : m_name(std::move(name)), m_app(std::move(description), m_name) {
  m_app.set_version_flag("--version", std::string(m_name) + " " + IOT_VERSION, "Print the version and exit");
  m_app.add_flag("-v,--verbose", m_common.verbosity, "More diagnostics on stderr (repeat for more)");
  m_app.add_flag_function(
      "-q,--quiet", [this](std::int64_t n) { m_common.verbosity -= static_cast<int>(n); }, "Only errors on stderr");
  choices(
      m_app.add_option("--color", m_common.color, "Color on a terminal: auto, always or never (NO_COLOR is obeyed)")
          ->capture_default_str(),
      {"auto", "always", "never"});
  m_app
      .add_option_function<std::string>(
          "--completions",
          [this](const std::string& shell) {
            Shell s = shell == "zsh" ? Shell::zsh : shell == "fish" ? Shell::fish : Shell::bash;
            std::string text = generate_completion(m_app, m_name, s);
            std::fwrite(text.data(), 1, text.size(), stdout);
            throw CLI::Success();
          },
          "Write a completion script for bash, zsh or fish")
      ->group("")
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  m_app.fallthrough();
  m_app.footer("Exit status: 0 ok, 1 bad input skipped, 2 usage, 3 config, 4 io, 5 timeout, 6 protocol, "
               "7 device exception, 8 data lost. See " +
               m_name + "(1).");
}

CLI::App* add_command(Tool& tool, CLI::App& parent, const std::string& name, const std::string& description,
                      std::function<ExitCode()> body) {
  CLI::App* sub = parent.add_subcommand(name, description);
  sub->fallthrough();
  sub->callback([&tool, body = std::move(body)]() {
    log::init(tool.name(), tool.common().verbosity);
    tool.set_result(body());
  });
  return sub;
}

int Tool::run(int argc, char** argv) {
  reserve_standard_fds();
  install_signal_handlers();
  log::init(m_name, 0);
  try {
    try {
      m_app.parse(argc, argv);
    } catch (const CLI::Success& e) {
      return m_app.exit(e);
    } catch (const CLI::ParseError& e) {
      // Runtime errors thrown by our own bodies arrive here as non-CLI exceptions;
      // CLI11's own errors are all usage errors.
      log::error("{}", e.what());
      std::fprintf(stderr, "Run '%s --help' for usage.\n", m_name.c_str());
      return to_int(ExitCode::usage);
    }
    if (m_main) {
      log::init(m_name, m_common.verbosity);
      m_result = m_main();
    }
    std::fflush(stdout);
    return to_int(m_result);
  } catch (const OutputClosed&) {
    return to_int(ExitCode::ok); // the reader went away: nothing more to say
  } catch (const StopRequested&) {
    return to_int(ExitCode::ok); // SIGINT/SIGTERM before the work began: a clean stop
  } catch (const Error& e) {
    log::error("{}", e.what());
    return to_int(exit_code_for(e.kind()));
  } catch (const std::exception& e) {
    log::error("internal error: {}", e.what());
    return to_int(ExitCode::internal);
  }
}

// ---- completion scripts -------------------------------------------------

namespace {

struct OptionInfo {
  std::vector<std::string> names; // "-v", "--verbose"
  std::string description;
  bool takes_value = false;
  CompletionHint hint;
};

struct CommandInfo {
  std::string path; // "" for the tool, "frame", "export/csv"
  std::string name;
  std::string description;
  std::vector<OptionInfo> options;
  std::vector<std::pair<std::string, std::string>> subcommands; // name, description
  bool positional_path = false;
};

bool is_hidden(const CLI::Option* opt) { return opt->get_group().empty(); }

void collect(const CLI::App& app, const std::string& path, std::vector<CommandInfo>& out) {
  CommandInfo info;
  info.path = path;
  info.name = app.get_name();
  info.description = app.get_description();
  for (const CLI::Option* opt : app.get_options()) {
    if (is_hidden(opt)) continue;
    if (!opt->nonpositional()) {
      if (completion_hint(opt).path) info.positional_path = true;
      continue;
    }
    OptionInfo o;
    for (const auto& s : opt->get_snames())
      o.names.push_back("-" + s);
    for (const auto& l : opt->get_lnames())
      o.names.push_back("--" + l);
    o.description = opt->get_description();
    o.takes_value = opt->get_expected_max() > 0; // flags expect 0 values (their type size is 1 all the same)
    o.hint = completion_hint(opt);
    info.options.push_back(std::move(o));
  }
  // Options of ancestors fall through to subcommands in our tools; repeat them.
  std::vector<const CLI::App*> subs = app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); });
  for (const CLI::App* sub : subs)
    info.subcommands.emplace_back(sub->get_name(), sub->get_description());
  out.push_back(info);
  for (const CLI::App* sub : subs) {
    std::vector<CommandInfo> children;
    collect(*sub, path.empty() ? sub->get_name() : path + "/" + sub->get_name(), children);
    for (auto& child : children) {
      // Inherit the parent's options (fallthrough), without duplicates.
      for (const auto& po : info.options) {
        bool dup = false;
        for (const auto& co : child.options)
          if (co.names == po.names) dup = true;
        if (!dup) child.options.push_back(po);
      }
      out.push_back(std::move(child));
    }
  }
}

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

std::string fn_name(const std::string& tool) {
  std::string f = "_";
  for (char c : tool)
    f += (c == '-' ? '_' : c);
  return f;
}

std::string sanitize(std::string s, const std::string& drop) {
  std::string out;
  for (char c : s) {
    if (drop.find(c) != std::string::npos) continue;
    if (c == '\n') c = ' ';
    out += c;
  }
  return out;
}

std::string bash_script(const std::vector<CommandInfo>& cmds, const std::string& tool) {
  std::string f = fn_name(tool);
  std::string s = "# bash completion for " + tool + "; generated by `" + tool + " --completions bash`, do not edit.\n";
  s += f + "() {\n";
  s += "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"\" path=\"\" i w\n";
  s += "  ((COMP_CWORD > 0)) && prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n";
  s += "  for ((i = 1; i < COMP_CWORD; i++)); do\n    w=\"${COMP_WORDS[i]}\"\n    case \"$path/$w\" in\n";
  std::vector<std::string> paths;
  for (const auto& c : cmds)
    if (!c.path.empty()) paths.push_back("/" + c.path);
  if (!paths.empty()) s += "      " + join(paths, "|") + ") path=\"${path}/$w\" ;;\n";
  s += "    esac\n  done\n";
  // Values of options.
  s += "  case \"$path $prev\" in\n";
  for (const auto& c : cmds) {
    for (const auto& o : c.options) {
      if (!o.takes_value) continue;
      std::string pat;
      for (const auto& n : o.names)
        pat += (pat.empty() ? "" : "|") + std::string("\"") + (c.path.empty() ? "" : "/" + c.path) + " " + n + "\"";
      if (!o.hint.choices.empty())
        s += "    " + pat + ") COMPREPLY=($(compgen -W \"" + join(o.hint.choices) + "\" -- \"$cur\")); return ;;\n";
      else if (o.hint.path)
        s += "    " + pat + ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
      else
        s += "    " + pat + ") COMPREPLY=(); return ;;\n";
    }
  }
  s += "  esac\n";
  s += "  local words=\"\" files=0\n  case \"$path\" in\n";
  for (const auto& c : cmds) {
    std::vector<std::string> w;
    for (const auto& sc : c.subcommands)
      w.push_back(sc.first);
    for (const auto& o : c.options)
      for (const auto& n : o.names)
        w.push_back(n);
    s += "    \"" + (c.path.empty() ? std::string() : "/" + c.path) + "\") words=\"" + join(w) + "\"";
    if (c.positional_path) s += "; files=1";
    s += " ;;\n";
  }
  s += "  esac\n";
  s += "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n";
  s += "  if ((files)) && [[ $cur != -* ]]; then COMPREPLY+=($(compgen -f -- \"$cur\")); fi\n";
  s += "}\ncomplete -o bashdefault -F " + f + " " + tool + "\n";
  return s;
}

std::string zsh_option_specs(const CommandInfo& c) {
  std::string s;
  for (const auto& o : c.options) {
    std::string desc = sanitize(o.description, "[]:'\\`$");
    std::string value;
    if (o.takes_value) {
      if (!o.hint.choices.empty())
        value = ":value:(" + join(o.hint.choices) + ")";
      else if (o.hint.path)
        value = ":file:_files";
      else
        value = ":value: ";
    }
    for (const auto& n : o.names)
      s += "    '" + n + "[" + desc + "]" + value + "' \\\n";
  }
  return s;
}

std::string zsh_script(const std::vector<CommandInfo>& cmds, const std::string& tool) {
  std::string s = "#compdef " + tool + "\n# zsh completion for " + tool + "; generated by `" + tool +
                  " --completions zsh`, do not edit.\n\n";
  for (const auto& c : cmds) {
    std::string fn = fn_name(tool) + (c.path.empty() ? "" : "__" + sanitize(c.path, ""));
    for (char& ch : fn)
      if (ch == '/' || ch == '-') ch = '_';
    s += fn + "() {\n";
    if (c.subcommands.empty()) {
      s += "  _arguments -s \\\n" + zsh_option_specs(c);
      s += c.positional_path ? "    '*:file:_files'\n" : "    '*: :'\n";
    } else {
      s += "  local curcontext=\"$curcontext\" state line\n  local -a commands\n  commands=(\n";
      for (const auto& sc : c.subcommands)
        s += "    '" + sc.first + ":" + sanitize(sc.second, "'\\:") + "'\n";
      s += "  )\n  _arguments -C -s \\\n" + zsh_option_specs(c);
      s += "    '1: :->command' \\\n    '*:: :->args'\n";
      s += "  case $state in\n    command) _describe -t commands command commands ;;\n";
      s += "    args)\n      case $line[1] in\n";
      for (const auto& sc : c.subcommands) {
        std::string child = fn + "__" + sc.first;
        for (char& ch : child)
          if (ch == '-') ch = '_';
        s += "        " + sc.first + ") " + child + " ;;\n";
      }
      s += "      esac ;;\n  esac\n";
    }
    s += "}\n\n";
  }
  s += fn_name(tool) + " \"$@\"\n";
  return s;
}

std::string fish_script(const std::vector<CommandInfo>& cmds, const std::string& tool) {
  std::string s = "# fish completion for " + tool + "; generated by `" + tool + " --completions fish`, do not edit.\n";
  s += "complete -c " + tool + " -f\n";
  std::vector<std::string> all_subs;
  for (const auto& c : cmds)
    for (const auto& sc : c.subcommands)
      all_subs.push_back(sc.first);
  for (const auto& c : cmds) {
    std::string cond;
    if (c.path.empty()) {
      cond = all_subs.empty() ? "" : "not __fish_seen_subcommand_from " + join(all_subs);
    } else {
      std::string last = c.path.substr(c.path.rfind('/') == std::string::npos ? 0 : c.path.rfind('/') + 1);
      cond = "__fish_seen_subcommand_from " + last;
    }
    std::string n = cond.empty() ? "" : " -n '" + cond + "'";
    for (const auto& sc : c.subcommands)
      s += "complete -c " + tool + n + " -a " + sc.first + " -d '" + sanitize(sc.second, "'") + "'\n";
    for (const auto& o : c.options) {
      std::string line = "complete -c " + tool + n;
      for (const auto& name : o.names)
        line += (name.rfind("--", 0) == 0 ? " -l " + name.substr(2) : " -s " + name.substr(1));
      if (o.takes_value) {
        if (!o.hint.choices.empty())
          line += " -x -a '" + join(o.hint.choices) + "'";
        else if (o.hint.path)
          line += " -r -F";
        else
          line += " -x";
      }
      line += " -d '" + sanitize(o.description, "'") + "'";
      s += line + "\n";
    }
    if (c.positional_path) s += "complete -c " + tool + n + " -F\n";
  }
  return s;
}

} // namespace

std::string generate_completion(const CLI::App& app, const std::string& name, Shell shell) {
  std::vector<CommandInfo> cmds;
  collect(app, "", cmds);
  switch (shell) {
  case Shell::bash: return bash_script(cmds, name);
  case Shell::zsh: return zsh_script(cmds, name);
  case Shell::fish: return fish_script(cmds, name);
  }
  return {};
}

} // namespace iot::cli
