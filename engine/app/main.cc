// fhir-engine: entry point; everything else lives in the libraries.
#include <iostream>
#include <string_view>
#include <vector>

#include "engine/app/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  return fhirengine::app::RunCli(args, std::cout, std::cerr);
}
