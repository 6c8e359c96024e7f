# Compiler settings shared by every target: one INTERFACE target that all link.
add_library(iot_settings INTERFACE)
target_compile_options(iot_settings INTERFACE -Wall -Wextra -Wpedantic)
if(IOT_WERROR)
  target_compile_options(iot_settings INTERFACE -Werror)
endif()
# Debian's hardening (dpkg-buildflags with hardening=+all): every build but the sanitizer and
# fuzzing ones, so that the tests run the code as the package ships it. _FORTIFY_SOURCE needs
# an optimizing build.
if(NOT IOT_SANITIZE AND NOT IOT_FUZZ)
  set(CMAKE_POSITION_INDEPENDENT_CODE ON)
  target_compile_options(iot_settings INTERFACE
    $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2> -fstack-protector-strong -fstack-clash-protection
    -fcf-protection -Wformat -Werror=format-security)
  target_link_options(iot_settings INTERFACE -pie -Wl,-z,relro -Wl,-z,now -Wl,--as-needed)
endif()
if(IOT_SANITIZE)
  target_compile_options(iot_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                -fno-sanitize-recover=undefined)
  target_link_options(iot_settings INTERFACE -fsanitize=address,undefined)
  # GCC's flow analysis sees through ASan's instrumentation poorly and reports
  # maybe-uninitialized inside libstdc++ (<regex>, <functional>) that the
  # release build does not; -Werror there would fail on code that is not ours.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(iot_settings INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()
if(IOT_FUZZ)
  target_compile_options(iot_settings INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(iot_settings INTERFACE -fsanitize=address,undefined)
endif()
