# Every third-party dependency of the project is declared here, and only here.
# Each one is a Debian 12 package; scripts/setup installs the same list.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

find_package(CLI11 2.1 CONFIG REQUIRED)            # libcli11-dev
find_package(fmt 9 CONFIG REQUIRED)                # libfmt-dev
find_package(tomlplusplus 3 CONFIG REQUIRED)       # libtomlplusplus-dev
find_package(simdjson CONFIG REQUIRED)             # libsimdjson-dev
find_package(OpenSSL REQUIRED)                     # libssl-dev, for TLS in Paho and libmosquitto
find_package(eclipse-paho-mqtt-c CONFIG REQUIRED)  # libpaho-mqtt-dev
find_package(ZLIB REQUIRED)                        # zlib1g-dev: .jsonl.gz input

pkg_check_modules(LIBMODBUS REQUIRED IMPORTED_TARGET libmodbus)         # libmodbus-dev
pkg_check_modules(LIBSERIALPORT REQUIRED IMPORTED_TARGET libserialport) # libserialport-dev
pkg_check_modules(LIBPCAP REQUIRED IMPORTED_TARGET libpcap)             # libpcap-dev
pkg_check_modules(XLSXWRITER REQUIRED IMPORTED_TARGET xlsxwriter)       # libxlsxwriter-dev
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)             # libsqlite3-dev
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)                 # libpq-dev
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)                 # libcairo2-dev
# libpango1.0-dev: text in charts and reports. cairo's own text API draws every
# glyph from one font and has no fallback, so Chinese device names came out as
# empty boxes; Pango picks a font per character through fontconfig.
pkg_check_modules(PANGOCAIRO REQUIRED IMPORTED_TARGET pangocairo)
# libmosquitto-dev: the publishing side of iot-mqtt-bridge; Paho tops out far below
# the throughput it needs (libcore/iot/mqtt/link.hpp, docs/benchmarks.md).
pkg_check_modules(LIBMOSQUITTO REQUIRED IMPORTED_TARGET libmosquitto)

if(IOT_TESTS)
  find_package(Catch2 2 CONFIG REQUIRED)           # catch2 (v2)
endif()
