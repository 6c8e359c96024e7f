#!/usr/bin/env bash
# report and chart with Chinese names: iot-sim serves a site whose devices and
# points are named in Chinese, iot-poll reads it and writes a relay (operation
# records), and iot-export turns that output into a report. The names must be
# drawn with a CJK font (pdffonts) and come back out as text (pdftotext), and the
# writes are listed in the operations section.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq pdffonts pdftotext pdftoppm fc-list
port=$(free_port)
cat >"$T/site.toml" <<TOML
[site]
name = "江阴燃气站"
[[port]]
name = "总线1"
url = "tcp://127.0.0.1:$port"
interval = "100ms"
[[port.device]]
name = "1号控制器"
unit = 1
[[port.device.point]]
name = "甲烷浓度"
addr = "hr:0"
uom = "%LEL"
[[port.device.point]]
name = "排风机"
addr = "coil:0"
writable = true
TOML
start_sim sim "$T/site.toml"
open_input poll
bg_in poll "$T/poll.in" iot-poll run -c "$T/site.toml" --format jsonl --allow-write --exit-on-eof
wait_for_line "$T/poll.out" '"point":"甲烷浓度"' 10
echo '{"kind":"write","device":"1号控制器","point":"排风机","value":true,"id":"开风机"}' >&"$poll_fd"
wait_for_line "$T/poll.out" '"kind":"write".*"point":"排风机"' 5
echo '{"kind":"write","device":"1号控制器","point":"甲烷浓度","value":5}' >&"$poll_fd"
wait_for_line "$T/poll.out" '"kind":"write".*"point":"甲烷浓度"' 5
wait_for_line "$T/poll.out" '"point":"排风机","addr":"coil:0","value":true' 5
exec {poll_fd}>&-
for _ in $(seq 50); do kill -0 "$poll_pid" 2>/dev/null || break; sleep 0.1; done
assert_eq "$(jq -c 'select(.kind=="write") | [.point, .ok]' "$T/poll.out" | tr '\n' ' ')" \
  '["排风机",true] ["甲烷浓度",false] ' "the writes iot-poll made"

# A linked write names its cause (as [[link]] writes do); the report shows it.
jq -c 'select(.kind=="write" and .ok) | .ts = "2026-12-31T23:59:59.000Z" | .point = "排风机2" | .cause = "1号控制器.甲烷浓度 HH"' \
  "$T/poll.out" >>"$T/poll.out"
iot-export report "$T/poll.out" -o "$T/r.pdf" --title "燃气站日报" --site 江阴燃气站
# A font with Chinese glyphs is embedded: one fontconfig lists for lang=zh.
fonts=$(pdffonts "$T/r.pdf")
cjk=$(fc-list :lang=zh family | tr ',' '\n' | tr -d ' ' | grep -v '^$' | sort -u)
[[ -n $cjk ]] || fail "no CJK font installed (scripts/setup installs fonts-wqy-microhei)"
found=
while read -r fam; do
  grep -qiF -- "$fam" <<<"$(tr -d ' ' <<<"$fonts")" && found=$fam
done <<<"$cjk"
[[ -n $found ]] || fail "no CJK font in the report; pdffonts says: $fonts"
text=$(pdftotext -layout "$T/r.pdf" -)
assert_contains "$text" "燃气站日报"
assert_contains "$text" "Site: 江阴燃气站"
assert_contains "$text" "1号控制器"
assert_contains "$text" "甲烷浓度"
# Operations: the relay write (ok, with the command's id as its cause) and the
# refused write of a read-only point with its error.
assert_contains "$text" "Operations"
row=$(grep -E '1号控制器 +排风机 +coil:0 +true +ok' <<<"$text") || fail "no operation row for the relay in: $text"
grep -qE '1号控制器 +甲烷浓度 .* 5 +.*writable' <<<"$text" || fail "no operation row for the refused write"
grep -qE '1号控制器 +排风机2 +coil:0 +true +ok +1号控制器.甲烷浓度 HH' <<<"$text" || fail "no cause of the linked write"
assert_contains "$text" "3 operation records"
pages=$(pdfinfo "$T/r.pdf" | awk '/^Pages:/ {print $2}')
assert_eq "$(grep -c "page [0-9]* of $pages" <<<"$text")" "$pages" "'page N of $pages' on every page"

# The chart draws the names with the CJK font too.
iot-export chart "$T/poll.out" -o "$T/c.pdf" --point 甲烷浓度
assert_contains "$(pdftotext "$T/c.pdf" -)" "1号控制器/甲烷浓度"
grep -qiF -- "$found" <<<"$(pdffonts "$T/c.pdf" | tr -d ' ')" || fail "no CJK font in the chart: $(pdffonts "$T/c.pdf")"
# And the pages render.
pdftoppm -r 30 -png "$T/r.pdf" "$T/page"
ls "$T"/page-*.png >/dev/null 2>&1 || fail "pdftoppm rendered no page"
