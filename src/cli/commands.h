#ifndef IMI_CLI_COMMANDS_H_
#define IMI_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace imi::cli {

// Each subcommand lives in its own file (cmd_<name>.cc) and registers itself
// on the root app through one of these functions. The registered callback
// stores the process exit code in *exit_code (0 on success; otherwise the
// code from ExitCodeFor after printing one line "imi <cmd>: <reason>" to
// stderr).
void AddVersionCommand(CLI::App& app, int* exit_code);
void AddServeCommand(CLI::App& app, int* exit_code);
void AddEmbedCommand(CLI::App& app, int* exit_code);
void AddNormalizeCommand(CLI::App& app, int* exit_code);
void AddPullCommand(CLI::App& app, int* exit_code);
void AddTokenizeCommand(CLI::App& app, int* exit_code);
void AddIndexCommand(CLI::App& app, int* exit_code);
void AddSearchCommand(CLI::App& app, int* exit_code);
void AddCollectionsCommand(CLI::App& app, int* exit_code);
void AddConvertCommand(CLI::App& app, int* exit_code);
void AddQuantizeCommand(CLI::App& app, int* exit_code);
void AddSegmentCommand(CLI::App& app, int* exit_code);
void AddReindexCommand(CLI::App& app, int* exit_code);
void AddCrawlCommand(CLI::App& app, int* exit_code);

}  // namespace imi::cli

#endif  // IMI_CLI_COMMANDS_H_
