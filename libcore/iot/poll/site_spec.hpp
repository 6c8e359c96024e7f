#pragma once
// From a site file (iot::config::Site) to what the poller polls, and the plan text.
#include <string>
#include <vector>

#include "iot/config/site.hpp"
#include "iot/poll/spec.hpp"

namespace iot::poll {

// Every port with its enabled devices and their enabled points.
std::vector<PortSpec> ports_from_site(const config::Site& site);

// The read plan as text lines: per device the reads with their points, and a total.
std::vector<std::string> describe_plan(const std::vector<PortSpec>& ports);

}  // namespace iot::poll
