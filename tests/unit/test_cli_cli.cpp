// The command-line layer every tool shares (cli/cli.hpp): standard fds, exit
// statuses and error messages of Tool::run, --color, choices and completions.
// Tool::run installs signal handlers and may end the process's logging state,
// so each run happens in a child process whose stdout and stderr are captured.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "iot/cli/cli.hpp"
#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/record/output.hpp"

namespace {

std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    s.append(buf, static_cast<std::size_t>(n));
  }
  return s;
}

struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs `body` in a child process; its return value is the child's exit status.
Run in_child(const std::function<int()>& body) {
  int out[2], err[2];
  REQUIRE(::pipe(out) == 0);
  REQUIRE(::pipe(err) == 0);
  std::fflush(stdout); // or the child writes what the parent has buffered
  std::fflush(stderr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::close(out[0]);
    ::close(err[0]);
    ::close(out[1]);
    ::close(err[1]);
    int rc = 100;
    try {
      rc = body();
    } catch (...) {
      rc = 101; // Tool::run must not let an exception out
    }
    std::fflush(stdout);
    ::_exit(rc);
  }
  ::close(out[1]);
  ::close(err[1]);
  Run r;
  r.out = read_all(out[0]); // the outputs here are far below a pipe's capacity
  r.err = read_all(err[0]);
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  r.status = WEXITSTATUS(status);
  return r;
}

// A tool "iot-test" whose body is `main`, run with `args`.
Run run_tool(std::vector<std::string> args, std::function<iot::ExitCode()> main) {
  return in_child([&] {
    iot::cli::Tool tool("iot-test", "A tool of the unit tests");
    tool.set_main(main);
    args.insert(args.begin(), "iot-test");
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    return tool.run(static_cast<int>(args.size()), argv.data());
  });
}

bool is_dev_null(int fd) {
  struct stat st {
  }, null{};
  return ::fstat(fd, &st) == 0 && ::stat("/dev/null", &null) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == null.st_rdev;
}

} // namespace

TEST_CASE("iot::cli::reserve_standard_fds puts /dev/null in closed standard fds") {
  // All three closed: each gets /dev/null, in place, stdin read-only, the others write-only.
  Run r = in_child([] {
    ::close(0);
    ::close(1);
    ::close(2);
    iot::cli::reserve_standard_fds();
    int bad = 0;
    for (int fd = 0; fd <= 2; ++fd) {
      if (!is_dev_null(fd)) bad |= 1 << fd;
      const int mode = ::fcntl(fd, F_GETFL) & O_ACCMODE;
      if (mode != (fd == 0 ? O_RDONLY : O_WRONLY)) bad |= 8 << fd;
    }
    // The next file opened does not get a standard fd.
    if (::open("/dev/null", O_RDONLY) <= 2) bad |= 64;
    return bad;
  });
  CHECK(r.status == 0);
  // Only stdin closed: stdin becomes /dev/null; stdout and stderr stay what they were (the pipes).
  r = in_child([] {
    ::close(0);
    iot::cli::reserve_standard_fds();
    int bad = is_dev_null(0) ? 0 : 1;
    if (is_dev_null(1) || is_dev_null(2)) bad |= 2;
    return bad;
  });
  CHECK(r.status == 0);
  // Nothing closed: nothing changes.
  r = in_child([] {
    struct stat before[3]{}, after[3]{};
    for (int fd = 0; fd <= 2; ++fd)
      ::fstat(fd, &before[fd]);
    iot::cli::reserve_standard_fds();
    int bad = 0;
    for (int fd = 0; fd <= 2; ++fd) {
      ::fstat(fd, &after[fd]);
      if (before[fd].st_ino != after[fd].st_ino || before[fd].st_dev != after[fd].st_dev) bad |= 1 << fd;
    }
    return bad;
  });
  CHECK(r.status == 0);
}

TEST_CASE("iot::cli::Tool::run maps errors to exit statuses and messages") {
  struct Case {
    std::function<void()> thrower;
    int status;
    std::string err;
  };
  const std::vector<Case> cases{
      {[] { throw iot::usage_error("bad option value"); }, 2, "iot-test: error: bad option value\n"},
      {[] { throw iot::config_error("site.toml:3:1: bad key"); }, 3, "iot-test: error: site.toml:3:1: bad key\n"},
      {[] { throw iot::io_error("cannot open /dev/ttyX"); }, 4, "iot-test: error: cannot open /dev/ttyX\n"},
      {[] { throw iot::timeout_error("no answer"); }, 5, "iot-test: error: no answer\n"},
      {[] { throw iot::protocol_error("bad frame"); }, 6, "iot-test: error: bad frame\n"},
      {[] { throw iot::Error(iot::ErrorKind::device_exception, "exception 2"); }, 7, "iot-test: error: exception 2\n"},
      {[] { throw iot::data_error("line 3: not JSON"); }, 1, "iot-test: error: line 3: not JSON\n"},
      {[] { throw std::runtime_error("boom"); }, 70, "iot-test: error: internal error: boom\n"},
      {[] { throw iot::OutputClosed{}; }, 0, ""},  // the reader went away: quiet, status 0
      {[] { throw iot::StopRequested{}; }, 0, ""}, // SIGINT/SIGTERM before the work began
  };
  for (const Case& c : cases) {
    const Run r = run_tool({}, [&]() -> iot::ExitCode {
      c.thrower();
      return iot::ExitCode::ok;
    });
    CHECK(r.status == c.status);
    CHECK(r.err == c.err);
    CHECK(r.out.empty());
  }
}

TEST_CASE("iot::cli::Tool::run returns the status of the body and reports usage errors of CLI11") {
  Run r = run_tool({}, [] { return iot::ExitCode::data_lost; });
  CHECK(r.status == 8);
  CHECK(r.err.empty());
  r = run_tool({"--no-such-option"}, [] { return iot::ExitCode::ok; });
  CHECK(r.status == 2);
  CHECK(r.err.rfind("iot-test: error: ", 0) == 0);
  CHECK(r.err.find("--no-such-option") != std::string::npos);
  CHECK(r.err.ends_with("Run 'iot-test --help' for usage.\n"));
  r = run_tool({"--color", "sometimes"}, [] { return iot::ExitCode::ok; });
  CHECK(r.status == 2);
  r = run_tool({"--version"}, [] { return iot::ExitCode::io; }); // the body does not run
  CHECK(r.status == 0);
  CHECK(r.out == std::string("iot-test ") + IOT_VERSION + "\n");
}

TEST_CASE("iot::cli::Tool -v and -q set the level of diagnostics") {
  const auto level = [] {
    // The status says which levels are on: 1 warning, 2 info, 4 debug.
    return static_cast<iot::ExitCode>((iot::log::enabled(iot::log::Level::warning) ? 1 : 0) |
                                      (iot::log::enabled(iot::log::Level::info) ? 2 : 0) |
                                      (iot::log::enabled(iot::log::Level::debug) ? 4 : 0));
  };
  CHECK(run_tool({}, level).status == 1);
  CHECK(run_tool({"-v"}, level).status == 3);
  CHECK(run_tool({"-vv"}, level).status == 7);
  CHECK(run_tool({"-q"}, level).status == 0);
  const Run r = run_tool({"-q"}, [] {
    iot::log::warn("hidden");
    iot::log::error("shown {}", 1);
    return iot::ExitCode::ok;
  });
  CHECK(r.err == "iot-test: error: shown 1\n");
}

TEST_CASE("iot::cli::add_command runs the chosen subcommand and returns its status") {
  const Run r = in_child([] {
    iot::cli::Tool tool("iot-test", "A tool of the unit tests");
    tool.app().require_subcommand(1);
    iot::cli::add_command(tool, tool.app(), "one", "First", [] { return iot::ExitCode::timeout; });
    iot::cli::add_command(tool, tool.app(), "two", "Second", [] {
      iot::log::info("two ran"); // -v after the subcommand falls through to the tool
      return iot::ExitCode::protocol;
    });
    std::string a0 = "iot-test", a1 = "two", a2 = "-v";
    char* argv[] = {a0.data(), a1.data(), a2.data(), nullptr};
    return tool.run(3, argv);
  });
  CHECK(r.status == 6);
  CHECK(r.err == "iot-test: info: two ran\n");
}

TEST_CASE("iot::cli::use_color") {
  const char* saved = std::getenv("NO_COLOR");
  const std::string saved_value = saved ? saved : "";
  ::unsetenv("NO_COLOR");
  int p[2];
  REQUIRE(::pipe(p) == 0);
  CHECK_FALSE(iot::cli::use_color("never", p[1]));
  CHECK(iot::cli::use_color("always", p[1]));
  CHECK_FALSE(iot::cli::use_color("auto", p[1])); // a pipe is no terminal
  ::setenv("NO_COLOR", "1", 1);
  CHECK_FALSE(iot::cli::use_color("always", p[1])); // NO_COLOR wins
  ::setenv("NO_COLOR", "", 1);
  CHECK(iot::cli::use_color("always", p[1])); // an empty NO_COLOR does not count
  ::close(p[0]);
  ::close(p[1]);
  if (saved)
    ::setenv("NO_COLOR", saved_value.c_str(), 1);
  else
    ::unsetenv("NO_COLOR");
}

TEST_CASE("iot::cli choices and paths in completion scripts") {
  CLI::App app("A tool of the unit tests", "iot-test");
  std::string mode = "a", file;
  bool flag = false;
  CLI::Option* m = iot::cli::choices(app.add_option("--mode", mode, "The mode"), {"a", "b"});
  CLI::Option* f = iot::cli::path(app.add_option("-f,--file", file, "A file"));
  app.add_flag("--flag", flag, "A flag");
  CLI::App* sub = app.add_subcommand("show", "Show it");
  sub->add_option("--what", mode, "What to show");
  CHECK(iot::cli::completion_hint(m).choices == std::vector<std::string>{"a", "b"});
  CHECK_FALSE(iot::cli::completion_hint(m).path);
  CHECK(iot::cli::completion_hint(f).path);
  CHECK(iot::cli::completion_hint(sub->get_option("--what")).choices.empty());
  std::vector<std::string> args{"c", "--mode"};
  CHECK_THROWS_AS(app.parse(args), CLI::ValidationError); // choices() restricts

  const std::string bash = iot::cli::generate_completion(app, "iot-test", iot::cli::Shell::bash);
  CHECK(bash.rfind("# bash completion for iot-test", 0) == 0);
  CHECK(bash.find(R"(" --mode") COMPREPLY=($(compgen -W "a b" -- "$cur")); return ;;)") != std::string::npos);
  CHECK(bash.find(R"("/show --mode") COMPREPLY=($(compgen -W "a b" -- "$cur")); return ;;)") != std::string::npos);
  CHECK(bash.find(R"(COMPREPLY=($(compgen -f -- "$cur")); return ;;)") != std::string::npos);
  CHECK(bash.find("--what --mode -f --file --flag\"") != std::string::npos); // show inherits the options
  CHECK(bash.ends_with("complete -o bashdefault -F _iot_test iot-test\n"));
  const std::string zsh = iot::cli::generate_completion(app, "iot-test", iot::cli::Shell::zsh);
  CHECK(zsh.rfind("#compdef iot-test\n", 0) == 0);
  CHECK(zsh.find("'--mode[The mode]:value:(a b)'") != std::string::npos);
  CHECK(zsh.find("'--file[A file]:file:_files'") != std::string::npos);
  CHECK(zsh.find("show) _iot_test__show ;;") != std::string::npos);
  const std::string fish = iot::cli::generate_completion(app, "iot-test", iot::cli::Shell::fish);
  CHECK(fish.find("complete -c iot-test -n 'not __fish_seen_subcommand_from show' -l mode -x -a 'a b' -d 'The mode'") !=
        std::string::npos);
  CHECK(fish.find("complete -c iot-test -n '__fish_seen_subcommand_from show' -l what -x -d 'What to show'") !=
        std::string::npos);
}
