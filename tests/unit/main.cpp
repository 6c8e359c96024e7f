// The one translation unit that defines Catch2's main (Catch2 v2).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
