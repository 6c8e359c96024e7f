#include <catch2/catch.hpp>

#include "iot/export/csv.hpp"

#include "export_test_util.hpp"

using namespace iot;
using namespace iot::exporter;
using export_test::ScratchDir;
using export_test::slurp;

namespace {
const std::string k_input =
    R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d1","point":"p1","value":1.5,"raw":[15],"uom":"V"})"
    "\n"
    R"({"ts":"2026-11-21T08:00:01.000Z","kind":"reading","device":"d1","point":"p,2","value":"a \"b\"","quality":"ok"})"
    "\n"
    R"({"ts":"2026-11-21T08:00:02.000Z","kind":"alarm","device":"d1","point":"p1","state":"raised","level":"H"})"
    "\n"
    "not json\n"
    R"({"ts":"2026-11-21T08:00:03.000Z","kind":"frame","hex":"00"})"
    "\n"
    R"({"ts":"2026-11-21T08:00:04.000Z","kind":"bogus"})"
    "\n";
} // namespace

TEST_CASE("iot::exporter::append_cell quotes per RFC 4180 and escapes TSV") {
  std::string s;
  append_cell(s, "plain", ',');
  s += '|';
  append_cell(s, "a,b", ',');
  s += '|';
  append_cell(s, "say \"hi\"", ',');
  s += '|';
  append_cell(s, "two\nlines", ',');
  CHECK(s == "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"");
  std::string t;
  append_cell(t, "a\tb\\c\nd", '\t');
  CHECK(t == "a\\tb\\\\c\\nd");
}

TEST_CASE("iot::exporter::export_csv takes the header from the fields present") {
  ScratchDir dir;
  RecordInput input({dir.file("in.jsonl", k_input)}, false);
  CsvOptions o;
  o.output = dir.path("out.csv");
  CHECK(export_csv(input, o) == ExitCode::bad_input); // "not json" and the unknown kind
  CHECK(input.bad() == 2);
  CHECK(input.skipped() == 1); // the frame
  CHECK(slurp(o.output) == "ts,kind,device,point,value,raw,uom,quality,state,level\n"
                           "2026-11-21T08:00:00.000Z,reading,d1,p1,1.5,[15],V,,,\n"
                           "2026-11-21T08:00:01.000Z,reading,d1,\"p,2\",\"a \"\"b\"\"\",,,ok,,\n"
                           "2026-11-21T08:00:02.000Z,alarm,d1,p1,,,,,raised,H\n");
}

TEST_CASE("iot::exporter::export_csv with --fields, --alarms and TSV") {
  ScratchDir dir;
  RecordInput input({dir.file("in.jsonl", k_input)}, false);
  CsvOptions o;
  o.separator = '\t';
  o.fields = {"ts", "point", "value", "missing"};
  o.output = dir.path("out.tsv");
  o.alarms_output = dir.path("alarms.tsv");
  export_csv(input, o);
  CHECK(slurp(o.output) == "ts\tpoint\tvalue\tmissing\n"
                           "2026-11-21T08:00:00.000Z\tp1\t1.5\t\n"
                           "2026-11-21T08:00:01.000Z\tp,2\ta \"b\"\t\n");
  CHECK(slurp(o.alarms_output) == "ts\tpoint\tvalue\tmissing\n2026-11-21T08:00:02.000Z\tp1\t\t\n");
}

TEST_CASE("iot::exporter::export_csv fails when fields first seen after the scan are left out") {
  ScratchDir dir;
  std::string in = R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p","value":1})"
                   "\n"
                   R"({"ts":"2026-11-21T08:00:01.000Z","kind":"reading","device":"d","point":"p","value":2,"x":1})"
                   "\n";
  RecordInput input({dir.file("in.jsonl", in)}, false);
  CsvOptions o;
  o.scan = 1;
  o.crlf = true;
  o.output = dir.path("out.csv");
  CHECK(export_csv(input, o) == ExitCode::data_lost);
  CHECK(slurp(o.output) == "ts,kind,device,point,value\r\n"
                           "2026-11-21T08:00:00.000Z,reading,d,p,1\r\n"
                           "2026-11-21T08:00:01.000Z,reading,d,p,2\r\n");
}

TEST_CASE("iot::exporter::export_csv with scan 0 gives every field a column") {
  ScratchDir dir;
  std::string in;
  for (int i = 0; i < 1500; ++i)
    in += R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p","value":)" + std::to_string(i) +
          "}\n";
  in += R"({"ts":"2026-11-21T08:00:01.000Z","kind":"write","device":"d","point":"p","value":7,"ok":true})"
        "\n";
  RecordInput input({dir.file("in.jsonl", in)}, false);
  CsvOptions o;
  o.scan = 0;
  o.output = dir.path("out.csv");
  CHECK(export_csv(input, o) == ExitCode::ok);
  std::string out = slurp(o.output);
  CHECK(out.starts_with("ts,kind,device,point,value,ok\n"
                        "2026-11-21T08:00:00.000Z,reading,d,p,0,\n"));
  CHECK(out.ends_with("2026-11-21T08:00:00.000Z,reading,d,p,1499,\n"
                      "2026-11-21T08:00:01.000Z,write,d,p,7,true\n"));
}

TEST_CASE("iot::exporter::export_csv writes integers beyond 2^53 exactly") {
  ScratchDir dir;
  std::string in =
      R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p","value":18446744073709551615,"c":-9223372036854775808})"
      "\n";
  RecordInput input({dir.file("in.jsonl", in)}, false);
  CsvOptions o;
  o.output = dir.path("out.csv");
  CHECK(export_csv(input, o) == ExitCode::ok);
  CHECK(slurp(o.output) == "ts,kind,device,point,value,c\n"
                           "2026-11-21T08:00:00.000Z,reading,d,p,18446744073709551615,-9223372036854775808\n");
}
