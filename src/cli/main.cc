// imi: one binary, one subcommand per pipeline step. Each subcommand is
// registered from its own cmd_<name>.cc file (see commands.h).
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/version_info.h"

int main(int argc, char** argv) {
  CLI::App app{
      "imi (意味): Japanese-first text embedding, storage and search.\n"
      "Normalise, tokenise, embed, store and search text from one binary.",
      "imi"};
  app.require_subcommand(0, 1);
  app.set_version_flag("-V,--version", [] {
    // CLI11 adds its own final newline.
    std::string text = imi::cli::VersionText();
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  });
  app.footer("Run 'imi <command> --help' for a command's options.");

  int exit_code = 0;
  imi::cli::AddVersionCommand(app, &exit_code);
  imi::cli::AddServeCommand(app, &exit_code);
  imi::cli::AddEmbedCommand(app, &exit_code);
  imi::cli::AddNormalizeCommand(app, &exit_code);
  imi::cli::AddPullCommand(app, &exit_code);
  imi::cli::AddTokenizeCommand(app, &exit_code);
  imi::cli::AddSegmentCommand(app, &exit_code);
  imi::cli::AddIndexCommand(app, &exit_code);
  imi::cli::AddReindexCommand(app, &exit_code);
  imi::cli::AddSearchCommand(app, &exit_code);
  imi::cli::AddCollectionsCommand(app, &exit_code);
  imi::cli::AddConvertCommand(app, &exit_code);
  imi::cli::AddQuantizeCommand(app, &exit_code);
  imi::cli::AddCrawlCommand(app, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0; every real usage
    // error exits 2 like any other bad input, after CLI11's one-line reason.
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (app.get_subcommands().empty()) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  return exit_code;
}
