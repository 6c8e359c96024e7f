#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "iot/acrel/meter_sim.hpp"
#include "iot/acrel/protocol.hpp"
#include "iot/record/record.hpp"

using namespace iot::acrel;

namespace {
// Decodes `record` (one mqtt record) and returns the lines written.
std::vector<std::string> decode_lines(const std::string& record, std::string& error) {
  char path[] = "/tmp/iot-unit-acrel.XXXXXX";
  const int fd = ::mkstemp(path);
  {
    iot::LineSink sink(fd);
    iot::RecordParser parser;
    decode(parser.parse_copy(record, 1), sink, error);
  }
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  ::close(fd);
  std::remove(path);
  return lines;
}
} // namespace

TEST_CASE("iot::acrel::parse_topic") {
  auto t = parse_topic("/gw/acrelHW/AWT100/data/12308017890017");
  REQUIRE(t);
  CHECK(t->sender == "gw");
  CHECK(t->product == "AWT100");
  CHECK(t->cmd == "data");
  CHECK(t->sn == "12308017890017");
  CHECK(t->leading_slash);
  auto u = parse_topic("gw/acrelHW/null/login/01234567890123");
  REQUIRE(u);
  CHECK_FALSE(u->leading_slash);
  CHECK_FALSE(parse_topic("/gw/other/x/data/1"));
  CHECK_FALSE(parse_topic("/gw/acrelHW/x/data"));
  CHECK(topic("server", "null", "para", "01234567890123") == "/server/acrelHW/null/para/01234567890123");
}

TEST_CASE("iot::acrel::time") {
  const auto t = parse_time("20200709130030");
  REQUIRE(t);
  CHECK(iot::format_ts(*t) == "2020-07-09T13:00:30.000Z");
  CHECK(format_time(*t) == "20200709130030");
  CHECK_FALSE(parse_time("2020070913003"));
  CHECK_FALSE(parse_time("20201309130030"));
}

TEST_CASE("iot::acrel::decode data") {
  // The real S4 example (ADL400 behind a gateway).
  const std::string rec =
      R"({"ts":"2022-01-19T17:39:22.000Z","kind":"mqtt","topic":"/gw/acrelHW/null/data/12109132830001","payload":)"
      R"({"type":"data","time":"20220119173921","gwSN":"12109132830001","meterSN":"12109132830003","meterName":"adl400",)"
      R"("meterStatus":"normal","ch":0,"ua":235.2,"ub":236,"uc":234.4,"ia":0.51,"ib":0.31,"ic":0.22,)"
      R"("pa":0.116,"pb":0.071,"pc":0.051,"p":0.239,"qa":0.006,"qb":0.012,"qc":0.007,"q":0.026,)"
      R"("pfa":0.998,"pfb":0.984,"pfc":0.991,"pf":0.994,"pt":1,"ct":120,"wh":193.24,"wl":0,"varh":20.21,"varl":0.01,"hz":49.88},"qos":1,"retain":false})";
  std::string error;
  const auto lines = decode_lines(rec, error);
  CHECK(error.empty());
  REQUIRE(lines.size() == 25);
  CHECK(
      lines[0] ==
      R"({"ts":"2022-01-19T17:39:21.000Z","kind":"reading","src":"/gw/acrelHW/null/data/12109132830001","device":"12109132830003","point":"ua","value":235.2,"uom":"V","quality":"ok"})");
  bool saw_wh = false;
  for (const auto& l : lines)
    if (l.find(R"("point":"wh","value":193.24,"uom":"kWh")") != std::string::npos) saw_wh = true;
  CHECK(saw_wh);
}

TEST_CASE("iot::acrel::decode status and point list") {
  std::string error;
  auto lines = decode_lines(
      R"({"kind":"mqtt","topic":"/gw/acrelHW/x/data/1","payload":{"type":"data","time":"20220119173921","meterSN":"M1","meterStatus":"missing","ua":0}})",
      error);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("kind":"status")") != std::string::npos);
  CHECK(lines[0].find(R"("device":"M1","state":"missing")") != std::string::npos);

  lines = decode_lines(
      R"({"kind":"mqtt","topic":"/gw/acrelHW/x/login/12209263660002","payload":{"ver":1011,"rssi":48,"time":"20221008105559","gwSN":"12209263660002","type":"login"}})",
      error);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("state":"login")") != std::string::npos);

  const std::string pl =
      point_list_payload("24102809510006", iot::from_epoch_us(1736871132698000), {{1, 211.4}, {7, 1.5}, {26, 50.01}});
  lines = decode_lines(R"({"kind":"mqtt","topic":"gw/acrelHW/x/data/24102809510006","payload":)" + pl + "}", error);
  REQUIRE(lines.size() == 3);
  CHECK(
      lines[0] ==
      R"({"ts":"2025-01-14T16:12:12.698Z","kind":"reading","src":"gw/acrelHW/x/data/24102809510006","device":"24102809510006","point":"ua","value":211.4,"uom":"V","quality":"ok"})");
  CHECK(lines[2].find(R"("point":"hz","value":50.01,"uom":"Hz")") != std::string::npos);

  lines = decode_lines(R"({"kind":"mqtt","topic":"t","payload":{"x":1}})", error);
  CHECK(lines.empty());
  CHECK_FALSE(error.empty());
}

TEST_CASE("iot::acrel::answer") {
  std::vector<iot::mqtt::Reply> out;
  answer("/gw/acrelHW/ADW300/login/26010100000001", login_payload("26010100000001", iot::now()), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "/server/acrelHW/ADW300/login/26010100000001");
  CHECK(out[0].payload == R"({"type":"login","res":1})");
  out.clear();
  answer("/gw/acrelHW/ADW300/para/1", R"({"type":"para","res":1})", out); // a device's ack: no reply
  answer("/gw/acrelHW/ADW300/data/1", R"({"type":"data"})", out);         // data is not answered
  CHECK(out.empty());
  answer("gw/acrelHW/p/heart/7", heart_payload("7", iot::now()), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "server/acrelHW/p/heart/7");
}

TEST_CASE("iot::acrel::default_value") {
  CHECK(default_value("26010100000003", "ua", iot::now()) == Approx(220.3));
  CHECK(default_value("26010100000012", "ia", iot::now()) == Approx(5.12));
  CHECK(sim_data_keys().size() == quantities().size());
  CHECK(sim_data_keys().size() == 71); // ids 1-72 but the ICCID (33)
}

TEST_CASE("iot::acrel point-id table covers ids 1-72 but the ICCID, each once") {
  std::vector<int> ids;
  for (const auto& p : point_ids())
    ids.push_back(p.id);
  std::vector<int> want;
  for (int i = 1; i <= 72; ++i)
    if (i != k_point_id_iccid) want.push_back(i);
  CHECK(ids == want);
  for (const auto& q : quantities())
    CHECK(data_key_of_point(q.key) == q.key);
  CHECK(data_key_of_point("thd_ua") == std::optional<std::string_view>("thdua"));
  CHECK(data_key_of_point("ep_total_valley") == std::optional<std::string_view>("wh_valley"));
  CHECK(data_key_of_point("alarm2_status") == std::optional<std::string_view>("alarm2"));
  CHECK(data_key_of_point("di3") == std::optional<std::string_view>("di3"));
  CHECK_FALSE(data_key_of_point("i_sum"));
}

TEST_CASE("iot::acrel::decode type-keyed strings, DI and unknown keys") {
  const std::string rec =
      R"({"kind":"mqtt","topic":"/gw/acrelHW/x/data/1","payload":{"type":"data","time":"20250101000000","meterSN":"M1",)"
      R"("ua":"226.0","thdua":" 2.5 ","di":10,"tempx":7,"wh_peak":"12.34","ub":"abc","flag":true}})";
  std::string error;
  iot::RecordParser parser;
  char path[] = "/tmp/iot-unit-acrel2.XXXXXX";
  const int fd = ::mkstemp(path);
  DecodeReport report;
  {
    iot::LineSink sink(fd);
    CHECK(decode(parser.parse_copy(rec, 1), sink, error, &report) == 8);
  }
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  ::close(fd);
  std::remove(path);
  CHECK(error.empty());
  REQUIRE(lines.size() == 8);
  CHECK(lines[0].find(R"("point":"ua","value":226,"uom":"V")") != std::string::npos);
  CHECK(lines[1].find(R"("point":"thdua","value":2.5,"uom":"%")") != std::string::npos);
  CHECK(lines[2].find(R"("point":"di1","value":0,)") != std::string::npos); // 10 = 0b1010
  CHECK(lines[3].find(R"("point":"di2","value":1,)") != std::string::npos);
  CHECK(lines[4].find(R"("point":"di3","value":0,)") != std::string::npos);
  CHECK(lines[5].find(R"("point":"di4","value":1,)") != std::string::npos);
  CHECK(lines[6].find(R"("point":"tempx","value":7,"quality")") != std::string::npos); // unknown: no uom
  CHECK(lines[7].find(R"("point":"wh_peak","value":12.34,"uom":"kWh")") != std::string::npos);
  REQUIRE(report.unknown.size() == 1);
  CHECK(report.unknown[0].find("tempx") != std::string::npos);
  REQUIRE(report.rejected.size() == 2); // "abc" and true are no numbers
  CHECK(report.rejected[0].find("\"ub\"") != std::string::npos);
  // Without a report the rejected values land in `error`.
  std::string error2;
  decode_lines(rec, error2);
  CHECK(error2.find("\"ub\"") != std::string::npos);
}

TEST_CASE("iot::acrel point-id payload: ICCID, DI and unknown ids") {
  const std::string pl = point_list_payload("24102809510006", iot::from_epoch_us(1736871132698000),
                                            {{41, 5}, {65, 1.5}, {99, 3}}, "89860000000000000001");
  CHECK(pl.find(R"({"id":33,"val":"89860000000000000001"},{"id":41,"val":5})") != std::string::npos);
  std::string error;
  const auto lines = decode_lines(R"({"kind":"mqtt","topic":"t","payload":)" + pl + "}", error);
  CHECK(error.empty());
  REQUIRE(lines.size() == 7); // iccid, di1-di4, wh_sharp, id99
  CHECK(lines[0].find(R"("point":"iccid","value":"89860000000000000001")") != std::string::npos);
  CHECK(lines[1].find(R"("point":"di1","value":1)") != std::string::npos);
  CHECK(lines[3].find(R"("point":"di3","value":1)") != std::string::npos);
  CHECK(lines[5].find(R"("point":"wh_sharp","value":1.5,"uom":"kWh")") != std::string::npos);
  CHECK(lines[6].find(R"("point":"id99","value":3,"quality")") != std::string::npos);
}

TEST_CASE("iot::acrel time and alarm payloads") {
  const auto t = *parse_time("20250101080000");
  CHECK(time_payload("1", t) == R"({"country":"China","utc":"0","time":"20250101080000","gwSN":"1","type":"time"})");
  CHECK(
      alarm_payload("1", "adw300", t, {{"alarm1", 1}, {"alarm2", 16}}) ==
      R"({"type":"alarm","time":"20250101080000","gwSN":"1","meterSN":"1","meterName":"adw300","alarm1":1,"alarm2":16})");
  std::string error;
  const auto lines = decode_lines(R"({"kind":"mqtt","topic":"/gw/acrelHW/x/alarm/1","payload":)" +
                                      alarm_payload("1", "adw300", t, {{"alarm1", 1}}) + "}",
                                  error);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(R"("point":"alarm1","value":1,"quality")") != std::string::npos);
}
