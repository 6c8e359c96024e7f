#!/usr/bin/env bash
# Acceptance test of the Debian package on a fresh Debian 12 (run by scripts/test in CI, or
# by hand as root): builds the .deb (scripts/package), checks it with lintian, installs it
# with apt-get into a minimal chroot (debootstrap --variant=minbase, cached like
# ../shared/tools/fresh-machine does), and from / checks that
#   - iot-sim tcp://127.0.0.1:0 --units 1-3 --model FC1003-8 prints its ready line (the
#     installed catalog is found from any directory);
#   - man -w iot-poll and man -w 5 iot-site find the pages;
#   - bash (bash-completion) and zsh (compinit) complete `iot-poll r<TAB>`;
#   - systemd-analyze verify accepts the installed units;
#   - apt-get remove leaves no file of the package behind (every file dpkg -L listed is
#     gone, and /var/lib/iot), and purge --autoremove brings the file tree back to what it
#     was before the install.
# Leaves no mount behind (umount in the exit trap). Usage: tests/package/deb-fresh-chroot.sh [DEB]
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
(( EUID == 0 )) || { echo "deb-fresh-chroot: needs root (chroot, mounts)" >&2; exit 2; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

deb=${1:-$(scripts/package)}
[[ -f $deb ]] || fail "no package: $deb"
step "lintian $(basename "$deb")"
lintian_out=$(lintian -I -E --pedantic --tag-display-limit 0 "$deb" 2>&1) || true
[[ -n $lintian_out ]] && echo "$lintian_out"
grep -q '^E: ' <<<"$lintian_out" && fail "lintian reports errors"

cache=/var/cache/iot-fresh; base=$cache/bookworm
if [[ ! -x $base/bin/bash ]]; then
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [[ -n $mirror ]] || mirror=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n $mirror ]] || fail "no Debian mirror in the apt sources"
  mkdir -p "$cache"; rm -rf "$base.tmp"
  step "debootstrap a minimal Debian 12 into $base"
  debootstrap --variant=minbase bookworm "$base.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    fail "debootstrap failed, see $cache/debootstrap.log"
  mv "$base.tmp" "$base"
fi
root=$(mktemp -d /var/tmp/iot-deb.XXXXXX)
cleanup() {
  local m
  for m in dev/pts dev sys proc; do mountpoint -q "$root/$m" && umount -l "$root/$m"; done
  if [[ -n ${KEEP:-} ]]; then echo "kept $root" >&2; else rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT
cp -a "$base/." "$root/"
mount -t proc proc "$root/proc"; mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"; mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/" 2>/dev/null || true
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=xterm /bin/bash -c "cd / && { $1; }"; }
export DEBIAN_FRONTEND=noninteractive

step "the checkers: man-db, bash-completion, zsh, systemd and dbus, which systemd recommends (not the package's dependencies)"
in_root 'apt-get update -qq && apt-get install -y -qq --no-install-recommends man-db bash-completion zsh systemd dbus >/dev/null' ||
  fail "cannot install the checkers"
listing() { in_root 'find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache -o -path /var/log -o -path /var/lib/systemd -o -path /run \) -prune -o -print' |
  grep -vxE '/etc/(passwd|group|shadow|gshadow|subuid|subgid)-?|/etc/ld\.so\.cache|/var/cache/man.*' | sort; }
listing >"$root/tmp/before.txt"

step "apt-get install ./$(basename "$deb")"
in_root "apt-get install -y -qq ./tmp/$(basename "$deb") >/dev/null" || fail "apt-get install failed"
in_root 'getent passwd iot >/dev/null' || fail "no iot user"
[[ $(in_root 'stat -c %a:%U /var/lib/iot') == 700:iot ]] || fail "/var/lib/iot is not 0700 iot"

step "iot-sim from /, the installed catalog"
in_root 'timeout 10 iot-sim tcp://127.0.0.1:0 --units 1-3 --model FC1003-8 --duration 2s </dev/null' >"$root/tmp/sim.out" ||
  fail "iot-sim failed: $(cat "$root/tmp/sim.out")"
grep -q '"kind":"ready"' "$root/tmp/sim.out" || fail "no ready line: $(cat "$root/tmp/sim.out")"
grep '"kind":"ready"' "$root/tmp/sim.out"

step "man pages"
in_root 'man -w iot-poll && man -w 5 iot-site && man -w 7 iot' || fail "man -w does not find the pages"

step "bash and zsh complete iot-poll r<TAB>"
cp "$src/tests/e2e/common/bash-complete.bash" "$src/tests/e2e/common/zsh-complete.zsh" "$root/tmp/"
got=$(in_root 'bash /tmp/bash-complete.bash iot-poll r' | sort | tr '\n' ' ')
[[ $got == "read run " ]] || fail "bash completes 'iot-poll r' to <$got>"
echo "bash: $got"
got=$(in_root 'zsh -f /tmp/zsh-complete.zsh /usr/share/zsh/vendor-completions "iot-poll r"')
[[ $got == *"read  -- "* && $got == *"run   -- "* ]] || fail "zsh completes 'iot-poll r' to <$got>"
echo "zsh: read, run"
# Default fpath of Debian's zsh: compinit finds _iot-poll with no help.
in_root "zsh -c 'autoload -Uz compinit && compinit -u && print \${_comps[iot-poll]}'" | grep -qx _iot-poll ||
  fail "zsh's default fpath does not find _iot-poll"
in_root 'rm -f /root/.zcompdump*'  # compinit's cache, ours, not the package's

step "systemd-analyze verify the installed units"
out=$(in_root 'systemd-analyze verify /lib/systemd/system/iot-poll@.service /lib/systemd/system/iot-archive@.service' 2>&1) ||
  fail "systemd-analyze verify: $out"
[[ -z $out ]] || fail "systemd-analyze verify printed: $out"

step "apt-get remove and purge leave nothing behind"
in_root 'dpkg -L iot' | sort >"$root/tmp/iot-files.txt"
in_root 'apt-get remove -y -qq iot >/dev/null' || fail "apt-get remove failed"
left=$(while read -r f; do if [[ -e $root$f && ! -d $root$f ]]; then echo "$f"; fi; done <"$root/tmp/iot-files.txt")
[[ -z $left ]] || fail "files of the package left after apt-get remove: $left"
for d in /var/lib/iot /usr/libexec/iot /usr/share/iot /usr/share/doc/iot; do
  [[ ! -e $root$d ]] || fail "$d left after apt-get remove"
done
echo "remove: none of the $(wc -l <"$root/tmp/iot-files.txt") paths of the package left"
in_root 'apt-get purge -y -qq --autoremove iot >/dev/null' || fail "apt-get purge failed"
listing >"$root/tmp/after-purge.txt"
diff "$root/tmp/before.txt" "$root/tmp/after-purge.txt" || fail "files left after apt-get purge --autoremove (above)"
echo "purge --autoremove: the file tree is as before the install"
echo "PASS: $(basename "$deb") installs, works from /, and removes cleanly on a fresh Debian 12"
