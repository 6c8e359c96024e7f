#pragma once
// The message of the iot::Error a call throws, for tests of error messages.
#include <catch2/catch.hpp>
#include <string>

#include "iot/core/error.hpp"

// The message of the iot::Error that `f` throws, after checking its kind; fails
// the test when `f` throws nothing (a call that should have been refused).
template <typename F> std::string error_message(iot::ErrorKind kind, F&& f) {
  try {
    f();
  } catch (const iot::Error& e) {
    CHECK(e.kind() == kind);
    return e.what();
  }
  FAIL("no error");
  return {};
}

// The message of the usage error `f` throws (a bad option value).
template <typename F> std::string usage_message(F&& f) { return error_message(iot::ErrorKind::usage, f); }
