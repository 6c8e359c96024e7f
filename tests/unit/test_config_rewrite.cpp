#include <catch2/catch.hpp>
#include <string>

#include "iot/config/site.hpp"

using namespace iot::config;

TEST_CASE("iot::config::rewrite_site replaces urls in place and keeps the rest") {
  const std::string text = "# comment kept\n"
                           "[site]\n"
                           "name = \"s\"   # a comment\n"
                           "models = [\"m/x.toml\", \"/abs/y.toml\"]\n"
                           "\n"
                           "[[port]]\n"
                           "name = \"bus\"\n"
                           "url = \"rtu:pty?baud=9600\"   # the bus\n"
                           "[[port.device]]\n"
                           "name = \"d\"\n"
                           "  [[port.device.point]]\n"
                           "  name = \"p\"\n"
                           "  generator = { kind = \"replay\", file = \"data/a.csv\", column = \"v\" }\n"
                           "[[port]]\n"
                           "url = \"tcp://127.0.0.1:0\"\n";
  SiteRewrite rw;
  rw.port_urls["bus"] = "rtu:/dev/pts/7?baud=9600";
  rw.port_urls["tcp://127.0.0.1:0"] = "tcp://127.0.0.1:40123";
  rw.catalog = "/opt/models";
  const std::string out = rewrite_site(text, "/work/site/site.toml", rw);
  CHECK(out == "# comment kept\n"
               "[site]\n"
               "catalog = \"/opt/models\"\n"
               "name = \"s\"   # a comment\n"
               "models = [\"/work/site/m/x.toml\", \"/abs/y.toml\"]\n"
               "\n"
               "[[port]]\n"
               "name = \"bus\"\n"
               "url = \"rtu:/dev/pts/7?baud=9600\"   # the bus\n"
               "[[port.device]]\n"
               "name = \"d\"\n"
               "  [[port.device.point]]\n"
               "  name = \"p\"\n"
               "  generator = { kind = \"replay\", file = \"/work/site/data/a.csv\", column = \"v\" }\n"
               "[[port]]\n"
               "url = \"tcp://127.0.0.1:40123\"\n");
}

TEST_CASE("iot::config::rewrite_site adds [site] when there is none") {
  const std::string out = rewrite_site("[[port]]\nurl = \"tcp://127.0.0.1:0\"\n", "s.toml", {{}, "/c"});
  CHECK(out == "[site]\ncatalog = \"/c\"\n\n[[port]]\nurl = \"tcp://127.0.0.1:0\"\n");
}
