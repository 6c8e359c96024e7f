# The systemd units pass `systemd-analyze verify` with no output at all (an unknown key
# only warns, with status 0, so any stderr line fails the test), and so do their
# Documentation= man pages. The units name /usr/libexec/iot/...; here they are checked with
# that directory mapped to a staged install (DESTDIR=$T/root cmake --install: nothing
# outside $T is touched).
. "$IOT_SOURCE/tests/lib.sh"
need systemd-analyze
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$IOT_BUILD/CMakeCache.txt")
[[ $prefix == /usr ]] || fail "the build's install prefix is $prefix; the units are checked for /usr"
DESTDIR=$T/root cmake --install "$IOT_BUILD" >/dev/null || fail "cmake --install failed"
units=()
mkdir -p "$T/units"
for unit in iot-poll@.service iot-archive@.service; do
  src=$IOT_BUILD/packaging/$unit
  [[ -f $src ]] || fail "no unit $src"
  sed "s#/usr/libexec/iot/#$T/root/usr/libexec/iot/#g" "$src" >"$T/units/$unit"
  units+=("$T/units/$unit")
done
# The Documentation= pages, from the staged install.
out=$(MANPATH=$T/root/usr/share/man systemd-analyze verify "${units[@]}" 2>&1) || fail "systemd-analyze verify failed: $out"
[[ -z $out ]] || fail "systemd-analyze verify printed: $out"
# The hardening the units promise (deploy notes): the iot user, state under /var/lib/iot,
# private files, restarts.
for u in "${units[@]}"; do
  for line in User=iot UMask=0077 StateDirectoryMode=0700 Restart=on-failure StandardInput=null NoNewPrivileges=yes \
    ProtectSystem=strict; do
    grep -qx "$line" "$u" || fail "$(basename "$u") lacks $line"
  done
done
# The wrappers are valid bash and stop on a failing poller (pipefail).
for w in iot-poll-to-mqtt iot-archive; do
  bash -n "$T/root/usr/libexec/iot/$w" || fail "$w: syntax"
  grep -q 'set -euo pipefail' "$T/root/usr/libexec/iot/$w" || fail "$w: no pipefail"
done
echo "units verified: ${units[*]##*/}"
