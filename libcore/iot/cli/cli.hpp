#pragma once
// The command-line layer every tool shares: CLI11 set-up, the common options
// (--version, -q, -v, --color, hidden --completions), error reporting and exit
// statuses. A tool's main() builds its options on top and calls run().
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"

namespace iot::cli {

struct CommonOptions {
  int verbosity = 0; // -v raises, -q lowers
  std::string color = "auto";
};

// Extra facts about options that CLI11 does not keep but completions need.
struct CompletionHint {
  std::vector<std::string> choices; // the values the option accepts, if a fixed set
  bool path = false;                // the value names a file or device
};

class Tool {
public:
  Tool(std::string name, std::string description);

  CLI::App& app() { return m_app; }
  const std::string& name() const { return m_name; }
  const CommonOptions& common() const { return m_common; }

  // Parses argv and runs the callbacks of the chosen (sub)command; maps errors
  // to exit statuses and prints them as "<tool>: error: <message>".
  int run(int argc, char** argv);

  // The body to run after parsing when the chosen command has no callback of
  // its own (tools without subcommands). It returns the exit status.
  void set_main(std::function<ExitCode()> body) { m_main = std::move(body); }

  // Registers the exit status of a subcommand's callback (CLI11 callbacks return void).
  void set_result(ExitCode code) { m_result = code; }

private:
  std::string m_name;
  CLI::App m_app;
  CommonOptions m_common;
  std::function<ExitCode()> m_main;
  ExitCode m_result = ExitCode::ok;
};

// Restricts `opt` to `choices` and remembers them for completions.
CLI::Option* choices(CLI::Option* opt, std::vector<std::string> choices);
// Offers `values` in completions without restricting the option (it may take more forms,
// e.g. aliases, that its own parser checks).
CLI::Option* completion_values(CLI::Option* opt, std::vector<std::string> values);
// Marks `opt` as taking a file or device path (completions offer files).
CLI::Option* path(CLI::Option* opt);
// The hint registered for `opt` (empty if none).
CompletionHint completion_hint(const CLI::Option* opt);

// A subcommand whose callback runs `body` and records its exit status in `tool`.
CLI::App* add_command(Tool& tool, CLI::App& parent, const std::string& name, const std::string& description,
                      std::function<ExitCode()> body);

enum class Shell { bash, zsh, fish };
// Completion script for `app` (named `name`) generated from its option tree.
std::string generate_completion(const CLI::App& app, const std::string& name, Shell shell);

// Whether to color output on `fd` given --color (auto|always|never) and NO_COLOR.
bool use_color(const std::string& setting, int fd);

// Opens /dev/null on each of fds 0, 1 and 2 that is closed (read-only for 0,
// write-only for 1 and 2), so that no file the tool opens later takes their
// place. Tool::run calls it first.
void reserve_standard_fds();

} // namespace iot::cli
