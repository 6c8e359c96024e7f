# One owner of the record format (issue 11): outside libcore/iot/record no code spells a
# record field name as a JSON key. Writers and readers use the constants of
# libcore/iot/record/fields.hpp (or its typed records), so a field is renamed or added in one
# place. The names are taken from fields.hpp; the patterns find a literal name
#   - given to JsonWriter as a key:        .field("device", …)  .key("raw")  .field_null("level")
#   - looked up in a parsed record:        obj["value"]  at_key("qos")  get_string(obj, "kind")
#   - inside JSON text:                    R"(,"quality":)"  "{\"ts\":"
# Comment lines are not code and are skipped.
. "$IOT_SOURCE/tests/lib.sh"
fields_hpp="$IOT_SOURCE/libcore/iot/record/fields.hpp"
names=$(grep -oE '^inline constexpr std::string_view [a-z0-9_]+\{"[a-z0-9_]+"\};' "$fields_hpp" | grep -oE '"[a-z0-9_]+"' | tr -d '"')
[[ $(wc -l <<<"$names") -gt 100 ]] || fail "found only $(wc -l <<<"$names") field names in $fields_hpp"
# A constant is named as it is spelled (fields::crc_ok is "crc_ok"): a typo cannot hide.
mismatch=$(grep -E '^inline constexpr std::string_view ' "$fields_hpp" | grep -vE 'string_view ([a-z0-9_]+)\{"\1"\};$' || true)
[[ -z $mismatch ]] || fail "constants not named as spelled: $mismatch"
alt=$(paste -sd'|' <<<"$names")
pattern="\\.(field|key|field_null)\\(\"($alt)\"|(\\[|at_key\\()\"($alt)\"|get_(string|int|bool|number)\\([a-z_.]+, \"($alt)\"\\)|\\\\?\"($alt)\\\\?\":[^ :]"
hits=$(cd "$IOT_SOURCE" && grep -rnE --include='*.cpp' --include='*.hpp' "$pattern" libcore apps |
  grep -v '^libcore/iot/record/' | grep -vE '^[^:]+:[0-9]+: *//' || true)
[[ -z $hits ]] || fail "record field names spelled as JSON keys outside libcore/iot/record:
$hits"
# The check finds what it is meant to find (a pattern that matches nothing would pass too).
probe='  w.field("device", d); r = obj["value"]; s = get_string(obj, "kind"); t = R"(,"quality":)";'
assert_eq "$(grep -cE "$pattern" <<<"$probe")" 1 "the pattern on a probe line"
assert_eq "$(grep -oE "$pattern" <<<"$probe" | wc -l)" 4 "matches in the probe line"
echo "no record field name is spelled as a JSON key outside libcore/iot/record ($(wc -l <<<"$names") names)"
