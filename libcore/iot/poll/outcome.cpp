#include "iot/poll/outcome.hpp"

namespace iot::poll {

namespace {
int rank(ExitCode c) {
  switch (c) {
  case ExitCode::ok: return 0;
  case ExitCode::device_exception: return 1;
  case ExitCode::protocol: return 2;
  case ExitCode::timeout: return 3;
  case ExitCode::io: return 4;
  default: return 5;
  }
}
} // namespace

void keep_worst(ExitCode& worst, ExitCode outcome) {
  if (rank(outcome) > rank(worst)) worst = outcome;
}

} // namespace iot::poll
